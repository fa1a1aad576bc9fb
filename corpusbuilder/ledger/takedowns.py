"""The ledger's record of takedowns: the requests, what each one holds (the documents and texts
its selector resolved to) and which takedown removed which document, and how. Mixed into
`Ledger`, which holds the engine; plain values in, light rows out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Engine, func, or_, select, update

from corpusbuilder.ledger.models import Decision, Document, Takedown, TakedownMatch
from corpusbuilder.ledger.records import TakedownRecord, as_records
from corpusbuilder.reasons import Reason, Status
from corpusbuilder.source import utc_now

CHUNK = 500  # values per IN (...) clause
Row = dict[str, Any]
DOCUMENT = (Document.doc_id, Document.url, Document.text_sha256, Document.raw_sha256,
            Document.status)  # fmt: skip


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    values = sorted(set(values))
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class TakedownRecords:
    """Takedown queries of `Ledger` (which provides `engine`)."""

    engine: Engine

    def add_takedown(
        self,
        selector: str,
        reason: str,
        *,
        only_named: bool = False,
        pre_emptive: bool = False,
        held: Row | None = None,
    ) -> TakedownRecord:
        """Record a takedown request."""
        values = {"selector": selector, "reason": reason, "created_at": utc_now(),
                  "only_named": only_named, "pre_emptive": pre_emptive, "held": held}  # fmt: skip
        with self.engine.begin() as connection:
            added = connection.execute(Takedown.__table__.insert().values(**values))
            return TakedownRecord(id=added.inserted_primary_key[0], **values)

    def takedowns(self) -> list[TakedownRecord]:
        """Every takedown, in the order they were recorded."""
        table = Takedown.__table__
        with self.engine.connect() as connection:
            found = connection.execute(select(table).order_by(table.c.id))
            return as_records(TakedownRecord, found)

    def hold(self, takedown_id: int, held: Row) -> None:
        """Replace what takedown `takedown_id` holds (it grows as its selector resolves)."""
        with self.engine.begin() as connection:
            query = update(Takedown).where(Takedown.id == takedown_id).values(held=held)
            connection.execute(query)

    def named_documents(self, selector: str, doc_ids: Sequence[str] = ()) -> list[Any]:
        """(doc_id, url, text_sha256, raw_sha256, status) of every document `selector` names
        (as a doc_id, a text or raw sha256, or a URL) or whose id is in `doc_ids`."""
        conditions = [Document.doc_id == selector, Document.text_sha256 == selector,
                      Document.raw_sha256 == selector, Document.url == selector]  # fmt: skip
        conditions += [Document.doc_id.in_(chunk) for chunk in _chunks(doc_ids)]
        query = select(*DOCUMENT).where(or_(*conditions)).order_by(Document.doc_id)
        with self.engine.connect() as connection:
            return connection.execute(query).all()

    def documents_with_texts(self, shas: Iterable[str]) -> list[Any]:
        """(doc_id, url, text_sha256, raw_sha256, status) of the documents whose text (as
        released or as ingested) has one of the sha256s `shas`."""
        found: dict[str, Any] = {}
        with self.engine.connect() as connection:
            for chunk in _chunks(shas):
                match = or_(Document.text_sha256.in_(chunk), Document.raw_sha256.in_(chunk))
                found.update((row.doc_id, row) for row in connection.execute(
                    select(*DOCUMENT).where(match)))  # fmt: skip
        return [found[doc_id] for doc_id in sorted(found)]

    def curated_texts(self) -> list[tuple[str, str]]:
        """(doc_id, text_sha256) of every kept or duplicate document: those near-dedup compares."""
        statuses = [Status.KEPT, Status.DUPLICATE]
        query = select(Document.doc_id, Document.text_sha256).where(Document.status.in_(statuses))
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(query.order_by(Document.doc_id))]

    def take_down_documents(self, matches: list[Row], decisions: list[Row]) -> list[str]:
        """In one transaction: mark the documents of `matches` (TakedownMatch rows) taken down,
        with their decisions and match rows; those already taken down are left as they are.
        Return the doc_ids taken down now."""
        table = Document.__table__
        with self.engine.begin() as connection:
            already: set[str] = set()
            for chunk in _chunks(m["doc_id"] for m in matches):
                query = select(Document.doc_id).where(
                    Document.doc_id.in_(chunk), Document.status == Status.TAKEN_DOWN
                )
                already.update(connection.execute(query).scalars())
            matches = [m for m in matches if m["doc_id"] not in already]
            taken = [m["doc_id"] for m in matches]
            for chunk in _chunks(taken):
                # A `curate --all` mark goes too: there is nothing left to decide about it.
                connection.execute(table.update().where(table.c.doc_id.in_(chunk)).values(
                    status=Status.TAKEN_DOWN, reason=Reason.TAKEDOWN, recurate=False))  # fmt: skip
            decisions = [d for d in decisions if d["doc_id"] not in already]
            for model, rows in ((Decision, decisions), (TakedownMatch, matches)):
                if rows:
                    connection.execute(model.__table__.insert(), rows)
        return taken

    def takedown_of(self, doc_id: str) -> list[Any]:
        """The takedowns that removed `doc_id`: selector, reason, date and how it matched; each
        match once, though a curation that re-applies a takedown (the text changed at its
        source) records it again."""
        columns = (
            Takedown.id,
            Takedown.selector,
            Takedown.reason,
            Takedown.created_at,
            TakedownMatch.match,
            TakedownMatch.copy_of,
            TakedownMatch.similarity,
        )
        query = (
            select(*columns)
            .join(Takedown, Takedown.id == TakedownMatch.takedown_id)
            .where(TakedownMatch.doc_id == doc_id)
            .group_by(*columns)
            .order_by(func.min(TakedownMatch.id))
        )  # fmt: skip
        with self.engine.connect() as connection:
            return connection.execute(query).all()
