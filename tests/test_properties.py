"""Property tests (hypothesis) of the release invariants and the ledger round trip."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpusbuilder.ledger import Ledger
from corpusbuilder.licences import Policy
from corpusbuilder.project import Project
from corpusbuilder.textstore import TextStore, sha256_text
from tests.helpers import write_corpus

STATEMENTS = [
    "CC0-1.0", "https://creativecommons.org/licenses/by/4.0/", "CC BY-SA 3.0",
    "Public domain in the USA.", "Domaine public", "MIT License",
    "CC BY-NC 4.0", "https://creativecommons.org/licenses/by-nd/2.0/", "All rights reserved",
    "http://rightsstatements.org/vocab/InC/1.0/", "info:eu-repo/semantics/openAccess",
    "Creative Commons", "free to use, ask first", "", "   ",
]  # fmt: skip
WORDS = ["river", "bread", "window", "lantern", "harbour", "meadow", "pigeon", "ladder"]

documents = st.lists(
    st.tuples(
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=30).map(" ".join),
        st.lists(st.sampled_from(STATEMENTS), min_size=1, max_size=2),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_released_rows_are_allowed_and_match_the_ledger(docs):
    with tempfile.TemporaryDirectory() as tmp:
        records = [
            {"id": str(i), "text": text, "licence": statements[0], "url": f"https://e.org/{i}"}
            for i, (text, statements) in enumerate(docs)
        ]
        project = Project.open(write_corpus(Path(tmp), records), progress=False)
        for result in [project.ingest("t")]:
            assert result.counts["seen"] == len(records)
        project.curate(workers=1)
        kept = [d for d in project.ledger.documents() if d.status == "kept"]
        if not kept:
            return
        directory = project.release("1.0.0").directory
        policy = Policy.load()
        released = 0
        for shard in sorted(directory.glob("data/*/*.parquet")):
            for row in pq.read_table(shard).to_pylist():
                released += 1
                assert policy.get(row["licence"]).allowed, row["licence"]
                doc = project.ledger.document(row["id"])
                assert row["text_sha256"] == doc.text_sha256 == sha256_text(row["text"])
        assert released == len(kept)
        # Nothing vanishes: every record ends in exactly one status.
        assert sum(c for *_, c in project.ledger.funnel()) == len(records)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(min_size=1), min_size=1, max_size=20))
def test_text_store_round_trips(texts):
    with tempfile.TemporaryDirectory() as tmp:
        store = TextStore(Path(tmp))
        shas = store.put_many(texts)
        reopened = TextStore(Path(tmp))
        assert dict(reopened.get_many(shas)) == {sha256_text(t): t for t in texts}


@settings(max_examples=50, deadline=None)
@given(
    st.text(min_size=1, max_size=50),
    st.one_of(st.none(), st.text(max_size=80)),
    st.one_of(st.none(), st.text(max_size=80)),
)
def test_ledger_round_trips_document_metadata(key, title, creator):
    ledger = Ledger("sqlite://")
    row = {
        "doc_id": f"s/{key}", "source": "s", "source_key": key, "seq": 1, "url": "u",
        "title": title, "creator": creator, "date": None, "language_hint": None,
        "status": "ingested", "reason": "ingested", "text_sha256": None, "chars": None,
        "words": None, "ingested_at": __import__("datetime").datetime.now(
            __import__("datetime").UTC),
    }  # fmt: skip
    run = ledger.start_run("ingest", "s")
    ledger.write_ingest_batch([row], [], [], [], run, None)
    doc = ledger.document(f"s/{key}")
    assert (doc.source_key, doc.title, doc.creator) == (key, title, creator)
    assert doc.ingested_at.utcoffset().total_seconds() == 0  # aware UTC, even on SQLite
