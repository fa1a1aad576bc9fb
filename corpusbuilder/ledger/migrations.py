"""Schema migrations, from day one: the ledger records its schema version in `meta`.

Each step takes a connection and brings the schema from version N-1 to N. A ledger newer than this
code is refused rather than written to.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, select
from sqlmodel import SQLModel

from corpusbuilder.ledger.models import SCHEMA_VERSION, Meta


def _create_v1(connection: Connection) -> None:
    SQLModel.metadata.create_all(connection)


STEPS: dict[int, Callable[[Connection], None]] = {1: _create_v1}


def current_version(connection: Connection) -> int:
    if not connection.dialect.has_table(connection, Meta.__tablename__):
        return 0
    value = connection.execute(select(Meta.value).where(Meta.key == "schema_version")).scalar()
    return int(value or 0)


def migrate(engine: Engine) -> int:
    """Bring the ledger to SCHEMA_VERSION; return the version it was at."""
    with engine.begin() as connection:
        found = current_version(connection)
        if found > SCHEMA_VERSION:
            raise RuntimeError(
                f"the ledger has schema {found}, newer than this corpusbuilder ({SCHEMA_VERSION});"
                " upgrade corpusbuilder"
            )
        for version in range(found + 1, SCHEMA_VERSION + 1):
            STEPS[version](connection)
        table = Meta.__table__
        connection.execute(table.delete().where(table.c.key == "schema_version"))
        connection.execute(table.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
    return found
