"""The `corpusbuilder` command: a thin click group over corpusbuilder.project."""

from __future__ import annotations

import logging
import shutil
import sys
import time
from importlib import resources
from pathlib import Path

import click

from corpusbuilder import __version__, audit, logs, registry, stats
from corpusbuilder import publish as publishing
from corpusbuilder.errors import ExitCode, UserError, explain
from corpusbuilder.licences import Policy, format_resolution
from corpusbuilder.lock import writes
from corpusbuilder.project import Project

READ_ONLY = frozenset({"audit", "init", "licences", "sources", "stats", "status", "validate",
                       "verify"})  # fmt: skip
WORKERS = click.IntRange(min=1)


class Group(click.Group):
    """Ends every command with one line and a documented exit code instead of a traceback.

    The traceback goes to the run's log file (and to the terminal with --debug).
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except (Exception, KeyboardInterrupt) as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            message, code = explain(exc)
            log = logging.getLogger("corpusbuilder")
            log.debug("%s", message, exc_info=exc)
            if code == ExitCode.BUG:
                where = ctx.obj.get("log_file") if ctx.obj else None
                message += f" (a bug: run again with --debug{f'; see {where}' if where else ''})"
            click.echo(f"Error: {message}", err=True)
            ctx.exit(code)


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
@click.option("-v", "--verbose", is_flag=True, help="Show progress messages (log level info).")
@click.option(
    "--log-level", type=click.Choice(logs.LEVELS), default="warning", show_default=True,
    help="Least level of the messages shown on stderr (the run's log file keeps every level).",
)  # fmt: skip
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
@click.option(
    "--wait", is_flag=True, help="If another command is writing the corpus, wait for it to end."
)
@click.pass_context
def cli(
    ctx: click.Context,
    config_path: str,
    quiet: bool,
    verbose: bool,
    log_level: str,
    debug: bool,
    wait: bool,
) -> None:
    """Build open-licence text corpora with provenance for every document.

    \b
    Example:
      corpusbuilder init --demo demo && corpusbuilder -c demo/corpus.yaml build
    """
    ctx.obj = {"config": config_path, "progress": not quiet, "debug": debug, "wait": wait}
    logs.console("debug" if debug else "info" if verbose else log_level)


def project(ctx: click.Context) -> Project:
    """The corpus of `-c`; a command that writes it also starts its log file."""
    if "project" not in ctx.obj:
        opened = Project.open(ctx.obj["config"], ctx.obj["progress"])
        command = ctx.info_name or "command"
        if command not in READ_ONLY:
            ctx.obj["log_file"] = logs.run_file(opened.config.workdir, command)
        ctx.obj["project"] = opened
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
        raise UserError(f"{directory / 'corpus.yaml'} exists; choose another folder")
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
@click.pass_context
def licences_resolve(ctx: click.Context, statements: tuple[str, ...], as_json: bool) -> None:
    """Resolve licence statements: id (or null), allowed|rejected|unknown, and the rule.

    Reads one statement per line from stdin when none is given. When the corpus config (-c)
    exists, its `licences:` (allow, deny, jurisdictions) apply, as in `curate`.

    \b
    Example:
      corpusbuilder licences resolve "https://creativecommons.org/licenses/by-sa/3.0/fr/"
      cut -f1 statements.tsv | corpusbuilder -c corpus.yaml licences resolve --json
    """
    from corpusbuilder import config as corpus_config  # only this command of the group needs it

    config_path = Path(ctx.obj["config"])
    overrides = corpus_config.load(config_path).licences if config_path.is_file() else None
    policy = Policy.load(overrides=overrides)
    lines = statements or (line.rstrip("\n") for line in sys.stdin if line.strip())
    for statement in lines:
        click.echo(format_resolution(policy.resolve(statement), as_json))


@cli.command()
@click.argument("source")
@click.option("--limit", type=click.IntRange(min=1), help="Stop after this many documents.")
@click.pass_context
@writes
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
@click.option("--workers", type=WORKERS, help="Worker processes (default: all cores).")
@click.option(
    "--all", "redo", is_flag=True, help="Decide every document again (after a policy change)."
)
@click.pass_context
@writes
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
@writes
def release(ctx: click.Context, version: str) -> None:
    """Freeze release VERSION and write its shards and dataset card.

    A frozen release never changes: running this again writes its files from the frozen record
    and gives the same bytes, or refuses (exit code 7) and leaves the files as they were.

    \b
    Example:
      corpusbuilder release 1.0.0
    """
    result = project(ctx).release(version)
    state = "frozen" if result.created else "already frozen; written again, byte-identical"
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
@click.option(
    "--private", is_flag=True, default=None, help="Create the Hub repo private (publish.private)."
)
@click.option("-m", "--message", help="The Hub commit message (default: Release vVERSION).")
@click.option("--replace", is_flag=True, help="Overwrite files at the target that are not ours.")
@click.option("--dry-run", is_flag=True, help="List what would be written, deleted and kept.")
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
    done = project(ctx).publish(version, target, repo_id, **options)
    for line in publishing.describe(done, version):
        click.echo(line)


@cli.command()
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


@cli.command()
@click.option(
    "--version", "version", help="Release version (default: release.version in corpus.yaml)."
)
@click.option("--workers", type=WORKERS, help="Worker processes for curation (default: all cores).")
@click.option(
    "--allow-failed-sources", is_flag=True, help="Release what succeeded when a source fails."
)
@click.pass_context
@writes
def build(
    ctx: click.Context, version: str | None, workers: int | None, allow_failed_sources: bool
) -> None:
    """Run every stage as corpus.yaml configures it: ingest, curate, release, publish.

    A source that fails does not stop the others; the build then stops before the release and
    exits with code 4, unless --allow-failed-sources. With nothing new it exits 0 and says so.

    \b
    Example:
      corpusbuilder -c demo/corpus.yaml build
    """
    started = time.perf_counter()
    proj = project(ctx)
    done = proj.build(version, workers, allow_failed_sources, click.echo)
    rel = done.release
    state = "nothing new, already frozen" if done.up_to_date else "frozen"
    click.echo(f"release {rel.version} ({state}): {rel.documents} documents,"
               f" manifest sha256 {rel.manifest_hash}")  # fmt: skip
    if done.publish is not None:
        click.echo(f"published to {done.publish.target}")
    if done.failed:
        click.echo(f"released without the failed sources: {', '.join(sorted(done.failed))}")
    click.echo(stats.render(proj.ledger.funnel()))
    click.echo(f"build took {time.perf_counter() - started:.1f} s")


@cli.command("takedown")
@click.argument("selector")
@click.option("--reason", required=True, help="Why (kept with the takedown, shown by audit).")
@click.pass_context
@writes
def takedown_command(ctx: click.Context, selector: str, reason: str) -> None:
    """Take down the documents SELECTOR names (a doc_id, a text sha256 or an origin URL).

    They leave every later release; frozen releases stay as they are, so release a new version.

    \b
    Example:
      corpusbuilder takedown demo/fr-riviere --reason "author's request, 2026-11-28"
    """
    taken = project(ctx).take_down(selector, reason)
    if not taken:
        raise UserError(f"no document matches {selector!r}; see `corpusbuilder stats`")
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
    for warning in stats.warnings(ledger):
        click.echo(f"warning: {warning}")
    click.echo(stats.render(ledger.funnel()))


@cli.command()
@click.option("--schema", is_flag=True, help="Print the JSON Schema of corpus.yaml, for editors.")
@click.pass_context
def validate(ctx: click.Context, schema: bool) -> None:
    """Check corpus.yaml (every key, type, range and adapter option) without running anything.

    A mistake is one line naming the file, the line and the key, and exits with code 3.

    \b
    Example:
      corpusbuilder -c demo/corpus.yaml validate
      corpusbuilder validate --schema > corpus.schema.json
    """
    import json  # imported here, like config: only this command needs them

    from corpusbuilder import config as corpus_config

    if schema:
        click.echo(json.dumps(corpus_config.json_schema(), indent=2, ensure_ascii=False))
        return
    config = corpus_config.load(ctx.obj["config"])
    count = len(config.sources)
    names = ", ".join(f"{s.name}: {s.adapter}" for s in config.sources)
    click.echo(f"ok: {count} source{'s' * (count != 1)} ({names}) in {ctx.obj['config']}")


def main() -> None:
    cli()
