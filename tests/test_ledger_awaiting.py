"""What awaits curation, read a page at a time: every waiting document once, in ingest order,
whatever curation decides between pages (test_ledger_indexes: each page is one range of an
index)."""

from __future__ import annotations

from corpusbuilder.ledger.store import Ledger
from corpusbuilder.reasons import Status
from tests.helpers import ledger_holding
from tests.ledger_backend import new_ledger


def _ledger(tmp_path, rows: list[tuple[str, int, str, bool]]) -> Ledger:
    """A ledger holding (doc_id, seq, status, recurate) rows."""
    url = new_ledger().get("ledger", f"sqlite:///{tmp_path / 'ledger.db'}")
    keys = ("doc_id", "seq", "status", "recurate")
    return ledger_holding(url, [dict(zip(keys, row, strict=True)) for row in rows])


def test_pages_hold_every_waiting_document_once_in_ingest_order(tmp_path):
    ledger = _ledger(
        tmp_path,
        [("s/a", 4, "ingested", False), ("s/b", 1, "kept", True), ("s/c", 2, "filtered", False),
         ("s/d", 3, "taken_down", True), ("s/e", 0, "ingested", False),
         ("s/f", 5, "duplicate", True), ("s/g", 5, "ingested", False),
         ("s/h", 5, "ingested", False)],
    )  # fmt: skip
    # s/f, s/g and s/h share a seq (two ingests may read the same next seq) across a page's end
    pages = list(ledger.awaiting_curation(page=2))
    assert pages == [["s/e", "s/b"], ["s/a", "s/f"], ["s/g", "s/h"]]
    assert ledger.count_awaiting_curation() == 6


def test_a_document_decided_between_pages_is_neither_read_again_nor_skipped(tmp_path):
    rows = [(f"s/{n:02d}", n, "ingested", False) for n in range(7)]
    ledger = _ledger(tmp_path, rows)
    pages = ledger.awaiting_curation(page=3)
    first = next(pages)
    decided = [{"doc_id": doc_id, "status": Status.KEPT, "reason": "kept"} for doc_id in first]
    ledger.update_documents([*decided, {"doc_id": "s/04", "status": "filtered"}], [])
    assert first == ["s/00", "s/01", "s/02"]
    assert list(pages) == [["s/03", "s/05", "s/06"]]  # s/04 was decided before its page was read


def test_nothing_waiting_gives_no_page(tmp_path):
    ledger = _ledger(tmp_path, [("s/a", 0, "kept", False)])
    assert list(ledger.awaiting_curation(page=10)) == []
    assert ledger.count_awaiting_curation() == 0
