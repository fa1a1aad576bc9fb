"""PostgreSQL's session advisory lock on a ledger: one writer across the machines that share it.

The corpus lock (`corpusbuilder.lock`) takes it beside its file lock and decides whether to
refuse or wait; this module is only the SQL of it, in plain values. Other databases are local
files, which the file lock covers, so they have no ledger lock. The lock lives on a connection of
its own and ends with that connection's session, so PostgreSQL drops it when the process dies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, create_engine, make_url, text
from sqlalchemy.pool import NullPool

# The advisory lock's key: one per ledger (a PostgreSQL database holds one corpus's ledger).
KEY = int.from_bytes(hashlib.sha256(b"corpusbuilder ledger").digest()[:8], "big") >> 1
HOLDERS = text(
    "SELECT a.application_name, a.backend_start FROM pg_locks l"
    " JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted"
    " AND l.classid::bigint = :high AND l.objid::bigint = :low AND l.objsubid = 1"
)


class AdvisoryLock:
    """The ledger lock on one connection: try to take it, or ask who holds it."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def try_acquire(self) -> bool:
        """Take the lock if it is free; True when this connection holds it now."""
        query = text("SELECT pg_try_advisory_lock(:key)")
        return bool(self._connection.execute(query, {"key": KEY}).scalar())

    def holder(self) -> tuple[str, datetime] | None:
        """(application name, connected since) of the connection holding the lock, if any."""
        row = self._connection.execute(HOLDERS, {"high": KEY >> 32, "low": KEY & 0xFFFFFFFF})
        found = row.first()
        return (found.application_name or "", found.backend_start) if found else None


def is_shared(url: str) -> bool:
    """Whether the ledger at `url` is a server others may write too (PostgreSQL)."""
    return make_url(url).get_backend_name() == "postgresql"


@contextmanager
def advisory_lock(url: str, label: str) -> Iterator[AdvisoryLock]:
    """A connection of its own to the PostgreSQL ledger at `url`, named `label` (what other
    commands read as the holder), for the ledger lock; the lock ends when the block does."""
    engine = create_engine(url, poolclass=NullPool, connect_args={"application_name": label})
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            yield AdvisoryLock(connection)
    finally:
        engine.dispose()
