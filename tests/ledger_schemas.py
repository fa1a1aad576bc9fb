"""Older ledger schemas, made from a current ledger, for migration tests (SQLite or PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from corpusbuilder.ledger.migrations import V2_COLUMNS, V3_COLUMNS


def _url(ledger: Path | str) -> str:
    """A ledger URL, or the path of an SQLite ledger file."""
    return ledger if isinstance(ledger, str) and "://" in ledger else f"sqlite:///{ledger}"


def _drop_columns(db, added: dict[str, list[tuple[str, str]]]) -> None:
    """Drop each column with the indexes on it first (SQLite refuses otherwise)."""
    inspector = inspect(db)
    for table, columns in added.items():
        names = {name for name, _ in columns}
        for index in inspector.get_indexes(table):
            if names & set(index["column_names"]):
                db.execute(text(f'DROP INDEX "{index["name"]}"'))
        for name in sorted(names):
            db.execute(text(f'ALTER TABLE "{table}" DROP COLUMN "{name}"'))


def downgrade_to_schema_3(ledger: Path | str) -> None:
    """Drop the indexes schema 4 added, and say schema 3."""
    engine = create_engine(_url(ledger))
    with engine.begin() as db:
        db.execute(text("DROP INDEX ix_document_awaiting"))
        db.execute(text("DROP INDEX ix_document_duplicate_of"))
        db.execute(text("UPDATE meta SET value = '3' WHERE key = 'schema_version'"))
    engine.dispose()


def downgrade_to_schema_2(ledger: Path | str) -> None:
    """Drop every column schema 3 added (and the indexes on them), and say schema 2."""
    downgrade_to_schema_3(ledger)
    engine = create_engine(_url(ledger))
    with engine.begin() as db:
        _drop_columns(db, V3_COLUMNS)
        db.execute(text("UPDATE meta SET value = '2' WHERE key = 'schema_version'"))
    engine.dispose()


def downgrade_to_schema_1(ledger: Path | str) -> None:
    """The ledger as corpusbuilder 0.1 left it: release rows with only their place, no file
    hashes, no publication table, no card facts frozen (and none of the later columns)."""
    downgrade_to_schema_2(ledger)
    engine = create_engine(_url(ledger))
    with engine.begin() as db:
        _drop_columns(db, V2_COLUMNS)
        db.execute(text("DROP TABLE publication"))
        counts = db.execute(text("SELECT counts FROM release")).scalar_one()
        counts = json.loads(counts) if isinstance(counts, str) else counts
        del counts["card"]
        db.execute(text("UPDATE release SET counts = :counts"), {"counts": json.dumps(counts)})
        db.execute(text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))
    engine.dispose()
