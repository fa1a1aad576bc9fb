"""`build`: every stage as corpus.yaml configures it, each source isolated from the others.

A source that fails (a server down, a protocol error, a broken dump) is recorded as a failed run
with its error, the other sources still run and curation decides what they brought; the build
then stops before the release, so a release never silently lacks a source, unless the user asks
to release what succeeded. A build with nothing new succeeds and says so (a nightly job stays
green); a build whose frozen release no longer matches what curation keeps refuses and names the
version to use instead, so kept documents are never left out of every release without a word.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from corpusbuilder.curate.pipeline import CurateResult
from corpusbuilder.errors import ExitCode, UserError, explain
from corpusbuilder.ingest.runner import IngestResult
from corpusbuilder.release.freeze import ReleaseError, ReleaseResult
from corpusbuilder.release.versions import check_version, next_patch
from corpusbuilder.stats import format_counts

if TYPE_CHECKING:
    from corpusbuilder.project import Project
    from corpusbuilder.release.publish import Published

log = logging.getLogger(__name__)


class SourcesFailed(UserError):
    """Some sources failed; the others ran; nothing was released."""

    exit_code = ExitCode.SOURCE_FAILED


@dataclass
class BuildResult:
    version: str
    ingest: list[IngestResult] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # source → its one-line error
    curate: CurateResult | None = None
    release: ReleaseResult | None = None
    up_to_date: bool = False  # the release was frozen before and holds what curation keeps
    publish: Published | None = None


def build(
    project: Project,
    version: str | None,
    workers: int | None = None,
    allow_failed: bool = False,
    echo: Callable[[str], None] = log.info,
) -> BuildResult:
    """Ingest every source, curate, release and publish; `echo` reports each stage as it ends."""
    result = BuildResult(_version(project, version))
    for source in project.config.sources:
        try:
            done = project.ingest(source.name, workers=workers)
        except Exception as exc:  # isolated: recorded as a failed run, the next source runs
            message, _ = explain(exc)
            log.debug("source %s failed", source.name, exc_info=exc)  # the log file's copy
            result.failed[source.name] = message
            echo(f"ingest {source.name}: FAILED: {message}")
            continue
        result.ingest.append(done)
        echo(f"ingest {source.name}: {format_counts(done.counts)}")
    result.curate = project.curate(workers)
    echo(f"curate: {format_counts(result.curate.counts)}")
    if result.failed and not allow_failed:
        names = ", ".join(sorted(result.failed))
        raise SourcesFailed(
            f"{len(result.failed)} of {len(project.config.sources)} sources failed ({names});"
            " the others were ingested and curated and nothing was released: fix them and run"
            " build again, or pass --allow-failed-sources to release what succeeded"
        )
    _release(project, result)
    _publish(project, result)
    return result


def _version(project: Project, version: str | None) -> str:
    version = version or str(project.config.release.get("version") or "")
    if not version:
        raise ReleaseError("no version: pass `--version X.Y.Z` or set `release: {version: …}`")
    return check_version(version)


def _release(project: Project, result: BuildResult) -> None:
    """Freeze the release, or check that the frozen one still holds what curation keeps."""
    if project.ledger.release(result.version) is not None:
        added, removed = project.ledger.release_drift(result.version)
        if added or removed:
            raise ReleaseError(
                f"release {result.version} is frozen, and since it was frozen {added} kept"
                f" documents are in no release and {removed} of its documents are no longer kept:"
                f" set `release.version` to a new version (e.g. {next_patch(result.version)})"
                " or pass --version"
            )
        result.up_to_date = True
    result.release = project.release(result.version)


def _publish(project: Project, result: BuildResult) -> None:
    target = project.config.publish
    if target.get("to") or target.get("repo_id"):
        result.publish = project.publish(result.version, target.get("to"), target.get("repo_id"))
