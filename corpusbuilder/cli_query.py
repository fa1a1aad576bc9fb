"""Commands that question the corpus without changing it: `lookup` (is my work included?),
`docs` (documents by outcome) and `sample` (what a reason removed)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from corpusbuilder import listing
from corpusbuilder.cli_context import JSON, project
from corpusbuilder.errors import UserError
from corpusbuilder.reasons import Status
from corpusbuilder.release import lookup as looking_up
from corpusbuilder.release.versions import check_version


def _read_text(file: Path | None, text: str | None) -> str | None:
    if file is not None and text is not None:
        raise UserError("pass either --file or --text, not both")
    if text == "-":
        return sys.stdin.read()
    if file is None:
        return text
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise UserError(f"{file} is not UTF-8 text ({err.reason}): convert it first") from err


@click.command()
@click.option("--url", help="An origin URL to look for.")
@click.option("--file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A UTF-8 text file to look for.")  # fmt: skip
@click.option("--text", help="A text to look for; `-` reads it from stdin.")
@click.option("--release", "version", help="Only this release (default: every frozen release).")
@click.option("--repo-id", help="Search the release published to this Hub repo, without a ledger.")
@click.option("--revision", help="The Hub revision (default: the tag v<--release>, else main).")
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True),
              default=looking_up.THRESHOLD, show_default=True,
              help="Least estimated similarity reported as a near match.")  # fmt: skip
@JSON
@click.pass_context
def lookup(
    ctx: click.Context,
    url: str | None,
    file: Path | None,
    text: str | None,
    version: str | None,
    repo_id: str | None,
    revision: str | None,
    threshold: float,
    as_json: bool,
) -> None:
    """Is my work included? Find a text (exactly or a near copy) or a URL in the releases.

    Lists the released documents that hold it, with their releases and configs, and the
    documents of the ledger that match but were not released, with their status.

    \b
    Example:
      corpusbuilder lookup --file my-poem.txt
      corpusbuilder lookup --url https://example.org/poem --repo-id org/corpus --release 1.0.0
    """
    content = _read_text(file, text)
    if content is None and not url:
        raise UserError("nothing to look up: pass --url, --file or --text")
    query = looking_up.Query.of(content, url)
    version = check_version(version) if version else None
    if repo_id:
        revision = revision or (f"v{version}" if version else "main")
        report = looking_up.from_hub(repo_id, revision, query, threshold)
    elif revision:
        raise UserError("--revision reads a Hub repo: pass --repo-id too")
    else:
        proj = project(ctx)
        signed = proj.config.storage.child("signatures")
        report = looking_up.from_ledger(proj.ledger, proj.store, signed, query, version, threshold)
    click.echo(looking_up.render(report, as_json))


@click.command()
@click.option("--status", type=click.Choice([s.value for s in Status]), help="Only this status.")
@click.option("--reason", help="Only this reason code, e.g. licence_unknown.")
@click.option("--source", help="Only this source.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many documents.")
@JSON
@click.pass_context
def docs(
    ctx: click.Context,
    status: str | None,
    reason: str | None,
    source: str | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """List documents by outcome: doc_id, source, status, reason, title and URL, tab-separated.

    \b
    Example:
      corpusbuilder docs --status quarantined --reason licence_unknown
    """
    rows = listing.documents(project(ctx).ledger, status, reason, source, limit)
    click.echo(listing.render_documents(rows, as_json))


@click.command()
@click.argument("reason")
@click.option("-n", "count", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many documents to draw.")  # fmt: skip
@click.option(
    "--seed", type=int, default=0, show_default=True, help="The same seed, the same draw."
)
@JSON
@click.pass_context
def sample(ctx: click.Context, reason: str, count: int, seed: int, as_json: bool) -> None:
    """Show what REASON removed: documents drawn at random, each with the value its decision
    measured and the first 300 characters of its text, to judge a threshold.

    \b
    Example:
      corpusbuilder sample gopher_quality -n 20
    """
    proj = project(ctx)
    report = listing.sample(proj.ledger, proj.store, reason, count, seed)
    click.echo(listing.render_sample(report, as_json))
