"""The walking skeleton end to end on the shipped demo corpus."""

from __future__ import annotations

import hashlib
import json

import pyarrow.parquet as pq
from click.testing import CliRunner

from corpusbuilder.cli import cli
from corpusbuilder.textstore import sha256_text
from tests.helpers import demo_project


def _files(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_demo_funnel_sends_each_bad_case_where_it_belongs(tmp_path):
    project = demo_project(tmp_path / "demo")
    project.build()
    status = {d.doc_id: (d.status, d.reason) for d in project.ledger.documents()}
    assert status["demo/en-recipes-nc"] == ("licence_rejected", "licence_rejected")
    assert status["demo/fr-lettre-unknown"] == ("quarantined", "licence_unknown")
    assert status["demo/empty-note"] == ("skipped", "empty_text")
    assert status["demo/en-lighthouse-copy"] == ("duplicate", "exact_duplicate")
    copy = project.ledger.document("demo/en-lighthouse-copy")
    assert copy.duplicate_of == "demo/en-lighthouse"  # CC0 beats CC-BY-SA: most open wins
    kept = {d for d, (s, _) in status.items() if s == "kept"}
    assert kept == {
        "demo/en-lighthouse", "demo/en-garden", "demo/fr-riviere", "demo/fr-boulangerie",
        "demo/de-bahnhof", "demo/es-mercado", "demo/it-piazza",
    }  # fmt: skip
    # Nothing vanishes: every line of the demo ends in exactly one outcome.
    assert len(status) == 11


def test_release_rows_match_ledger_and_published_folder_loads(tmp_path):
    project = demo_project(tmp_path / "demo")
    project.build()
    hub = tmp_path / "demo" / "hub"
    assert (hub / "README.md").exists()
    import datasets

    french = datasets.load_dataset(str(hub), "fr", split="train")
    assert sorted(french["id"]) == ["demo/fr-boulangerie", "demo/fr-riviere"]
    for row in french:
        doc = project.ledger.document(row["id"])
        assert row["text_sha256"] == doc.text_sha256 == sha256_text(row["text"])
        assert row["licence"] == doc.licence and row["url"] == doc.url
    assert set(french["licence"]) == {"CC0-1.0", "etalab-2.0"}


def test_build_twice_gives_identical_bytes_and_manifest(tmp_path):
    first, second = demo_project(tmp_path / "a"), demo_project(tmp_path / "b")
    hash_a = first.build().release.manifest_hash
    hash_b = second.build().release.manifest_hash
    assert hash_a == hash_b
    files_a = _files(first.config.release_dir("1.0.0"))
    files_b = _files(second.config.release_dir("1.0.0"))
    # The provenance config records when and where each ingest read the evidence (retrieved_at,
    # a locator in its folder): two ingests differ there, and so does the manifest's digest.
    per_ingest = {"provenance/train-00000-of-00001.parquet", "manifest.json"}
    assert per_ingest < files_a.keys() and files_a.keys() == files_b.keys()
    assert {k: v for k, v in files_a.items() if k not in per_ingest} == {
        k: v for k, v in files_b.items() if k not in per_ingest
    }
    assert "data/en/train-00000-of-00001.parquet" in files_a
    # Again on the same ledger: nothing is ingested twice and the release is rewritten identically.
    again = first.build()
    assert again.ingest[0].counts["new"] == 0
    assert again.ingest[0].counts["unchanged"] == 11
    assert again.release.created is False
    assert _files(first.config.release_dir("1.0.0")) == files_a


def test_shards_have_fixed_schema_and_zstd(tmp_path):
    project = demo_project(tmp_path / "demo")
    project.build()
    shard = project.config.release_dir("1.0.0") / "data/fr/train-00000-of-00001.parquet"
    meta = pq.ParquetFile(shard).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert pq.read_schema(shard).names == [
        "id", "text", "source", "url", "title", "creator", "date", "language",
        "language_score", "licence", "licence_url", "text_sha256", "chars", "words",
    ]  # fmt: skip


def test_card_lists_configs_licences_and_funnel(tmp_path):
    project = demo_project(tmp_path / "demo")
    project.build()
    card = (project.config.release_dir("1.0.0") / "README.md").read_text()
    header = card.split("---")[1]
    import yaml

    meta = yaml.safe_load(header)
    names = [c["config_name"] for c in meta["configs"]]
    assert names == ["de", "en", "es", "fr", "it", "all", "decisions", "provenance"]
    assert meta["configs"][5]["data_files"] == [
        {"split": "train", "path": "data/*/train-*.parquet"}
    ]
    defaults = [c["config_name"] for c in meta["configs"] if c.get("default")]
    assert defaults == ["en"]  # the largest config (en and fr tie at 2; sorted first wins)
    assert meta["license"] == ["cc-by-4.0", "cc0-1.0", "etalab-2.0"]
    assert meta["language"] == ["de", "en", "es", "fr", "it"]
    assert meta["size_categories"] == ["n<1K"]
    assert "| demo | 11 | 1 | 1 | 1 | 0 | 0 | 1 | 0 | 0 | 7 |" in card  # seen … kept
    assert "| demo | - | licence_rejected | licence_rejected | 1 |" in card
    assert "| demo | en | duplicate | exact_duplicate | 1 |" in card


def test_audit_shows_the_chain_for_kept_and_the_reason_for_rejected(tmp_path):
    project = demo_project(tmp_path / "demo")
    project.build()
    runner = CliRunner()
    config = str(project.config.path)
    kept = runner.invoke(cli, ["-c", config, "audit", "demo/fr-riviere", "--json"])
    assert kept.exit_code == 0, kept.output
    data = json.loads(kept.output)
    assert data["evidence"][0]["statement"].startswith("CC0 1.0 Universal")
    assert data["evidence"][0]["resolved"] == "CC0-1.0"
    stages = [(d["stage"], d["outcome"], d["reason"]) for d in data["decisions"]]
    assert stages == [
        ("ingest", "ingested", "ingested"),
        ("licence", "passed", "licence_allowed"),
        ("language", "passed", "language_identified"),
        ("filter", "passed", "kept"),
    ]
    assert data["releases"] == [
        {"version": "1.0.0", "config": "fr", "shard": "data/fr/train-00000-of-00001.parquet",
         "row": 0}
    ]  # fmt: skip
    rejected = runner.invoke(cli, ["-c", config, "audit", "demo/en-recipes-nc"])
    assert "not released because its licence is not allowed by the policy" in rejected.output
    assert "CC-BY-NC-4.0" in rejected.output
    duplicate = runner.invoke(cli, ["-c", config, "audit", "demo/en-lighthouse"])
    assert "also found in: demo/en-lighthouse-copy" in duplicate.output
    missing = runner.invoke(cli, ["-c", config, "audit", "demo/nope"])
    assert missing.exit_code != 0 and "no document 'demo/nope'" in missing.output


def test_kept_documents_all_have_text_in_store(tmp_path):
    project = demo_project(tmp_path / "demo")
    project.build()
    kept = list(project.ledger.documents("kept"))
    for sha, text in project.store.get_many(d.text_sha256 for d in kept):
        assert sha256_text(text) == sha
