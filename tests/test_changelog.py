"""CHANGELOG.md in each release (issue 10): its section against its parent, computed by `diff`
when the release is frozen, and the same bytes when it is written again later."""

from __future__ import annotations

from pathlib import Path

import yaml

from corpusbuilder.release import changelog, layout
from tests.demo_copies import files, run


def folder_of(config: Path, version: str) -> Path:
    return config.parent / "work" / "releases" / version


def test_the_first_release_says_so(built: Path):
    text = (folder_of(built, "1.0.0") / layout.CHANGELOG).read_text()
    assert text == "# Changelog\n\n## 1.0.0\n\nFirst release: 7 documents.\n"


def test_a_new_release_lists_its_changes_against_its_parent_and_keeps_them(built: Path):
    assert run(built, "takedown", "demo/de-bahnhof", "--reason", "the author asked").exit_code == 0
    assert run(built, "release", "1.1.0").exit_code == 0
    folder = folder_of(built, "1.1.0")
    text = (folder / layout.CHANGELOG).read_text()
    assert text == (
        "# Changelog\n\n## 1.1.0 (against 1.0.0)\n\n"
        "added 0, removed 1, text changed 0, licence changed 0.\n\n"
        "### Removed\n\n- `demo/de-bahnhof`: takedown\n\n"
        "## 1.0.0\n\nFirst release: 7 documents.\n"
    )
    before = files(folder)
    # Later the policy rejects every CC0 text: the removed document's outcome changes, the
    # changelog frozen with 1.1.0 does not.
    settings = yaml.safe_load(built.read_text())
    built.write_text(yaml.safe_dump(settings | {"licences": {"deny": ["CC0-1.0"]}}))
    assert run(built, "curate", "--all").exit_code == 0
    result = run(built, "release", "1.1.0")
    assert result.exit_code == 0, result.output
    assert files(folder) == before


def test_the_list_is_bounded_and_says_how_many_more(built: Path, monkeypatch):
    monkeypatch.setattr(changelog, "LISTED", 1)
    for doc_id in ("demo/de-bahnhof", "demo/it-piazza"):
        assert run(built, "takedown", doc_id, "--reason", "asked").exit_code == 0
    assert run(built, "release", "1.1.0").exit_code == 0
    text = (folder_of(built, "1.1.0") / layout.CHANGELOG).read_text()
    assert "### Removed\n\n- `demo/de-bahnhof`: takedown\n" in text
    assert "- … and 1 more (`corpusbuilder diff 1.0.0 1.1.0`)\n" in text
    assert "it-piazza" not in text
