"""Schema migrations, from day one: the ledger records its schema version in `meta`.

Each step takes a connection and brings the schema from version N-1 to N. A ledger newer than this
code is refused rather than written to.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, select
from sqlmodel import SQLModel

from corpusbuilder.errors import UserError
from corpusbuilder.ledger.models import (
    SCHEMA_VERSION,
    Document,
    Meta,
    Release,
    ReleaseDocument,
    Takedown,
)


def _create_v1(connection: Connection) -> None:
    SQLModel.metadata.create_all(connection)


# Columns added in schema 2: release rows frozen whole, published files, re-curation marks.
V2_COLUMNS = {
    ReleaseDocument.__tablename__: [
        ("source", "VARCHAR"), ("url", "VARCHAR"), ("title", "VARCHAR"), ("creator", "VARCHAR"),
        ("date", "VARCHAR"), ("language", "VARCHAR"), ("language_score", "FLOAT"),
        ("licence", "VARCHAR"), ("licence_url", "VARCHAR"), ("chars", "INTEGER"),
        ("words", "INTEGER"),
    ],
    Release.__tablename__: [("files", "JSON")],
    Document.__tablename__: [("recurate", "BOOLEAN NOT NULL DEFAULT FALSE")],
}  # fmt: skip
# The release row columns a schema-1 ledger can take from its document table; the release code
# freezes the others (licence URL, the released text's counts) on the release's next write.
BACKFILLED = ("source", "url", "title", "creator", "date", "language", "language_score", "licence")


def _v2(connection: Connection) -> None:
    """Add schema 2's columns and tables (`publication`) to a schema-1 ledger, and fill the
    release rows' new columns from the document table."""
    for table, columns in V2_COLUMNS.items():
        for name, kind in columns:
            connection.exec_driver_sql(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {kind}')
    SQLModel.metadata.create_all(connection)  # creates only the missing tables
    rows, docs = ReleaseDocument.__tablename__, Document.__tablename__
    copied = ", ".join(
        f'"{c}" = (SELECT d."{c}" FROM "{docs}" d WHERE d.doc_id = "{rows}".doc_id)'
        for c in BACKFILLED
    )
    connection.exec_driver_sql(f'UPDATE "{rows}" SET {copied}')
    connection.exec_driver_sql(
        f'CREATE INDEX IF NOT EXISTS ix_document_recurate ON "{docs}" (recurate)'
    )


# Columns added in schema 3 (new tables are created by `create_all`): table → [(name, SQL type)].
V3_COLUMNS: dict[str, list[tuple[str, str]]] = {
    Takedown.__tablename__: [("only_named", "BOOLEAN NOT NULL DEFAULT FALSE"),
                             ("pre_emptive", "BOOLEAN NOT NULL DEFAULT FALSE"), ("held", "JSON")],
    Document.__tablename__: [("language_stated", "VARCHAR")],
}  # fmt: skip


def _v3(connection: Connection) -> None:
    """Add schema 3's columns and tables to a schema-2 ledger."""
    for table, columns in V3_COLUMNS.items():
        for name, kind in columns:
            connection.exec_driver_sql(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {kind}')
    SQLModel.metadata.create_all(connection)


def _v4(connection: Connection) -> None:
    """Add schema 4's indexes of documents: those awaiting curation, and by `duplicate_of`."""
    for index in Document.__table__.indexes:
        index.create(connection, checkfirst=True)


STEPS: dict[int, Callable[[Connection], None]] = {1: _create_v1, 2: _v2, 3: _v3, 4: _v4}


def current_version(connection: Connection) -> int:
    if not connection.dialect.has_table(connection, Meta.__tablename__):
        return 0
    value = connection.execute(select(Meta.value).where(Meta.key == "schema_version")).scalar()
    return int(value or 0)


class LedgerTooNew(UserError):
    """The ledger was written by a newer corpusbuilder; this one must not write to it."""


def migrate(engine: Engine) -> int:
    """Bring the ledger to SCHEMA_VERSION; return the version it was at."""
    with engine.begin() as connection:
        found = current_version(connection)
        if found > SCHEMA_VERSION:
            raise LedgerTooNew(
                f"the ledger has schema {found}, newer than this corpusbuilder ({SCHEMA_VERSION});"
                " upgrade corpusbuilder"
            )
        if found == SCHEMA_VERSION:
            return found  # nothing to write: read-only commands never write the ledger
        if found == 0:  # a new ledger is created at the current schema
            _create_v1(connection)
        else:
            for version in range(found + 1, SCHEMA_VERSION + 1):
                STEPS[version](connection)
        table = Meta.__table__
        connection.execute(table.delete().where(table.c.key == "schema_version"))
        connection.execute(table.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
    return found
