"""What the reporting commands say, as data for `--json`: one JSON document on stdout whose keys
come in a fixed order (counts sorted by name), so scripts and `jq` can rely on them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from corpusbuilder import stats
from corpusbuilder.build import BuildResult
from corpusbuilder.ingest.runner import IngestResult
from corpusbuilder.ledger import Ledger
from corpusbuilder.release.freeze import ReleaseResult
from corpusbuilder.release.publish import Published


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def counts(values: Mapping[str, int]) -> dict[str, int]:
    return {key: values[key] for key in sorted(values) if values[key]}


def ingested(result: IngestResult) -> dict:
    return {"source": result.source, "run_id": result.run_id,
            "resumed_from": result.resumed_from, "counts": counts(result.counts)}  # fmt: skip


def released(result: ReleaseResult) -> dict:
    return {"version": result.version, "created": result.created,
            "documents": result.documents, "manifest_sha256": result.manifest_hash,
            "directory": str(result.directory)}  # fmt: skip


def published(done: Published, version: str) -> dict:
    plan = {name: list(paths) for name, paths in asdict(done.plan).items()}
    return {"version": version, "target": done.target, "tag": done.tag, "commit": done.commit,
            "url": done.url, "files": done.files, "already_published": done.already,
            "dry_run": done.dry_run, "plan": plan}  # fmt: skip


def built(done: BuildResult, ledger: Ledger, seconds: float) -> dict:
    curate = done.curate
    return {
        "version": done.version,
        "ingest": [ingested(result) for result in done.ingest],
        "failed_sources": dict(sorted(done.failed.items())),
        "curate": None if curate is None else {"run_id": curate.run_id,
                                               "counts": counts(curate.counts)},
        "release": None if done.release is None else released(done.release),
        "up_to_date": done.up_to_date,
        "publish": None if done.publish is None else published(done.publish, done.version),
        "funnel": stats.as_dict(ledger.funnel()),
        "seconds": round(seconds, 1),
    }  # fmt: skip


def status(ledger: Ledger) -> dict:
    """The releases (with where each was published), the warnings and the funnel."""
    places: dict[str, list[dict]] = {}
    for done in ledger.publications():
        places.setdefault(done.version, []).append(
            {"kind": done.kind, "target": done.target, "tag": done.tag, "commit": done.commit}
        )
    releases = [
        {"version": rel.version, "parent": rel.parent, "created_at": rel.created_at.isoformat(),
         "documents": rel.counts["documents"], "manifest_sha256": rel.manifest_hash,
         "published": places.get(rel.version, [])}
        for rel in ledger.releases()
    ]  # fmt: skip
    return {"releases": releases, "warnings": stats.warnings(ledger),
            "funnel": stats.as_dict(ledger.funnel())}  # fmt: skip
