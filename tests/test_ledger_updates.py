"""Bulk updates of documents: rows naming different columns each keep their own values."""

from __future__ import annotations

from datetime import UTC, datetime

from corpusbuilder.ledger import decision_row
from corpusbuilder.ledger.store import Ledger
from corpusbuilder.reasons import Status
from tests.ledger_backend import new_ledger

WHEN = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def _document(doc_id: str, seq: int, status: str = Status.INGESTED) -> dict:
    row = {"doc_id": doc_id, "source": "t", "source_key": doc_id[2:], "seq": seq}
    return row | {"status": status, "reason": "ingested", "ingested_at": WHEN, "text_sha256": "s"}


def _ledger(tmp_path) -> Ledger:
    return Ledger(new_ledger().get("ledger", f"sqlite:///{tmp_path / 'ledger.db'}"))


def test_a_bulk_update_of_mixed_columns_writes_each_rows_own_values(tmp_path):
    ledger = _ledger(tmp_path)
    documents = [_document(f"t/{n}", n) for n in range(4)]
    documents.append(_document("t/held", 4, Status.TAKEN_DOWN))
    ledger.write_ingest_batch(documents, [], [], [], 1, None)
    rows = [
        {"doc_id": "t/0", "status": "kept", "reason": "kept", "pii": {"email": 2},
         "language": "fr"},
        {"doc_id": "t/1", "status": "filtered", "reason": "too_short"},
        {"doc_id": "t/2", "status": "duplicate", "reason": "near_duplicate",
         "duplicate_of": "t/0", "similarity": 0.93},
        {"pii": None, "doc_id": "t/3", "language": "de", "reason": "kept", "status": "kept"},
        {"doc_id": "t/held", "status": "kept", "reason": "kept"},
    ]  # fmt: skip
    decisions = [decision_row(row["doc_id"], 2, "filter", "f_v1", "passed", "kept") for row in rows]
    ledger.update_documents(rows, decisions)

    found = {n: ledger.document(f"t/{n}") for n in ("0", "1", "2", "3", "held")}
    assert (found["0"].status, found["0"].pii, found["0"].language) == ("kept", {"email": 2}, "fr")
    assert (found["1"].status, found["1"].reason, found["1"].pii) == ("filtered", "too_short", None)
    assert found["1"].language is None  # a column the row did not name is left as it was
    assert (found["2"].duplicate_of, found["2"].similarity) == ("t/0", 0.93)
    assert (found["3"].language, found["3"].pii, found["3"].reason) == ("de", None, "kept")
    assert found["2"].source_key == "2" and found["2"].seq == 2
    assert found["held"].status == Status.TAKEN_DOWN  # never changed back, nor its decision kept
    assert [d.doc_id for d in ledger.decisions("t/held")] == []
    assert [d.reason for d in ledger.decisions("t/1")] == ["kept"]
    assert ledger.decisions("t/1")[0].created_at.tzinfo is not None
    ledger.close()
