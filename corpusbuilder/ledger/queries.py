"""Read-only questions about documents, for curation, `docs`, `sample`, `lookup` and the card:
which documents await curation, which ended where and why, which match a text or a URL, which
releases hold them, what a source's terms say and which component decided each reason. Mixed
into `Ledger`; plain values in, light rows out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, exists, func, or_, select

from corpusbuilder.ledger.models import (
    AWAITING,
    Decision,
    Document,
    Evidence,
    Release,
    ReleaseDocument,
)
from corpusbuilder.ledger.pages import by_key
from corpusbuilder.reasons import Status

CHUNK = 500  # values per IN (...) clause
LISTED = (Document.doc_id, Document.source, Document.status, Document.reason, Document.title,
          Document.url)  # fmt: skip


class DocumentQueries:
    """Document queries of `Ledger` (which provides `engine`)."""

    engine: Engine

    def documents_by_outcome(
        self,
        status: str | None = None,
        reason: str | None = None,
        source: str | None = None,
        limit: int | None = None,
    ) -> list[Any]:
        """(doc_id, source, status, reason, title, url) of the documents with that outcome, in
        doc_id order; a filter left as None matches everything."""
        wanted = {Document.status: status, Document.reason: reason, Document.source: source}
        query = select(*LISTED).where(*(c == v for c, v in wanted.items() if v is not None))
        with self.engine.connect() as connection:
            return connection.execute(query.order_by(Document.doc_id).limit(limit)).all()

    def count_awaiting_curation(self) -> int:
        """How many documents `awaiting_curation` yields now."""
        query = select(func.count()).where(AWAITING, Document.status != Status.TAKEN_DOWN)
        with self.engine.connect() as connection:
            return connection.execute(query.select_from(Document)).scalar_one()

    def awaiting_curation(self, page: int) -> Iterator[list[str]]:
        """doc_ids curation decides, a page at a time in ingest order (so a batch reads few
        text-store segments): new documents and those `curate --all` marked, never a taken-down
        one. Each page starts after the last one read, so memory is one page whatever the corpus,
        and a document decided meanwhile is neither read again nor skipped."""
        key = (Document.seq, Document.doc_id)
        query = select(*key).where(AWAITING, Document.status != Status.TAKEN_DOWN)
        for rows in by_key(self.engine, query, key, page):
            yield [row.doc_id for row in rows]

    def removed_for(self, reason: str) -> list[str]:
        """doc_ids of every document not kept whose current reason is `reason`, in order."""
        query = select(Document.doc_id).where(Document.reason == reason)
        query = query.where(Document.status != Status.KEPT).order_by(Document.doc_id)
        with self.engine.connect() as connection:
            return list(connection.execute(query).scalars())

    def removal_details(self, doc_ids: Sequence[str], reason: str) -> dict[str, Any]:
        """doc_id → (doc_id, source, status, text, component, detail): the last decision that
        gave each document `reason`, and the sha256 of the text as ingested (what it measured)."""
        text = func.coalesce(Document.raw_sha256, Document.text_sha256).label("text")
        columns = (Document.doc_id, Document.source, Document.status, text, Decision.component,
                   Decision.detail)  # fmt: skip
        found: dict[str, Any] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(doc_ids), CHUNK):
                query = (
                    select(*columns)
                    .join(Decision, Decision.doc_id == Document.doc_id)
                    .where(Document.doc_id.in_(doc_ids[start : start + CHUNK]))
                    .where(Decision.reason == reason)
                    .order_by(Decision.id)
                )
                found.update({row.doc_id: row for row in connection.execute(query)})
        return found

    def matching_documents(self, shas: Iterable[str], url: str | None) -> list[Any]:
        """Documents whose text (as ingested or as released) has one of `shas`, or whose origin
        URL is `url`: doc_id, status, reason, duplicate_of, similarity, url, text_sha256 and
        raw_sha256."""
        shas = sorted(set(shas))
        conditions = [Document.text_sha256.in_(shas), Document.raw_sha256.in_(shas)] if shas else []
        if url:
            conditions.append(Document.url == url)
        return self._outcome_rows(or_(*conditions)) if conditions else []

    def duplicates_of(self, doc_ids: Sequence[str]) -> list[Any]:
        """Documents removed as duplicates of one of `doc_ids` (same columns as above)."""
        found = []
        for start in range(0, len(doc_ids), CHUNK):
            chunk = doc_ids[start : start + CHUNK]
            found += self._outcome_rows(Document.duplicate_of.in_(chunk))
        return sorted(found, key=lambda row: row.doc_id)

    def _outcome_rows(self, condition: Any) -> list[Any]:
        columns = (Document.doc_id, Document.status, Document.reason, Document.duplicate_of,
                   Document.similarity, Document.url, Document.text_sha256,
                   Document.raw_sha256)  # fmt: skip
        query = select(*columns).where(condition).order_by(Document.doc_id)
        with self.engine.connect() as connection:
            return connection.execute(query).all()

    def holdings(self, doc_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        """doc_id → [(version, config)] of every frozen release that holds it, by version."""
        found: dict[str, list[tuple[str, str]]] = {}
        table = ReleaseDocument
        frozen = exists().where(Release.version == table.version)  # not a freeze under way
        with self.engine.connect() as connection:
            for start in range(0, len(doc_ids), CHUNK):
                query = select(table.doc_id, table.version, table.config).where(
                    table.doc_id.in_(doc_ids[start : start + CHUNK]), frozen
                )
                for row in connection.execute(query.order_by(table.version)):
                    found.setdefault(row.doc_id, []).append((row.version, row.config))
        return found

    def collection_statements(self, source: str, limit: int) -> list[tuple[str, str]]:
        """(statement, locator) of the collection-level licence evidence of `source`, distinct,
        in order, at most `limit` (a source's terms, for the card)."""
        query = (
            select(Evidence.statement, Evidence.locator)
            .join(Document, Document.doc_id == Evidence.doc_id)
            .where(Document.source == source, Evidence.kind == "collection")
            .distinct()
            .order_by(Evidence.statement, Evidence.locator)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(query)]

    def deciders(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        """(outcome, reason) → every (stage, component) that ever decided it."""
        query = select(Decision.outcome, Decision.reason, Decision.stage, Decision.component)
        found: dict[tuple[str, str], list[tuple[str, str]]] = {}
        with self.engine.connect() as connection:
            for outcome, reason, stage, component in connection.execute(query.distinct()):
                found.setdefault((outcome, reason), []).append((stage, component))
        return found
