"""The language a source states against the detected one (issue 9, item 5): a confident
disagreement holds the document for review with both values recorded, agreement releases it, and
an unsure detector takes the stated language. End to end on Gutenberg fixtures the tests write in
PG's own formats, and on the step alone."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
import yaml

from corpusbuilder import audit, stats
from corpusbuilder.curate import language_metadata
from corpusbuilder.ledger import Ledger
from corpusbuilder.ledger.models import SCHEMA_VERSION
from corpusbuilder.licences import Policy
from corpusbuilder.project import Project
from corpusbuilder.release import attribution
from corpusbuilder.release.freeze import freeze
from corpusbuilder.steps import Doc, default_names
from tests.ledger_schemas import downgrade_to_schema_2
from tests.sources.test_gutenberg import book, pg_text, rdf

ENGLISH = (
    "The old harbour town woke slowly under a grey sky. Fishermen carried their nets down to the "
    "boats, and the baker opened his shutters while the church bell rang seven. Children ran "
    "along the quay, shouting to the gulls that circled above the masts."
)
GERMAN = (
    "Die alte Hafenstadt erwachte langsam unter einem grauen Himmel. Die Fischer trugen ihre "
    "Netze zu den Booten hinunter, und der Bäcker öffnete seine Läden, während die Kirchenglocke "
    "sieben schlug. Kinder liefen den Kai entlang und riefen den Möwen zu."
)
CAST_LIST = "Hamlet. Ophelia. Laertes. Polonius."  # names only: the detector is unsure


def german_record(number: str) -> str:
    """PG's catalog RDF for a book whose language the catalog gives as German."""
    record = rdf(number, title=f"Buch {number}")
    assert "<rdf:value>en</rdf:value>" in record
    return record.replace("<rdf:value>en</rdf:value>", "<rdf:value>de</rdf:value>")


def stated_german(root: Path, **curate) -> Project:
    """Three books the catalog calls German: one English text, one German, one cast list;
    ingested and curated."""
    for number, body in (("101", ENGLISH), ("102", GERMAN), ("103", CAST_LIST)):
        book(root, number, pg_text(body, title=f"BUCH {number}"), german_record(number))
    path = root / "corpus.yaml"
    path.write_text(yaml.safe_dump(_config(root, **curate)), encoding="utf-8")
    project = Project.open(path, progress=False)
    project.ingest("pg")
    project.curate(workers=1)
    return project


def _config(root: Path, **curate) -> dict:
    return {
        "name": "stated-languages",
        "sources": [
            {
                "name": "pg",
                "adapter": "gutenberg",
                "catalog": str(root / "cat"),
                "mirror": str(root / "mirror"),
            }
        ],  # fmt: skip
        "curate": {"filters": {}, "near_dedup": False, **curate},
        "release": {"version": "1.0.0"},
    }


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    project = stated_german(tmp_path_factory.mktemp("gutenberg"))
    # Frozen only: the release's members and counts are what this check changes.
    freeze(project.config, project.ledger, project.store, Policy.load(), "1.0.0")
    return project


def test_english_text_of_a_german_catalog_record_is_held_with_both_languages(project):
    doc = project.ledger.document("pg/101")
    assert (doc.status, doc.reason) == ("held", "language_mismatch")
    assert (doc.language, doc.language_hint, doc.language_stated) == ("en", "de", "de")
    [held] = [d for d in project.ledger.decisions("pg/101") if d.reason == "language_mismatch"]
    assert (held.stage, held.component, held.outcome) == (
        "language",
        "language_metadata_v1",
        "held",
    )
    assert (
        held.detail.startswith("detected en 0.9") and "the source states de ('de')" in held.detail
    )


def test_audit_shows_the_hold_and_both_languages(project):
    text = audit.render(audit.report(project.ledger, "pg/101"))
    assert "pg/101: held (language_mismatch)" in text
    assert "  language:  en (" in text
    assert "  stated:    de (de) by the source's metadata" in text
    assert "not released because it is held for review" in text


def test_agreement_is_released_and_the_held_text_is_not(project):
    doc = project.ledger.document("pg/102")
    assert (doc.status, doc.language, doc.language_stated) == ("kept", "de", "de")
    rows = {row.doc_id: row.config for row in project.ledger.release_rows("1.0.0")}
    assert rows == {"pg/102": "de", "pg/103": "de"}


def test_unsure_detector_takes_the_stated_language_and_does_not_hold(project):
    doc = project.ledger.document("pg/103")
    assert (doc.status, doc.language, doc.language_score) == ("kept", "de", None)
    [used] = [d for d in project.ledger.decisions("pg/103") if d.reason == "language_stated_used"]
    found = re.fullmatch(
        r"detector unsure \((\w+) (0\.\d{4})\); the source states de \('de'\)", used.detail
    )
    assert found and float(found[2]) < language_metadata.MIN_SCORE  # measured: la 0.5779


def test_stats_and_the_frozen_funnel_count_the_held_document(project):
    rows = project.ledger.funnel()
    assert [list(row) for row in rows] == project.ledger.release("1.0.0").counts["funnel"]
    assert stats.by_source(rows)["pg"]["held"] == 1
    assert ("pg", "en", "held", "language_mismatch", 1) in stats.reasons(rows)
    assert "held for review" in stats.render(rows)


def test_the_step_runs_after_language_identification_by_default():
    chain = default_names({})
    assert chain.index("language_metadata_v1") == chain.index("langdetect_fasttext_v8") + 1


# -- the step alone -------------------------------------------------------------------------
def run_one(hint: str | None, language: str, score: float):
    doc = Doc("t/1", "text", "t", "CC0-1.0", language, score, language_hint=hint)
    return language_metadata.LanguageMetadataStep().run([doc])[0]


@pytest.mark.parametrize(
    ("hint", "detected"),
    [("German", "de"), ("ger", "de"), ("deu", "de"), ("de-DE", "de"), ("Deutsch", "de"),
     ("en_US", "en"), ("nob", "no"), ("Latin", "la"), ("lat", "la"), ("Spanish; Castilian", "es")],
)  # fmt: skip
def test_stated_names_and_codes_agree_with_the_detected_code(hint, detected):
    outcome = run_one(hint, detected, 0.99)
    assert (outcome.dropped, outcome.reason) == (False, None)
    assert outcome.annotations == {"language_stated": language_metadata.normalise(hint)}


@pytest.mark.parametrize("hint", [None, "", "und", "mul", "zxx", "Klingonish", "xx", "français!"])
def test_a_value_that_names_no_single_language_is_ignored(hint):
    outcome = run_one(hint, "en", 0.99)
    assert (outcome.dropped, outcome.reason, dict(outcome.annotations)) == (
        False,
        None,
        {"language_stated": None},
    )


def test_confident_disagreement_is_held():
    outcome = run_one("fre", "en", 0.95)
    assert (outcome.dropped, outcome.held, outcome.reason) == (True, True, "language_mismatch")
    assert outcome.detail == "detected en 0.9500; the source states fr ('fre')"
    assert outcome.annotations == {"language_stated": "fr"}


@pytest.mark.parametrize(("hint", "detected"), [("ms", "id"), ("da", "no"), ("sr", "hr")])
def test_close_but_distinct_languages_disagree(hint, detected):
    assert run_one(hint, detected, 0.99).reason == "language_mismatch"


def test_mutually_intelligible_variants_agree():
    assert run_one("bs", "hr", 0.99).reason is None


def test_below_the_threshold_the_stated_language_is_used():
    outcome = run_one("fr", "en", language_metadata.MIN_SCORE - 0.01)
    assert (outcome.dropped, outcome.reason) == (False, "language_stated_used")
    assert outcome.annotations["language"] == "fr"
    assert outcome.annotations["language_score"] is None


def test_a_schema_2_ledger_gains_the_stated_language_column(tmp_path):
    path = tmp_path / "ledger.db"
    Ledger(f"sqlite:///{path}").engine.dispose()
    downgrade_to_schema_2(path)
    Ledger(f"sqlite:///{path}").engine.dispose()
    with sqlite3.connect(path) as db:
        columns = [row[1] for row in db.execute('PRAGMA table_info("document")')]
        version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert "language_stated" in columns and version == (str(SCHEMA_VERSION),)


@pytest.mark.parametrize("trusted,language", [("detected", "en"), ("stated", "de")])
def test_after_review_the_corpus_says_whom_to_trust_and_curate_all_decides_again(
    tmp_path, trusted, language
):
    held = stated_german(tmp_path)
    assert held.ledger.document("pg/101").status == "held"
    path = held.config.path
    path.write_text(yaml.safe_dump(_config(tmp_path, language_mismatch=trusted)), encoding="utf-8")
    project = Project.open(path, progress=False)
    project.curate(workers=1, redo=True)
    doc = project.ledger.document("pg/101")
    assert (doc.status, doc.language, doc.language_stated) == ("kept", language, "de")
    last = [d for d in project.ledger.decisions("pg/101") if d.reason == "language_mismatch"][-1]
    assert last.outcome == "passed" and last.detail.endswith(f"; {trusted} trusted")


def test_the_frozen_provenance_names_what_the_adapter_removed(project):
    """Gutenberg strips PG's header and licence: the notice travels with each row (and into
    ATTRIBUTION.md for licences that ask to indicate changes)."""
    rows = {row["doc_id"]: row for row in project.ledger.release_provenance("1.0.0")}
    edits = rows["pg/102"]["adapter_edits"]
    assert edits == "the Project Gutenberg header, licence and footer removed"
    assert attribution.modifications(rows["pg/102"]) == [edits]
