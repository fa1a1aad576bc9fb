"""The documents deduplication compares (kept or duplicate), streamed in keep-policy rank order:
licence openness (lower wins), then ingest order, then doc_id, so that a document's place in the
stream is its rank. Plain values in (each licence's openness), light rows out, a chunk at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import case, func, select

from corpusbuilder.ledger.models import Document
from corpusbuilder.ledger.store import Ledger
from corpusbuilder.reasons import Status

COMPARED = Document.status.in_([Status.KEPT, Status.DUPLICATE])
CHUNK = 20_000  # rows fetched at a time


def count(ledger: Ledger) -> int:
    with ledger.engine.connect() as connection:
        return connection.execute(select(func.count()).where(COMPARED)).scalar_one()


def licences(ledger: Ledger) -> list[str | None]:
    """The distinct licences of the compared documents."""
    query = select(Document.licence).where(COMPARED).distinct()
    with ledger.engine.connect() as connection:
        return list(connection.execute(query).scalars())


def in_rank_order(ledger: Ledger, openness: Mapping[str | None, int]) -> Iterator[list[Any]]:
    """Chunks of (doc_id, text_sha256, status, duplicate_of) rows, best-ranked first; `openness`
    gives each licence of `licences` its rank (a licence it lacks ranks last)."""
    named = {licence: rank for licence, rank in openness.items() if licence is not None}
    rank = case(
        (Document.licence.is_(None), openness.get(None, len(openness))),
        *((Document.licence == licence, value) for licence, value in named.items()),
        else_=max(openness.values(), default=0) + 1,
    )
    doc_id = Document.doc_id
    if ledger.engine.dialect.name == "postgresql":  # byte order, as Python compares strings
        doc_id = doc_id.collate("C")
    columns = (Document.doc_id, Document.text_sha256, Document.status, Document.duplicate_of)
    query = select(*columns).where(COMPARED).order_by(rank, Document.seq, doc_id)
    with ledger.engine.connect() as connection:
        result = connection.execution_options(yield_per=CHUNK).execute(query)
        yield from result.partitions(CHUNK)
