"""Commands over a frozen release: `release` (freeze and write), `publish`, `verify`."""

from __future__ import annotations

from pathlib import Path

import click

from corpusbuilder import reports
from corpusbuilder.cli_context import JSON, project
from corpusbuilder.errors import ExitCode
from corpusbuilder.lock import writes
from corpusbuilder.release import publish as publishing


@click.command()
@click.argument("version")
@JSON
@click.pass_context
@writes
def release(ctx: click.Context, version: str, as_json: bool) -> None:
    """Freeze release VERSION and write its shards and dataset card.

    A frozen release never changes: running this again writes its files from the frozen record
    and gives the same bytes, or refuses (exit code 7) and leaves the files as they were.

    \b
    Example:
      corpusbuilder release 1.0.0
    """
    result = project(ctx).release(version)
    if as_json:
        return click.echo(reports.dumps(reports.released(result)))
    state = "frozen" if result.created else "already frozen; written again, byte-identical"
    click.echo(f"release {version} {state}: {result.documents} documents in {result.directory}")
    click.echo(f"manifest sha256 {result.manifest_hash}")


@click.command()
@click.argument("version")
@click.option(
    "--to", "to", type=click.Path(file_okay=False), help="A local folder laid out like a Hub repo."
)
@click.option(
    "--repo-id", help="A Hub dataset repo, ORG/NAME (token from HF_TOKEN or `hf auth login`)."
)
@click.option(
    "--private", is_flag=True, default=None, help="Create the Hub repo private (publish.private)."
)
@click.option("-m", "--message", help="The Hub commit message (default: Release vVERSION).")
@click.option("--replace", is_flag=True, help="Overwrite files at the target that are not ours.")
@click.option("--dry-run", is_flag=True, help="List what would be written, deleted and kept.")
@click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
    help="Give up a Hub call after this long without progress (publish.timeout; default 60).",
)  # fmt: skip
@JSON
@click.pass_context
@writes
def publish(
    ctx: click.Context,
    version: str,
    to: str | None,
    repo_id: str | None,
    private: bool | None,
    message: str | None,
    replace: bool,
    dry_run: bool,
    timeout: float | None,
    as_json: bool,
) -> None:
    """Publish release VERSION to a local folder or to the Hugging Face Hub, tagged vVERSION.

    Only files an earlier release of ours put at the target (named by its manifest.json) are
    deleted; other files are kept, and one this release would overwrite stops the publish
    unless --replace. Text written by hand outside the card's generated block is kept.
    Publishing a version the target already holds succeeds and says so.

    \b
    Example:
      corpusbuilder publish 1.0.0 --to ./hub --dry-run
      corpusbuilder publish 1.0.0 --repo-id my-org/open-corpus --private
    """
    target = str(Path(to).resolve()) if to else None  # relative to where the command runs
    options = {"private": private, "message": message, "replace": replace, "dry_run": dry_run}
    done = project(ctx).publish(version, target, repo_id, **options, timeout=timeout)
    if as_json:
        return click.echo(reports.dumps(reports.published(done, version)))
    for line in publishing.describe(done, version):
        click.echo(line)


@click.command()
@click.argument("version")
@click.option(
    "--to", "to", type=click.Path(file_okay=False), help="A folder the release was published to."
)
@click.option("--repo-id", help="A Hub dataset repo the release was published to, ORG/NAME.")
@click.option("--revision", help="The Hub revision to read (default: the tag vVERSION).")
@click.pass_context
def verify(
    ctx: click.Context, version: str, to: str | None, repo_id: str | None, revision: str | None
) -> None:
    """Read release VERSION back and check every file and every row against its manifest.

    By default the release folder; or a folder (--to) or a Hub repo (--repo-id) it was published
    to. Every file's sha256 and size, every row's text sha256 and place, and the manifest hash
    are compared with manifest.json and the ledger; any difference exits with code 7.

    \b
    Example:
      corpusbuilder verify 1.0.0 --repo-id my-org/open-corpus
    """
    target = str(Path(to).resolve()) if to else None  # relative to where the command runs
    result = project(ctx).verify(version, target, repo_id, revision)
    for line in result.report():
        click.echo(line)
    if result.differences:
        ctx.exit(ExitCode.MISMATCH)
