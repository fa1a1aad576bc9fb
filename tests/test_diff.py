"""`diff A B` lists exactly the changes made between two releases, each removal with its cause."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpusbuilder.cli import cli
from corpusbuilder.errors import ExitCode
from tests.helpers import demo_project

GARDEN_EXTRA = " In autumn we dry the last beans on the windowsill for next year's planting."


def _edit(texts: Path, changes: dict[str, dict]) -> None:
    lines = []
    for line in texts.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        record |= changes.get(record["id"], {})
        lines.append(json.dumps(record, ensure_ascii=False))
    texts.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def two_releases(tmp_path: Path) -> Path:
    project = demo_project(tmp_path / "demo")
    project.build()
    texts = tmp_path / "demo" / "texts.jsonl"
    old = {r["id"]: r["text"] for r in map(json.loads, texts.read_text().splitlines())}
    _edit(texts, {
        "en-garden": {"text": old["en-garden"] + GARDEN_EXTRA},      # text changed
        "es-mercado": {"licence": "CC-BY-4.0"},                      # licence changed
        "it-piazza": {"text": "Troppo corto."},                      # now filtered
    })  # fmt: skip
    project.ingest("demo")
    project.take_down("demo/fr-riviere", "author's request")
    project.curate(workers=1)
    project.release("1.1.0")
    return project.config.path


def test_diff_lists_exactly_the_changes_with_their_causes(two_releases: Path):
    result = CliRunner().invoke(cli, ["-c", str(two_releases), "diff", "1.0.0", "1.1.0", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["counts"] == {
        "added": 0, "removed": 2, "text_changed": 1, "licence_changed": 1
    }  # fmt: skip
    changes = {(c["kind"], c["doc_id"]): c["why"] for c in found["changes"]}
    assert changes.keys() == {
        ("removed", "demo/fr-riviere"), ("removed", "demo/it-piazza"),
        ("text_changed", "demo/en-garden"), ("licence_changed", "demo/es-mercado"),
    }  # fmt: skip
    assert changes[("removed", "demo/fr-riviere")] == "takedown"
    assert changes[("removed", "demo/it-piazza")] == "filtered: too_few_words"
    assert changes[("licence_changed", "demo/es-mercado")] == "CC0-1.0 → CC-BY-4.0"


def test_diff_text_output_and_unknown_release(two_releases: Path):
    runner = CliRunner()
    text = runner.invoke(cli, ["-c", str(two_releases), "diff", "1.0.0", "1.1.0"]).output
    assert text.splitlines()[0] == (
        "1.0.0 → 1.1.0: added 0, removed 2, text changed 1, licence changed 1"
    )
    assert "  removed         demo/fr-riviere  (takedown)" in text
    missing = runner.invoke(cli, ["-c", str(two_releases), "diff", "1.0.0", "9.9.9"])
    assert missing.exit_code == ExitCode.INPUT
    assert "no release 9.9.9 in the ledger" in missing.output
