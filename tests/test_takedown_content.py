"""A takedown follows the content: the exact and near copies of a taken-down text go with it, it
holds when the source changes one character, and a selector that matches nothing is refused
unless it is meant for documents that arrive later."""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpusbuilder.cli import cli
from corpusbuilder.errors import ExitCode
from corpusbuilder.ledger import Ledger
from corpusbuilder.licences import Policy
from corpusbuilder.project import Project
from corpusbuilder.release.freeze import freeze
from corpusbuilder.textstore import sha256_text
from tests.helpers import write_corpus
from tests.ledger_schemas import downgrade_to_schema_2
from tests.postgres import postgres_server

WORDS = (
    "river", "garden", "house", "morning", "window", "letter", "village", "road", "winter",
    "bread", "mother", "field", "stone", "light", "evening", "table", "door", "child", "music",
    "harbour", "forest", "candle", "silence", "story", "summer", "bridge", "market", "lantern",
    "meadow", "sister", "orchard", "valley",
)  # fmt: skip


def text(seed: int, words: int = 150) -> str:
    """An English-looking text of its own: unrelated seeds share almost no word 5-grams."""
    rng = random.Random(seed)
    sentences = []
    while sum(len(s.split()) for s in sentences) < words:
        sentences.append(" ".join(rng.choice(WORDS) for _ in range(10)).capitalize() + ".")
    return " ".join(sentences)


def one_character_changed(original: str, new: str = "x") -> str:
    """`original` with the first letter after its middle replaced by `new`."""
    middle = len(original) // 2
    at = next(i for i in range(middle, len(original)) if original[i].isalpha())
    return original[:at] + new + original[at + 1 :]


def record(key: str, body: str) -> dict:
    return {"id": key, "text": body, "licence": "CC0-1.0", "url": f"https://example.org/{key}"}


def corpus(folder, records: list[dict], **sections) -> Project:
    return Project.open(write_corpus(folder, records, **sections), progress=False)


def rebuild(project: Project, records: list[dict], version: str) -> set[str]:
    """Write the source anew, ingest, curate and freeze release `version`; return its doc_ids."""
    with open(project.config.root / "texts.jsonl", "w", encoding="utf-8") as source:
        source.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    project = Project.open(project.config.path, progress=False)
    project.ingest("t")
    project.curate(workers=1)
    policy = Policy.load(overrides=project.config.licences)
    freeze(project.config, project.ledger, project.store, policy, version)
    return {m.doc_id for m in project.ledger.release_members(version)}


def takedown(project: Project, *args: str):
    return CliRunner().invoke(
        cli, ["-c", str(project.config.path), "takedown", *args, "--reason", "author's request"]
    )


def audit(project: Project, doc_id: str) -> str:
    return CliRunner().invoke(cli, ["-c", str(project.config.path), "audit", doc_id]).output


RECORDS = [record("a", text(1)), record("b", text(1)),
           record("n", one_character_changed(text(1))), record("c", text(2))]  # fmt: skip


@pytest.fixture(scope="module")
def built_once(tmp_path_factory) -> Path:
    """t/a and its exact copy t/b, t/n a near copy of t/a, t/c a text of its own; 1.0.0 holds
    t/a and t/c (t/b and t/n are its duplicates)."""
    project = corpus(tmp_path_factory.mktemp("takedowns") / "corpus", RECORDS)
    assert rebuild(project, RECORDS, "1.0.0") == {"t/a", "t/c"}
    project.ledger.engine.dispose()
    return project.config.root


@pytest.fixture
def released(built_once, tmp_path):
    """A copy of the corpus built once (every path in it is relative to its corpus.yaml)."""
    shutil.copytree(built_once, tmp_path / "corpus")
    return Project.open(tmp_path / "corpus" / "corpus.yaml", progress=False), RECORDS


def test_taking_down_a_kept_text_takes_its_copies_instead_of_promoting_them(released):
    project, records = released
    done = takedown(project, "t/a")
    assert done.exit_code == 0, done.output
    assert "t/b (exact copy of t/a, similarity 1.0)" in done.output
    assert "t/n (near copy of t/a, similarity 0." in done.output
    # Before: t/b, the kept text's exact copy, was promoted by the next curation and released.
    assert rebuild(project, records, "1.1.0") == {"t/c"}
    statuses = {d: project.ledger.document(d).status for d in ("t/a", "t/b", "t/n")}
    assert set(statuses.values()) == {"taken_down"}
    report = audit(project, "t/n")
    assert "taken down by takedown #1 of 't/a' on 20" in report
    assert "author's request — a near copy of t/a (similarity 0." in report
    assert "named by it" in audit(project, "t/a")


def test_only_takes_down_the_named_document_and_its_copy_takes_its_place(released):
    project, records = released
    done = takedown(project, "t/a", "--only")
    assert done.exit_code == 0 and done.output.startswith("taken down: t/a;"), done.output
    kept = rebuild(project, records, "1.1.0")
    assert "t/a" not in kept and len(kept & {"t/b", "t/n"}) == 1  # one copy of the text remains


@pytest.mark.parametrize("selector", ["t/c", "https://example.org/c", "sha256"])
def test_a_takedown_holds_when_the_source_changes_one_character(released, selector):
    project, records = released
    original = records[3]["text"]
    assert (
        takedown(project, sha256_text(original) if selector == "sha256" else selector).exit_code
        == 0
    )
    changed = one_character_changed(original)
    # The source edits t/c, and a new id brings another one-character variant of it.
    records = [
        *records[:3],
        record("c", changed),
        record("c2", one_character_changed(original, "q")),
    ]
    # Before: a takedown by sha256 no longer matched the edited t/c, which was released again.
    assert rebuild(project, records, "1.1.0") == {"t/a"}
    assert project.ledger.document("t/c").text_sha256 == sha256_text(changed)  # re-ingested
    assert project.ledger.document("t/c2").status == "taken_down"
    assert "a near copy of t/c (similarity" in audit(project, "t/c2")


def test_a_selector_that_matches_nothing_is_refused_and_records_nothing(released):
    project, _ = released
    refused = takedown(project, "https://example.org/not-yet")
    assert refused.exit_code == ExitCode.INPUT
    assert "no document matches 'https://example.org/not-yet'" in refused.output
    assert "--pre-emptive" in refused.output
    assert project.ledger.takedowns() == []


def test_a_pre_emptive_takedown_applies_when_a_matching_document_arrives(released):
    project, records = released
    done = takedown(project, "https://example.org/later", "--pre-emptive")
    assert done.exit_code == 0 and "recorded pre-emptive takedown #1" in done.output
    later = {**record("later", text(3)), "url": "https://example.org/later"}
    copy = record("later-copy", text(3))  # the same text under another id and URL
    assert rebuild(project, [*records, later, copy], "1.1.0") == {"t/a", "t/c"}
    assert "taken down by takedown #1 of 'https://example.org/later'" in audit(project, "t/later")
    assert "an exact copy of t/later (similarity 1.0)" in audit(project, "t/later-copy")


def test_a_schema_2_takedown_is_migrated_and_still_holds(released):
    project, records = released
    database = project.config.workdir / "ledger.db"
    project.ledger.engine.dispose()
    downgrade_to_schema_2(database)
    with sqlite3.connect(database) as db:  # a takedown recorded by schema 2: selector only
        db.execute("INSERT INTO takedown (selector, reason, created_at)"
                   " VALUES ('t/a', 'old request', '2026-11-01 00:00:00')")  # fmt: skip
    (old,) = Ledger(project.config.ledger_url).takedowns()
    assert (old.only_named, old.pre_emptive, old.held) == (False, False, None)
    assert rebuild(project, records, "1.1.0") == {"t/c"}  # its copies go too
    assert "old request — an exact copy of t/a" in audit(project, "t/b")


def test_takedowns_by_content_on_postgresql(tmp_path):
    with postgres_server() as url:
        project = corpus(tmp_path, RECORDS, ledger=url)
        assert rebuild(project, RECORDS, "1.0.0") == {"t/a", "t/c"}
        assert takedown(project, "t/a").exit_code == 0
        assert takedown(project, "https://example.org/later", "--pre-emptive").exit_code == 0
        later = {**record("later", text(3)), "url": "https://example.org/later"}
        assert rebuild(project, [*RECORDS, later], "1.1.0") == {"t/c"}
        held = [t.held["doc_ids"] for t in project.ledger.takedowns()]
        assert held == [["t/a"], ["t/later"]]
        assert "an exact copy of t/a (similarity 1.0)" in audit(project, "t/b")
        project.ledger.engine.dispose()
