"""The provenance and decisions configs of a release (issue 10): one row per released document
with everything the ledger knows of it, and what was removed per source × stage × reason; both
frozen with the release, so writing it again after the ledger changed gives the same bytes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from corpusbuilder import steps
from corpusbuilder.project import Project
from corpusbuilder.release import layout, provenance, shards
from corpusbuilder.urls import public_locator
from tests.demo_copies import files, run

PROVENANCE = "provenance/train-00000-of-00001.parquet"
DECISIONS = "decisions/train-00000-of-00001.parquet"


def folder_of(config: Path, version: str = "1.0.0") -> Path:
    return config.parent / "work" / "releases" / version


def load(config: Path, name: str, tmp_path: Path) -> list[dict]:
    """A config of the local release as `datasets` opens it, through the card's `configs:`."""
    cache = tmp_path / "hf-cache"
    found = datasets.load_dataset(str(folder_of(config)), name, split="train", cache_dir=cache)
    return found.to_list()


def test_each_provenance_row_matches_the_ledger(built: Path, tmp_path: Path):
    ledger = Project.open(built, progress=False).ledger
    rows = load(built, "provenance", tmp_path)
    members = {m.doc_id: m for m in ledger.release_members("1.0.0")}
    assert sorted(r["doc_id"] for r in rows) == sorted(members)  # every released doc, once
    for row in rows:
        doc, member = ledger.document(row["doc_id"]), members[row["doc_id"]]
        evidence = ledger.evidence([doc.doc_id])[doc.doc_id]
        assert row["version"] == "1.0.0"
        assert (row["config"], row["shard"], row["row"]) == (
            member.config,
            member.shard,
            member.row,
        )
        assert (row["text_sha256"], row["raw_sha256"], row["url"], row["source"]) == (
            doc.text_sha256,
            doc.raw_sha256,
            doc.url,
            doc.source,
        )
        assert (row["licence"], row["licence_status"], row["licence_rule"]) == (
            doc.licence,
            "allowed",
            doc.licence_rule,
        )
        assert (row["language"], row["language_score"]) == (doc.language, doc.language_score)
        assert [
            (e["statement"], e["locator"], e["kind"], e["jurisdiction"], e["retrieved_at"])
            for e in row["evidence"]
        ] == [
            (e.statement, public_locator(e.locator, built.parent), e.kind, e.jurisdiction,
             e.retrieved_at.isoformat())
            for e in evidence
        ]  # fmt: skip
        assert all(e["locator"].startswith("texts.jsonl#line=") for e in row["evidence"])
        decided = [(d.stage, d.reason, d.detail) for d in ledger.decisions(doc.doc_id)]
        assert [(d["stage"], d["reason"], d["detail"]) for d in row["curation"]] == [
            d for d in decided if d[0] != "ingest"
        ]
        assert row["adapter"] == "local" and row["pii"] == [] and not row["text_modified"]
        # every default filter kept it and said what it measured (tests/test_filter_measurements)
        assert {m["filter"] for m in row["filter_measurements"]} == set(steps.FILTERS)
    lighthouse = next(r for r in rows if r["doc_id"] == "demo/en-lighthouse")
    copy = ledger.document("demo/en-lighthouse-copy")
    assert lighthouse["also_found_in"] == [
        {"doc_id": copy.doc_id, "url": copy.url, "similarity": 1.0}
    ]
    garden = next(r for r in rows if r["doc_id"] == "demo/en-garden")
    assert (garden["licence_name"], garden["attribution"], garden["share_alike"]) == (
        "Creative Commons Attribution 4.0 International",
        True,
        False,
    )


def test_the_decisions_config_counts_what_was_removed_and_why(built: Path, tmp_path: Path):
    assert load(built, "decisions", tmp_path) == [
        {"source": "demo", "stage": "dedup", "outcome": "duplicate"}
        | {"reason": "exact_duplicate", "documents": 1},
        {"source": "demo", "stage": "ingest", "outcome": "skipped"}
        | {"reason": "empty_text", "documents": 1},
        {"source": "demo", "stage": "licence", "outcome": "licence_rejected"}
        | {"reason": "licence_rejected", "documents": 1},
        {"source": "demo", "stage": "licence", "outcome": "quarantined"}
        | {"reason": "licence_unknown", "documents": 1},
    ]


def test_the_manifest_lists_the_provenance_files_and_the_card_declares_them(built: Path):
    folder = folder_of(built)
    listed = json.loads((folder / "manifest.json").read_text())["files"]
    for path in (PROVENANCE, DECISIONS, layout.CHANGELOG, layout.ATTRIBUTION):
        assert listed[path]["size"] == (folder / path).stat().st_size
    assert layout.extra_configs(listed) == {
        "provenance": "provenance/train-*.parquet",
        "decisions": "decisions/train-*.parquet",
    }


def test_provenance_is_frozen_whatever_the_ledger_says_later(built: Path):
    """Evidence rewritten, the duplicate link cut, a takedown and a policy change: the release
    written again still says what was true when it was frozen."""
    folder = folder_of(built)
    before = files(folder)
    with sqlite3.connect(built.parent / "work" / "ledger.db") as db:
        db.execute("UPDATE evidence SET statement = 'rewritten', locator = 'elsewhere'")
        db.execute("UPDATE document SET duplicate_of = NULL")
    assert run(built, "takedown", "demo/de-bahnhof", "--reason", "asked").exit_code == 0
    settings = yaml.safe_load(built.read_text())
    built.write_text(yaml.safe_dump(settings | {"licences": {"deny": ["CC0-1.0"]}}))
    assert run(built, "curate", "--all").exit_code == 0

    result = run(built, "release", "1.0.0")
    assert result.exit_code == 0, result.output
    assert "byte-identical" in result.output
    assert files(folder) == before
    row = provenance.read([folder / PROVENANCE], "demo/en-lighthouse")
    assert row["evidence"][0]["statement"].startswith("CC0 1.0 Universal")
    assert [a["doc_id"] for a in row["also_found_in"]] == ["demo/en-lighthouse-copy"]


def test_a_release_frozen_before_provenance_is_written_again_without_it(built: Path):
    """A release frozen by an older corpusbuilder has no provenance rows: its files stay the
    ones it recorded then, with no provenance, decisions, changelog or attribution added."""
    project = Project.open(built, progress=False)
    release = project.ledger.release("1.0.0")
    extra = (PROVENANCE, DECISIONS, layout.CHANGELOG, layout.ATTRIBUTION, "manifest.json")
    with sqlite3.connect(built.parent / "work" / "ledger.db") as db:
        db.execute("DELETE FROM releaseprovenance")
        counts = {k: v for k, v in release.counts.items() if k != "changelog"}
        db.execute("UPDATE release SET counts = ?, files = NULL", (json.dumps(counts),))

    result = run(built, "release", "1.0.0")
    assert result.exit_code == 0, result.output
    written = files(folder_of(built))
    assert not set(extra[:-1]) & set(written)
    assert not any(path.startswith(("provenance/", "decisions/")) for path in written)


def test_provenance_shards_are_the_same_bytes_for_the_same_rows(tmp_path: Path):
    rows = [
        {"doc_id": f"s/{i}", "evidence": [{"statement": "CC0-1.0"}], "curation": []}
        | {"pii": [{"kind": "email", "count": i}], "also_found_in": []}
        for i in range(3)
    ]
    table = pa.Table.from_pylist(rows, schema=provenance.SCHEMA)
    shards.write_table(tmp_path / "a.parquet", table)
    shards.write_table(tmp_path / "b.parquet", table)
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    assert pq.read_table(tmp_path / "a.parquet").to_pylist()[2]["pii"] == [
        {"kind": "email", "count": 2}
    ]


def test_audit_revision_needs_a_repo_id(built: Path):
    result = run(built, "audit", "demo/en-lighthouse", "--revision", "v1.0.0")
    assert result.exit_code == 2
    assert "--revision reads a published release: give --repo-id too" in result.output


def test_verify_checks_the_provenance_files_against_the_manifest(built: Path):
    folder = folder_of(built)
    with open(folder / PROVENANCE, "ab") as handle:
        handle.write(b"x")
    (folder / layout.CHANGELOG).unlink()
    result = run(built, "verify", "1.0.0")
    assert result.exit_code == 7
    lines = result.output.splitlines()
    assert any(line.startswith("  CHANGELOG.md: missing, frozen as sha256") for line in lines)
    assert any(line.startswith(f"  {PROVENANCE}: found sha256") for line in lines)
