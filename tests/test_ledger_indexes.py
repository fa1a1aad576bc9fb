"""The ledger's queries that run once per batch over a corpus of any size read a range of an
index, never the whole table: a query that scans grows the build as N² (a release's provenance
did). SQLite's plans are asserted; PostgreSQL plans by its statistics."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest
from sqlalchemy import event, inspect

from corpusbuilder.ledger import releases
from corpusbuilder.ledger.models import SCHEMA_VERSION
from corpusbuilder.ledger.store import Ledger
from tests.helpers import ledger_holding
from tests.ledger_schemas import downgrade_to_schema_3


def _ledger(tmp_path) -> Ledger:
    """Documents waiting, kept, and duplicates of kept ones."""
    documents = [{"doc_id": f"s/{n}", "seq": n, "status": "ingested" if n < 5 else "kept"}
                 for n in range(10)]  # fmt: skip
    documents += [{"doc_id": f"s/copy-{n}", "seq": 10 + n, "status": "ingested"}
                  for n in range(5, 10)]  # fmt: skip
    ledger = ledger_holding(f"sqlite:///{tmp_path / 'ledger.db'}", documents)
    copies = [{"doc_id": f"s/copy-{n}", "status": "duplicate", "duplicate_of": f"s/{n}"}
              for n in range(5, 10)]  # fmt: skip
    ledger.update_documents(copies, [])
    return ledger


def _plans(ledger: Ledger, asking: Callable[[], object]) -> list[list[str]]:
    """SQLite's query plan of each statement `asking` runs."""
    statements: list[tuple[str, tuple]] = []

    def record(connection, cursor, sql, params, *_):
        statements.append((sql, params))

    event.listen(ledger.engine, "before_cursor_execute", record)
    asking()
    event.remove(ledger.engine, "before_cursor_execute", record)
    with ledger.engine.connect() as connection:
        return [
            [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)]
            for sql, params in statements
        ]


def test_a_page_of_what_awaits_curation_is_one_range_of_its_partial_index(tmp_path):
    """The partial index serves the query only while both spell its condition alike; without it
    every page would sort all that still waits."""
    ledger = _ledger(tmp_path)
    pages = ledger.awaiting_curation(page=2)
    plans = _plans(ledger, lambda: (next(pages), next(pages)))  # a first page, one after it
    assert plans == [
        ["SCAN document USING INDEX ix_document_awaiting"],
        ["SEARCH document USING INDEX ix_document_awaiting ((seq,doc_id)>(?,?))"],
    ]


def test_the_duplicates_a_document_absorbed_are_found_by_index(tmp_path):
    ledger = _ledger(tmp_path)
    found = {}
    plans = _plans(ledger, lambda: found.update(ledger.provenance_facts(["s/5", "s/6"])))
    assert [row.doc_id for row in found["s/5"]["absorbed"]] == ["s/copy-5"]
    absorbed = [plan for plan in plans if "duplicate_of" in " ".join(plan)]
    assert absorbed == [
        ["SEARCH document USING INDEX ix_document_duplicate_of (duplicate_of=?)",
         "USE TEMP B-TREE FOR ORDER BY"]
    ]  # fmt: skip


def test_a_page_of_the_kept_documents_is_one_range_of_the_seq_index(tmp_path, monkeypatch):
    """Most documents are kept: read by the status index, every page of a release's freeze
    would sort all of them (N² over a corpus); `likely()` tells SQLite to read the seq index."""
    monkeypatch.setattr(releases, "PAGE", 2)
    ledger = _ledger(tmp_path)
    plans = _plans(ledger, lambda: list(ledger.releasable()))
    evidence = [
        "CORRELATED SCALAR SUBQUERY 1",
        "SEARCH evidence USING COVERING INDEX ix_evidence_doc_id (doc_id=?)",
        "USE TEMP B-TREE FOR RIGHT PART OF ORDER BY",
    ]  # among equal seqs only
    assert plans == [
        ["SCAN document USING INDEX ix_document_seq", *evidence],
        *[["SEARCH document USING INDEX ix_document_seq (seq>?)", *evidence]] * 2,
    ]  # fmt: skip


@pytest.mark.parametrize("index", ["ix_document_awaiting", "ix_document_duplicate_of"])
def test_a_schema_3_ledger_gains_the_indexes_of_schema_4(tmp_path, index):
    path = tmp_path / "ledger.db"
    Ledger(f"sqlite:///{path}").engine.dispose()
    downgrade_to_schema_3(path)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta").fetchone() == ("3",)
    ledger = Ledger(f"sqlite:///{path}")
    assert index in {found["name"] for found in inspect(ledger.engine).get_indexes("document")}
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta").fetchone() == (str(SCHEMA_VERSION),)
