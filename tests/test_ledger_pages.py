"""The kept documents a release is frozen from, read a page at a time by key (ledger.pages): every
one once, in ingest order as Python orders doc_ids, and no read left open between pages, so the
freeze's writes do not grow SQLite's WAL with the corpus (717 MB at 500k documents when one
streamed read spanned them). test_ledger_indexes: each page is one range of the seq index."""

from __future__ import annotations

import sqlite3

import pytest

from corpusbuilder.ledger import releases
from corpusbuilder.ledger.store import Ledger
from corpusbuilder.reasons import Status
from tests.helpers import ledger_holding
from tests.ledger_backend import new_ledger

# (doc_id, seq, status, language): "s/B" sorts before "s/a" in byte order, after it in a
# locale's; three documents share seq 2 (two ingests may read the same next seq).
ROWS = [
    ("s/a", 2, "kept", "en"), ("s/B", 2, "kept", "fr"), ("s/c", 0, "kept", None),
    ("s/d", 1, "filtered", "en"), ("s/e", 3, "kept", "en"), ("s/C", 2, "kept", "en"),
    ("s/f", 4, "duplicate", "en"), ("s/g", 5, "kept", "fr"), ("s/h", 6, "kept", "en"),
]  # fmt: skip
IN_ORDER = ["s/c", "s/B", "s/C", "s/a", "s/e", "s/g", "s/h"]  # the kept, by (seq, doc_id)


def _ledger(url: str) -> Ledger:
    keys = ("doc_id", "seq", "status", "language")
    return ledger_holding(url, [dict(zip(keys, row, strict=True)) for row in ROWS])


@pytest.fixture(autouse=True)
def pages_of_two(monkeypatch):
    monkeypatch.setattr(releases, "PAGE", 2)  # pages end inside the run of seq 2


@pytest.fixture
def ledger(tmp_path) -> Ledger:
    return _ledger(new_ledger().get("ledger", f"sqlite:///{tmp_path / 'ledger.db'}"))


def test_pages_hold_every_kept_document_once_in_ingest_order(ledger):
    kept = sorted((seq, doc_id) for doc_id, seq, status, _ in ROWS if status == Status.KEPT)
    assert [(row.seq, row.doc_id) for row in ledger.releasable()] == kept
    assert [doc_id for _, doc_id in kept] == IN_ORDER


def test_pages_of_some_languages_hold_those_only(ledger):
    english_or_none = [row.doc_id for row in ledger.releasable(languages=["en", None])]
    assert english_or_none == ["s/c", "s/C", "s/a", "s/e", "s/h"]
    assert [row.doc_id for row in ledger.releasable(languages=["fr"])] == ["s/B", "s/g"]


def test_no_read_stays_open_between_pages_so_the_wal_can_restart(tmp_path):
    """SQLite's WAL, whichever engine the other tests use."""
    ledger = _ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    pages = ledger.releasable()
    first = [next(pages), next(pages)]  # the first page, as the freeze holds it while it writes
    ledger.update_documents([{"doc_id": "s/d", "status": Status.FILTERED}], [])
    with sqlite3.connect(tmp_path / "ledger.db") as other:
        busy, _, _ = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0, "a read still open holds the WAL: it cannot start again from its beginning"
    assert (tmp_path / "ledger.db-wal").stat().st_size == 0
    assert [row.doc_id for row in [*first, *pages]] == IN_ORDER
