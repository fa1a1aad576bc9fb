"""Curation in the pipeline on real text: PII redaction, near duplicates with the keep policy,
language selection and filter drops, each recorded with its reason (../shared/data/langid)."""

from __future__ import annotations

import csv

import pyarrow.parquet as pq
import pytest

from corpusbuilder.project import Project
from corpusbuilder.textstore import sha256_text
from tests.conftest import shared_path
from tests.helpers import write_corpus


def paragraphs(language: str) -> list[str]:
    with open(shared_path("langid", "paragraphs_gutenberg.tsv"), encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [row["text"] for row in rows if row["lang"] == language]


def record(key: str, text: str, licence: str = "Public domain in the USA.") -> dict:
    return {"id": key, "text": text, "licence": licence, "url": f"https://example.org/{key}"}


@pytest.fixture(scope="module")
def curated(tmp_path_factory):
    en, fr = paragraphs("en"), paragraphs("fr")
    book = "\n\n".join(en[:6])
    edited = book.replace(" the ", " a ", 3).replace("whale", "whales", 1) + "\n\nTranscribed 2024."
    records = [
        record("sa-copy", edited, "CC BY-SA 4.0"),  # ingested first, but less open
        record("pd-book", book),
        record("contact", en[7] + " Write to pglaf@example.org or call (801) 596-1887 today."),
        record("french", "\n\n".join(fr[:3])),
        record("short", "Too short to be a document."),
    ]
    folder = tmp_path_factory.mktemp("curation")
    path = write_corpus(folder, records, curate={"languages": ["en"]}, release={"version": "1.0.0"})
    project = Project.open(path, progress=False)
    project.build()
    return project


def test_near_duplicate_keeps_the_more_open_copy_and_records_similarity(curated):
    copy = curated.ledger.document("t/sa-copy")
    assert (copy.status, copy.reason, copy.duplicate_of) == (
        "duplicate",
        "near_duplicate",
        "t/pd-book",
    )
    assert 0.65 <= copy.similarity < 1.0
    detail = [d.detail for d in curated.ledger.decisions("t/sa-copy") if d.stage == "dedup"]
    assert detail == [f"duplicates t/pd-book (similarity {copy.similarity})"]
    assert curated.ledger.document("t/pd-book").status == "kept"


def test_pii_is_redacted_in_the_release_and_counted(curated):
    doc = curated.ledger.document("t/contact")
    assert doc.pii == {"email": 1, "phone": 1}
    assert doc.raw_sha256 != doc.text_sha256
    released = curated.store.get(doc.text_sha256)
    assert "<EMAIL>" in released and "<PHONE>" in released and "pglaf@" not in released
    shard = curated.config.release_dir("1.0.0") / "data/en/train-00000-of-00001.parquet"
    rows = {r["id"]: r for r in pq.read_table(shard).to_pylist()}
    assert rows["t/contact"]["text"] == released
    assert rows["t/contact"]["text_sha256"] == sha256_text(released) == doc.text_sha256
    reasons = [(d.stage, d.reason, d.detail) for d in curated.ledger.decisions("t/contact")]
    assert ("pii", "pii_redacted", "email=1 phone=1") in reasons


def test_language_selection_and_filters_record_their_reasons(curated):
    french = curated.ledger.document("t/french")
    assert (french.status, french.reason, french.language) == (
        "filtered", "language_not_selected", "fr",
    )  # fmt: skip
    short = curated.ledger.document("t/short")
    assert (short.status, short.reason) == ("filtered", "too_few_words")
    decision = [d for d in curated.ledger.decisions("t/short") if d.stage == "filter"][0]
    assert decision.component == "gopher_quality_v1" and "< 50" in decision.detail


def test_dedup_does_not_depend_on_ingest_order(curated, tmp_path):
    reversed_records = []
    for doc in reversed(list(curated.ledger.documents())):
        text = curated.store.get(doc.raw_sha256 or doc.text_sha256)
        evidence = curated.ledger.evidence([doc.doc_id])[doc.doc_id][0].statement
        reversed_records.append(record(doc.source_key, text, evidence))
    path = write_corpus(tmp_path, reversed_records, curate={"languages": ["en"]})
    again = Project.open(path, progress=False)
    again.ingest("t")
    again.curate(workers=1)
    statuses = {d.doc_id: (d.status, d.duplicate_of) for d in again.ledger.documents()}
    assert statuses == {d.doc_id: (d.status, d.duplicate_of) for d in curated.ledger.documents()}


def test_reingest_after_pii_redaction_changes_nothing(curated):
    """The ledger compares incoming texts with the text as ingested, not as redacted."""
    again = curated.ingest("t")
    assert (again.counts["unchanged"], again.counts["changed"], again.counts["new"]) == (5, 0, 0)
    assert curated.ledger.document("t/contact").status == "kept"


def test_a_batchs_decisions_carry_one_time_within_their_run(curated):
    """Each stage's decision rows for a batch share the batch's time (the ledger formats it once),
    and that time lies within the run that made them."""
    ledger = curated.ledger
    runs = {run.id: run for run in ledger.runs()}
    by_stage: dict[tuple[int, str], set] = {}
    for key in ("sa-copy", "pd-book", "contact", "french", "short"):
        for decision in ledger.decisions(f"t/{key}"):
            run = runs[decision.run_id]
            assert run.started_at <= decision.created_at <= run.ended_at, decision
            by_stage.setdefault((decision.run_id, decision.stage), set()).add(decision.created_at)
    stages = {stage for _, stage in by_stage}
    assert {"ingest", "licence", "language", "filter", "dedup"} <= stages
    assert all(len(times) == 1 for times in by_stage.values()), by_stage
