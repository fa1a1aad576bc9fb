"""The `corpusbuilder` command: a thin click group over corpusbuilder.project."""

from __future__ import annotations

import shutil
import sys
import time
from importlib import resources
from pathlib import Path

import click

from corpusbuilder import __version__, audit, registry, stats
from corpusbuilder.config import ConfigError
from corpusbuilder.fetch import FetchError
from corpusbuilder.licences import Policy, format_resolution
from corpusbuilder.project import Project
from corpusbuilder.publish import PublishError
from corpusbuilder.release import ReleaseError

EXPECTED = (
    ConfigError,
    FetchError,
    ReleaseError,
    PublishError,
    registry.UnknownSource,
    audit.NotInLedger,
    ValueError,
)


class Group(click.Group):
    """Turns the errors a user can fix into one clear line instead of a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except EXPECTED as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=Group)
@click.version_option(__version__)
@click.option(
    "-c",
    "--config",
    "config_path",
    default="corpus.yaml",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The corpus config.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@click.pass_context
def cli(ctx: click.Context, config_path: str, quiet: bool) -> None:
    """Build open-licence text corpora with provenance for every document.

    \b
    Example:
      corpusbuilder init --demo demo && corpusbuilder -c demo/corpus.yaml build
    """
    ctx.obj = {"config": config_path, "progress": not quiet}


def project(ctx: click.Context) -> Project:
    if "project" not in ctx.obj:
        ctx.obj["project"] = Project.open(ctx.obj["config"], ctx.obj["progress"])
    return ctx.obj["project"]


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--demo", is_flag=True, help="Copy the demo corpus (texts and corpus.yaml).")
def init(directory: Path, demo: bool) -> None:
    """Create a corpus folder with a corpus.yaml to edit.

    \b
    Example:
      corpusbuilder init --demo demo
    """
    if (directory / "corpus.yaml").exists():
        raise click.ClickException(f"{directory / 'corpus.yaml'} exists; choose another folder")
    directory.mkdir(parents=True, exist_ok=True)
    files = ("corpus.yaml", "texts.jsonl") if demo else ("template.yaml",)
    for name in files:
        source = resources.files("corpusbuilder") / "demo" / name
        target = directory / ("corpus.yaml" if name.endswith(".yaml") else name)
        with resources.as_file(source) as path:
            shutil.copyfile(path, target)
    click.echo(
        f"wrote {directory / 'corpus.yaml'}; next: corpusbuilder -c {directory}/corpus.yaml build"
    )


@cli.command()
def sources() -> None:
    """List the registered source adapters (name, version, module).

    \b
    Example:
      corpusbuilder sources
    """
    for info in registry.describe():
        click.echo(f"{info.name}\t{info.version}\t{info.module}")


@cli.group()
def licences() -> None:
    """Inspect the licence policy (licences.yaml)."""


@licences.command("resolve")
@click.argument("statements", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def licences_resolve(statements: tuple[str, ...], as_json: bool) -> None:
    """Resolve licence statements: id (or null), allowed|rejected|unknown, and the rule.

    Reads one statement per line from stdin when none is given.

    \b
    Example:
      corpusbuilder licences resolve "https://creativecommons.org/licenses/by-sa/3.0/fr/"
      cut -f1 statements.tsv | corpusbuilder licences resolve --json
    """
    policy = Policy.load()
    lines = statements or (line.rstrip("\n") for line in sys.stdin if line.strip())
    for statement in lines:
        click.echo(format_resolution(policy.resolve(statement), as_json))


@cli.command()
@click.argument("source")
@click.option("--limit", type=int, help="Stop after this many documents.")
@click.pass_context
def ingest(ctx: click.Context, source: str, limit: int | None) -> None:
    """Run one source of corpus.yaml and record everything it yields in the ledger.

    Re-running adds nothing twice; an interrupted run resumes from its last checkpoint.

    \b
    Example:
      corpusbuilder ingest gutenberg --limit 100
    """
    result = project(ctx).ingest(source, limit)
    resumed = f" (resumed from {result.resumed_from})" if result.resumed_from else ""
    click.echo(f"ingest {source}{resumed}: " + stats.format_counts(result.counts))


@cli.command()
@click.option("--workers", type=int, help="Worker processes (default: all cores).")
@click.option(
    "--all", "redo", is_flag=True, help="Decide every document again (after a policy change)."
)
@click.pass_context
def curate(ctx: click.Context, workers: int | None, redo: bool) -> None:
    """Decide licences, identify languages, filter and deduplicate waiting documents.

    \b
    Example:
      corpusbuilder curate --workers 2
    """
    result = project(ctx).curate(workers, redo)
    click.echo("curate: " + stats.format_counts(result.counts))


@cli.command()
@click.argument("version")
@click.pass_context
def release(ctx: click.Context, version: str) -> None:
    """Freeze release VERSION and write its shards and dataset card.

    A frozen release never changes: running this again rewrites the same bytes.

    \b
    Example:
      corpusbuilder release 1.0.0
    """
    result = project(ctx).release(version)
    state = "frozen" if result.created else "already frozen; files rewritten"
    click.echo(f"release {version} {state}: {result.documents} documents in {result.directory}")
    click.echo(f"manifest sha256 {result.manifest_hash}")


@cli.command()
@click.argument("version")
@click.option(
    "--to", "to", type=click.Path(file_okay=False), help="A local folder laid out like a Hub repo."
)
@click.option(
    "--repo-id", help="A Hub dataset repo, ORG/NAME (token from HF_TOKEN or `hf auth login`)."
)
@click.pass_context
def publish(ctx: click.Context, version: str, to: str | None, repo_id: str | None) -> None:
    """Publish release VERSION to a local folder or to the Hugging Face Hub, tagged vVERSION.

    \b
    Example:
      corpusbuilder publish 1.0.0 --to ./hub
      corpusbuilder publish 1.0.0 --repo-id my-org/open-corpus
    """
    target = str(Path(to).resolve()) if to else None  # relative to where the command runs
    done = project(ctx).publish(version, target, repo_id)
    tag = f", tag {done.tag}" if done.tag else ""
    click.echo(f"published {version} to {done.target}: {done.files} files{tag}")


@cli.command()
@click.option(
    "--version", "version", help="Release version (default: release.version in corpus.yaml)."
)
@click.option("--workers", type=int, help="Worker processes for curation (default: all cores).")
@click.pass_context
def build(ctx: click.Context, version: str | None, workers: int | None) -> None:
    """Run every stage as corpus.yaml configures it: ingest, curate, release, publish.

    \b
    Example:
      corpusbuilder -c demo/corpus.yaml build
    """
    started = time.perf_counter()
    proj = project(ctx)
    done = proj.build(version, workers)
    for result in done["ingest"]:
        click.echo(f"ingest {result.source}: " + stats.format_counts(result.counts))
    click.echo("curate: " + stats.format_counts(done["curate"].counts))
    rel = done["release"]
    click.echo(
        f"release {rel.version}: {rel.documents} documents, manifest sha256 {rel.manifest_hash}"
    )
    if "publish" in done:
        click.echo(f"published to {done['publish'].target}")
    click.echo(stats.render(proj.ledger.funnel()))
    click.echo(f"build took {time.perf_counter() - started:.1f} s")


@cli.command("takedown")
@click.argument("selector")
@click.option("--reason", required=True, help="Why (kept with the takedown, shown by audit).")
@click.pass_context
def takedown_command(ctx: click.Context, selector: str, reason: str) -> None:
    """Take down the documents SELECTOR names (a doc_id, a text sha256 or an origin URL).

    They leave every later release; frozen releases stay as they are, so release a new version.

    \b
    Example:
      corpusbuilder takedown demo/fr-riviere --reason "author's request, 2026-11-28"
    """
    taken = project(ctx).take_down(selector, reason)
    if not taken:
        raise click.ClickException(f"no document matches {selector!r}; see `corpusbuilder stats`")
    click.echo(f"taken down: {', '.join(taken)}; release a new version to publish the removal")


@cli.command("audit")
@click.argument("doc_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def audit_command(ctx: click.Context, doc_id: str, as_json: bool) -> None:
    """Why is DOC_ID in (or out of) a release, under which licence, on what evidence?

    \b
    Example:
      corpusbuilder audit demo/fr-poeme
    """
    click.echo(audit.render(audit.report(project(ctx).ledger, doc_id), as_json))


@cli.command("stats")
@click.pass_context
def stats_command(ctx: click.Context) -> None:
    """Show the funnel: raw → licence → filters → dedup → kept, per source, language and reason.

    \b
    Example:
      corpusbuilder stats
    """
    click.echo(stats.render(project(ctx).ledger.funnel()))


@cli.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Show the releases (frozen and published) and the funnel of the ledger.

    \b
    Example:
      corpusbuilder status
    """
    ledger = project(ctx).ledger
    for rel in ledger.releases():
        tag = f" as {rel.hub_tag}" if rel.hub_tag else ""
        where = f", published to {rel.hub_repo}{tag}" if rel.hub_repo else ""
        parent = f", parent {rel.parent}" if rel.parent else ""
        click.echo(f"release {rel.version}: {rel.counts['documents']} documents{parent}{where}")
    click.echo(stats.render(ledger.funnel()))


def main() -> None:
    cli()
