"""The `corpusbuilder` command: a thin click group over corpusbuilder.project."""

from __future__ import annotations

import logging
import time

import click

from corpusbuilder import __version__, audit, audit_hub, logs, reports, stats
from corpusbuilder.cli_context import JSON, WORKERS, project
from corpusbuilder.cli_query import docs, lookup, sample
from corpusbuilder.cli_release import publish, release, verify
from corpusbuilder.cli_setup import init, licences, sources, steps, validate
from corpusbuilder.errors import ExitCode, explain
from corpusbuilder.ingest import partitions
from corpusbuilder.lock import writes
from corpusbuilder.release import diff


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


@cli.command()
@click.argument("source")
@click.option("--limit", type=click.IntRange(min=1), help="Stop after this many documents.")
@click.option("--workers", type=WORKERS, help="Worker processes parsing (default: all cores).")
@JSON
@click.pass_context
@writes
def ingest(
    ctx: click.Context, source: str, limit: int | None, workers: int | None, as_json: bool
) -> None:
    """Run one source of corpus.yaml and record everything it yields in the ledger.

    Re-running adds nothing twice; an interrupted run resumes from its last checkpoint (each
    partition of a partitioned source from its own). The ledger is the same whatever --workers.

    \b
    Example:
      corpusbuilder ingest gutenberg --limit 100
      corpusbuilder ingest wikipedia --workers 4
    """
    result = project(ctx).ingest(source, limit, workers)
    if as_json:
        return click.echo(reports.dumps(reports.ingested(result)))
    resumed_from = partitions.describe(result.resumed_from)
    resumed = f" (resumed from {resumed_from})" if resumed_from else ""
    click.echo(f"ingest {source}{resumed}: " + stats.format_counts(result.counts))


@cli.command()
@click.option("--workers", type=WORKERS, help="Worker processes (default: all cores).")
@click.option(
    "--all", "redo", is_flag=True, help="Decide every document again (after a policy change)."
)
@JSON
@click.pass_context
@writes
def curate(ctx: click.Context, workers: int | None, redo: bool, as_json: bool) -> None:
    """Decide licences, identify languages, filter and deduplicate waiting documents.

    \b
    Example:
      corpusbuilder curate --workers 2
    """
    result = project(ctx).curate(workers, redo)
    if as_json:
        return click.echo(reports.dumps({"run_id": result.run_id,
                                         "counts": reports.counts(result.counts)}))  # fmt: skip
    click.echo("curate: " + stats.format_counts(result.counts))


@cli.command()
@click.option(
    "--version", "version", help="Release version (default: release.version in corpus.yaml)."
)
@click.option("--workers", type=WORKERS, help="Worker processes (default: all cores).")
@click.option(
    "--allow-failed-sources", is_flag=True, help="Release what succeeded when a source fails."
)
@JSON
@click.pass_context
@writes
def build(
    ctx: click.Context,
    version: str | None,
    workers: int | None,
    allow_failed_sources: bool,
    as_json: bool,
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
    echo = (lambda line: click.echo(line, err=True)) if as_json else click.echo  # each stage
    done = proj.build(version, workers, allow_failed_sources, echo)
    if as_json:
        seconds = time.perf_counter() - started
        return click.echo(reports.dumps(reports.built(done, proj.ledger, seconds)))
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
@click.option("--only", is_flag=True, help="Only the named documents, not copies of their texts.")
@click.option(
    "--pre-emptive", is_flag=True,
    help="Keep it even if nothing matches yet: it applies when a matching document arrives.",
)  # fmt: skip
@click.pass_context
@writes
def takedown_command(
    ctx: click.Context, selector: str, reason: str, only: bool, pre_emptive: bool
) -> None:
    """Take down the documents SELECTOR names (a doc_id, a text sha256 or an origin URL) and
    the exact and near copies of their texts under other ids.

    They leave every later release, even if the source changes the text; frozen releases stay
    as they are, so release a new version.

    \b
    Example:
      corpusbuilder takedown demo/fr-riviere --reason "author's request, 2026-11-28"
    """
    done = project(ctx).take_down(selector, reason, only=only, pre_emptive=pre_emptive)
    click.echo(done.summary())


@cli.command("audit")
@click.argument("doc_id")
@click.option("--repo-id", help="Answer from this Hub dataset's provenance config, no ledger.")
@click.option("--revision", help="With --repo-id: the release tag, e.g. v1.0.0 (default: main).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def audit_command(
    ctx: click.Context, doc_id: str, repo_id: str | None, revision: str | None, as_json: bool
) -> None:
    """Why is DOC_ID in (or out of) a release, under which licence, on what evidence?

    \b
    Example:
      corpusbuilder audit demo/fr-poeme
      corpusbuilder audit demo/fr-poeme --repo-id org/corpus --revision v1.0.0
    """
    if revision and not repo_id:
        raise click.UsageError("--revision reads a published release: give --repo-id too")
    if repo_id:
        data = audit_hub.report(repo_id, doc_id, revision)
    else:
        data = audit.report(project(ctx).ledger, doc_id)
    click.echo(audit.render(data, as_json))


@cli.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Counts and lists as JSON.")
@click.pass_context
def diff_command(ctx: click.Context, old: str, new: str, as_json: bool) -> None:
    """What changed from release OLD to release NEW: documents added, removed (and why: takedown,
    policy, filter, duplicate), text changed, licence changed.

    \b
    Example:
      corpusbuilder diff 1.0.0 1.1.0
      corpusbuilder diff 1.0.0 1.1.0 --json | jq .counts
    """
    result = diff.diff(project(ctx).ledger, old, new)
    click.echo(result.as_json() if as_json else result.render())


@cli.command("stats")
@JSON
@click.pass_context
def stats_command(ctx: click.Context, as_json: bool) -> None:
    """Show the funnel: raw → licence → filters → dedup → kept, per source, language and reason.

    \b
    Example:
      corpusbuilder stats
    """
    rows = project(ctx).ledger.funnel()
    click.echo(reports.dumps(stats.as_dict(rows)) if as_json else stats.render(rows))


@cli.command()
@JSON
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show the releases (frozen and published) and the funnel of the ledger.

    \b
    Example:
      corpusbuilder status
    """
    ledger = project(ctx).ledger
    if as_json:
        return click.echo(reports.dumps(reports.status(ledger)))
    published: dict[str, list[str]] = {}
    for done in ledger.publications():
        tag = f" as {done.tag}" if done.tag else ""
        published.setdefault(done.version, []).append(f"{done.target}{tag}")
    for rel in ledger.releases():
        targets = published.get(rel.version)
        where = f", published to {', '.join(targets)}" if targets else ", not published"
        parent = f", parent {rel.parent}" if rel.parent else ""
        click.echo(f"release {rel.version}: {rel.counts['documents']} documents{parent}{where}")
    for warning in stats.warnings(ledger):
        click.echo(f"warning: {warning}")
    click.echo(stats.render(ledger.funnel()))


for command in (init, sources, steps, licences, validate, release, publish, verify, lookup, docs,
                sample):  # fmt: skip
    cli.add_command(command)


def main() -> None:
    cli()
