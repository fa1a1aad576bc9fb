"""Which database errors mean "the ledger refuses this data", so that callers outside `ledger/`
can tell a bad record from a failing database without importing SQLAlchemy."""

from __future__ import annotations

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError


def refused_data(exc: BaseException) -> bool:
    """Whether `exc` is the database refusing the data (not the connection or a lock failing)."""
    if isinstance(exc, DBAPIError):
        return isinstance(exc, DataError | IntegrityError)
    return isinstance(exc, StatementError)  # a value SQLAlchemy could not bind
