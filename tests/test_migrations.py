"""The ledger's schema version: read-only opens write nothing; a newer ledger is refused."""

from __future__ import annotations

import sqlite3

import pytest

from corpusbuilder.ledger import Ledger
from corpusbuilder.ledger.migrations import LedgerTooNew
from corpusbuilder.ledger.models import SCHEMA_VERSION


def test_opening_a_current_ledger_writes_nothing(tmp_path):
    path = tmp_path / "ledger.db"
    Ledger(f"sqlite:///{path}").engine.dispose()
    changes = sqlite3.connect(path).execute("PRAGMA data_version").fetchone()
    before = path.stat().st_mtime_ns, changes
    Ledger(f"sqlite:///{path}").engine.dispose()
    assert (path.stat().st_mtime_ns, changes) == before


def test_a_ledger_from_a_newer_corpusbuilder_is_refused_not_written(tmp_path):
    path = tmp_path / "ledger.db"
    Ledger(f"sqlite:///{path}").engine.dispose()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                   (str(SCHEMA_VERSION + 1),))  # fmt: skip
    with pytest.raises(LedgerTooNew, match=f"schema {SCHEMA_VERSION + 1}, newer than"):
        Ledger(f"sqlite:///{path}")
    value = sqlite3.connect(path).execute("SELECT value FROM meta").fetchone()[0]
    assert value == str(SCHEMA_VERSION + 1)
