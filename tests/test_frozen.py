"""A frozen release is immutable in fact: written again after any change of ledger or policy it
gives the same bytes, or refuses and leaves its files as they were (issue 7)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from corpusbuilder.config import load as load_config
from corpusbuilder.errors import ExitCode
from corpusbuilder.project import Project
from corpusbuilder.release import shards
from corpusbuilder.release.freeze import ReleaseError
from tests.demo_copies import files, run
from tests.ledger_schemas import downgrade_to_schema_1

MANIFEST_HASH = "b82ed03e431a158e0d879cca0ff73803c68aa1cddcb0e62c0dbe3dbc15cb19ad"
SHARDS = [f"data/{c}/train-00000-of-00001.parquet" for c in ("de", "en", "es", "fr", "it")]


def folder_of(config: Path, version: str = "1.0.0") -> Path:
    return config.parent / "work" / "releases" / version


def test_the_demo_release_keeps_its_manifest_hash_and_lists_every_file(built: Path):
    folder = folder_of(built)
    listed = json.loads((folder / "manifest.json").read_text())
    assert listed["manifest_hash"] == MANIFEST_HASH
    assert (listed["generator"], listed["version"], listed["documents"]) == (
        "corpusbuilder",
        "1.0.0",
        7,
    )
    assert sorted(listed["files"]) == sorted(
        ["ATTRIBUTION.md", "CHANGELOG.md", "LICENSE.md", "README.md", "croissant.json"]
        + ["funnel.svg", *SHARDS, "decisions/train-00000-of-00001.parquet"]
        + ["provenance/train-00000-of-00001.parquet", "signatures/minhash-00000-of-00001.parquet"]
    )
    for path, digest in listed["files"].items():
        assert digest["size"] == (folder / path).stat().st_size
    recorded = Project.open(built, progress=False).ledger.release("1.0.0").files
    assert recorded == listed["files"] | {"manifest.json": recorded["manifest.json"]}


def test_denying_a_licence_and_recurating_leaves_the_frozen_bytes_alone(built: Path):
    folder = folder_of(built)
    before = files(folder)
    settings = yaml.safe_load(built.read_text())
    built.write_text(yaml.safe_dump(settings | {"licences": {"deny": ["CC0-1.0"]}}))
    assert run(built, "curate", "--all").exit_code == 0
    ledger = Project.open(built, progress=False).ledger
    assert ledger.document("demo/fr-riviere").status == "licence_rejected"  # the change is real

    result = run(built, "release", "1.0.0")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"release 1.0.0 already frozen; written again, byte-identical: 7 documents in {folder}",
        f"manifest sha256 {MANIFEST_HASH}",
    ]
    assert files(folder) == before
    languages = pq.read_table(folder / SHARDS[3], columns=["language"]).column(0).to_pylist()
    assert languages == ["fr", "fr"]  # not null: rows come from the frozen record
    assert sorted(p.name for p in folder.parent.iterdir()) == ["1.0.0"]  # no staging left


def test_a_document_quarantined_since_does_not_crash_the_rewrite(built: Path):
    folder = folder_of(built)
    before = files(folder)
    texts = built.parent / "texts.jsonl"
    records = [json.loads(line) for line in texts.read_text().splitlines()]
    for record in records:
        if record["id"] == "fr-riviere":  # a new text, under a statement nobody can resolve
            record |= {"text": record["text"] + " Fin.", "licence": "free to use, ask first"}
    texts.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    assert run(built, "ingest", "demo").exit_code == 0
    assert run(built, "curate").exit_code == 0
    ledger = Project.open(built, progress=False).ledger
    assert ledger.document("demo/fr-riviere").status == "quarantined"

    result = run(built, "release", "1.0.0")
    assert result.exit_code == 0, result.output
    assert files(folder) == before


def test_a_rewrite_that_would_change_bytes_refuses_and_touches_nothing(built, monkeypatch):
    folder = folder_of(built)
    before = files(folder)
    monkeypatch.setattr(shards, "ROW_GROUP_BYTES", 100)  # a Parquet writer that lays out otherwise
    project = Project.open(built, progress=False)
    with pytest.raises(ReleaseError) as refused:
        project.release("1.0.0")
    assert refused.value.exit_code == ExitCode.MISMATCH
    assert str(refused.value) == (
        "release 1.0.0 is frozen, and writing it again would change 4 of its files"
        " (README.md, data/en/train-00000-of-00001.parquet, data/fr/train-00000-of-00001.parquet,"
        " manifest.json); they were left as they were. A frozen release never changes: freeze a"
        " new version (this happens when pyarrow or corpusbuilder changed since it was written)"
    )  # the one-row shards keep one row group: unchanged; the card shows the shards' sizes
    assert files(folder) == before
    assert sorted(p.name for p in folder.parent.iterdir()) == ["1.0.0"]


def test_a_damaged_release_folder_is_written_again_from_the_record(built: Path):
    folder = folder_of(built)
    before = files(folder)
    (folder / SHARDS[0]).write_bytes(b"damaged")
    (folder / "LICENSE.md").unlink()
    result = run(built, "release", "1.0.0")
    assert result.exit_code == 0, result.output
    assert files(folder) == before


def test_a_release_frozen_by_schema_1_is_completed_once_and_written_the_same(built: Path):
    folder = folder_of(built)
    before = files(folder)
    downgrade_to_schema_1(load_config(built).ledger_url)
    target = built.parent / "mirror"
    published = run(built, "publish", "1.0.0", "--to", str(target))  # completes it first
    assert published.exit_code == 0, published.output
    assert files(target) == files(folder) == before
    result = run(built, "release", "1.0.0")
    assert result.exit_code == 0, result.output
    assert files(folder) == before
    row = Project.open(built, progress=False).ledger.releases_holding("demo/fr-riviere")[0]
    assert (row.title, row.language, row.licence_url) == (
        "La rivière", "fr", "https://creativecommons.org/publicdomain/zero/1.0/"
    )  # fmt: skip
