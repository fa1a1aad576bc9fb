"""`--json` on every command that reports: one JSON document on stdout and nothing else (progress
and stage lines go to stderr), keys in a fixed order, values that agree with the ledger."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from corpusbuilder.cli import cli
from corpusbuilder.project import Project
from corpusbuilder.stats import format_counts

FUNNEL_KEYS = ["seen", "skipped", "licence_rejected", "quarantined", "filtered"]


def as_json(config: Path, *args: str) -> tuple[dict, str]:
    """The command's JSON document and its stderr; run without -q, so progress bars are on."""
    result = CliRunner().invoke(cli, ["-c", str(config), *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr  # fails unless stdout is one document


def test_stats_and_status(built):
    stats, _ = as_json(built, "stats")
    assert list(stats) == ["sources", "reasons"]
    demo = stats["sources"]["demo"]
    assert list(demo)[:5] == FUNNEL_KEYS and list(demo)[-1] == "kept"
    assert (demo["seen"], demo["kept"], demo["duplicate"], demo["quarantined"]) == (11, 7, 1, 1)
    assert sum(v for k, v in demo.items() if k != "seen") == demo["seen"]
    assert {"source": "demo", "language": None, "outcome": "quarantined",
            "reason": "licence_unknown", "documents": 1} in stats["reasons"]  # fmt: skip
    status, _ = as_json(built, "status")
    assert list(status) == ["releases", "warnings", "funnel"]
    [release] = status["releases"]
    ledger = Project.open(built, progress=False).ledger
    assert list(release) == ["version", "parent", "created_at", "documents", "manifest_sha256",
                             "published"]  # fmt: skip
    assert (release["version"], release["documents"], release["parent"]) == ("1.0.0", 7, None)
    assert release["manifest_sha256"] == ledger.release("1.0.0").manifest_hash
    assert [p["kind"] for p in release["published"]] == ["folder"]  # the demo publishes to hub/
    assert status["warnings"] == [] and status["funnel"] == stats


def test_ingest_curate_release_publish(built):
    ingested, progress = as_json(built, "ingest", "demo")
    assert list(ingested) == ["source", "run_id", "resumed_from", "counts"]
    counts = ingested["counts"]  # a copied demo's records name their new folder: some changed
    assert counts["seen"] == 11 and list(counts) == sorted(counts)
    assert sum(n for k, n in counts.items() if k in ("new", "changed", "unchanged")) == 11
    assert "ingest demo" in progress  # the progress bar, on stderr
    curated, _ = as_json(built, "curate")
    assert list(curated) == ["run_id", "counts"] and curated["run_id"] > ingested["run_id"]
    released, _ = as_json(built, "release", "1.0.0")
    assert list(released) == ["version", "created", "documents", "manifest_sha256", "directory"]
    assert (released["created"], released["documents"]) == (False, 7)
    published, _ = as_json(built, "publish", "1.0.0", "--to", str(built.parent / "hub"))
    assert published["already_published"] is True and published["dry_run"] is False
    assert (published["version"], published["target"]) == ("1.0.0", str(built.parent / "hub"))
    assert list(published["plan"]) == ["write", "unchanged", "delete", "keep", "conflicts"]


def test_build_sends_its_stage_lines_to_stderr(built):
    done, stderr = as_json(built, "build")
    assert list(done) == ["version", "ingest", "failed_sources", "curate", "release",
                          "up_to_date", "publish", "funnel", "seconds"]  # fmt: skip
    assert (done["version"], done["up_to_date"], done["failed_sources"]) == ("1.0.0", True, {})
    assert [i["source"] for i in done["ingest"]] == ["demo"]
    assert done["release"]["documents"] == 7 and done["publish"]["already_published"] is True
    assert f"\ningest demo: {format_counts(done['ingest'][0]['counts'])}\n" in stderr
    assert f"\ncurate: {format_counts(done['curate']['counts'])}\n" in stderr


def test_the_existing_json_commands_still_print_one_document(built):
    audit, _ = as_json(built, "audit", "demo/en-garden")
    assert audit["document"]["doc_id"] == "demo/en-garden"
    docs, _ = as_json(built, "docs", "--status", "kept")
    assert len(docs["documents"]) == 7
