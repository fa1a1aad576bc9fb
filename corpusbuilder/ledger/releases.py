"""The ledger's record of releases: frozen rows, written files, publications, and how the
latest release compares with what curation keeps today. Mixed into `Ledger`, which holds the
engine; like the rest of the ledger, it takes and returns plain values and light rows.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from sqlalchemy import Engine, String, bindparam, cast, exists, func, or_, select, update

from corpusbuilder.ledger.bulk import insert_many
from corpusbuilder.ledger.models import (
    Decision,
    Document,
    Evidence,
    Publication,
    Release,
    ReleaseDocument,
    ReleaseProvenance,
)
from corpusbuilder.ledger.pages import by_key
from corpusbuilder.ledger.records import (
    PublicationRecord,
    ReleaseDocumentRecord,
    ReleaseRecord,
    as_record,
    as_records,
)
from corpusbuilder.reasons import Status
from corpusbuilder.source import utc_now

Row = dict[str, Any]
STREAMED = 500  # rows a streamed query holds at once: a release's memory does not grow with it
PAGE = 2000  # kept documents a page reads: the freeze writes between pages (ledger.pages)


class ReleaseRecords:
    """Release queries of `Ledger` (which provides `engine`)."""

    engine: Engine

    def release(self, version: str) -> ReleaseRecord | None:
        table = Release.__table__
        with self.engine.connect() as connection:
            found = connection.execute(select(table).where(table.c.version == version)).first()
        return as_record(ReleaseRecord, found)

    def releases(self) -> list[ReleaseRecord]:
        """Every frozen release, oldest first."""
        table = Release.__table__
        with self.engine.connect() as connection:
            found = connection.execute(select(table).order_by(table.c.created_at))
            return as_records(ReleaseRecord, found)

    def latest_release(self) -> ReleaseRecord | None:
        table = Release.__table__
        query = select(table).order_by(table.c.created_at.desc()).limit(1)
        with self.engine.connect() as connection:
            found = connection.execute(query).first()
        return as_record(ReleaseRecord, found)

    def add_release(self, release: ReleaseRecord) -> None:
        """Freeze a release: its row goes in after its rows (`add_release_rows`), last."""
        with self.engine.begin() as connection:
            connection.execute(Release.__table__.insert(), [release._asdict()])

    def add_release_rows(self, version: str, members: list[Row], provenance: list[Row]) -> None:
        """Add a batch of the rows of release `version` being frozen, with their provenance
        (`{"doc_id", "data"}` each), in a transaction of its own: a release of any size is frozen
        a batch at a time, and is frozen once `add_release` adds its row after the last batch."""
        with self.engine.begin() as connection:
            insert_many(connection, ReleaseDocument.__table__, members)
            rows = [{"version": version, **row} for row in provenance]
            insert_many(connection, ReleaseProvenance.__table__, rows)

    def discard_unfrozen(self, version: str) -> None:
        """Delete the rows an interrupted freeze of `version` left (none once it is frozen)."""
        frozen = exists().where(Release.version == version)
        with self.engine.begin() as connection:
            for table in (ReleaseDocument.__table__, ReleaseProvenance.__table__):
                connection.execute(table.delete().where(table.c.version == version, ~frozen))

    def release_provenance(self, version: str) -> Iterator[dict]:
        """The frozen provenance of every document of a release, in doc_id order."""
        table = ReleaseProvenance.__table__
        query = select(table.c.data).where(table.c.version == version).order_by(table.c.doc_id)
        with self.engine.connect() as connection:
            yield from connection.execution_options(yield_per=STREAMED).execute(query).scalars()

    def has_provenance(self, version: str) -> bool:
        """Whether the release froze its provenance (releases frozen before it did not)."""
        table = ReleaseProvenance.__table__
        query = select(table.c.doc_id).where(table.c.version == version).limit(1)
        with self.engine.connect() as connection:
            return connection.execute(query).first() is not None

    def provenance_facts(self, doc_ids: list[str]) -> dict[str, dict[str, list]]:
        """doc_id → {"document", "decisions", "absorbed"} of the asked documents: the document
        row, the decisions of the last run that decided it after ingest, and the documents whose
        duplicate_of it is (light rows)."""
        found: dict[str, dict[str, list]] = {d: {"decisions": [], "absorbed": []} for d in doc_ids}
        with self.engine.connect() as connection:
            for start in range(0, len(doc_ids), 500):
                chunk = doc_ids[start : start + 500]
                for row in connection.execute(select(Document).where(Document.doc_id.in_(chunk))):
                    found[row.doc_id]["document"] = row
                for row in connection.execute(_last_decisions(chunk)):
                    found[row.doc_id]["decisions"].append(row)
                columns = (Document.doc_id, Document.url, Document.similarity,
                           Document.duplicate_of)  # fmt: skip
                absorbed = (
                    select(*columns)
                    .where(Document.duplicate_of.in_(chunk))
                    .order_by(Document.doc_id)
                )
                for row in connection.execute(absorbed):
                    found[row.duplicate_of]["absorbed"].append(row)
        return found

    def releasable(
        self,
        languages: Collection[str | None] | None = None,
        licences: Collection[str | None] | None = None,
    ) -> Iterator[Any]:
        """Light rows of the kept documents with their evidence count, in ingest order (seq,
        then doc_id as Python orders strings), of the given languages and licences only when
        asked (None asks for NULL), read a page at a time: a release is frozen from them a
        batch at a time, and writes between pages."""
        evidence = (
            select(func.count())
            .where(Evidence.doc_id == Document.doc_id)
            .scalar_subquery()
            .label("evidence")
        )
        columns = (Document.seq, Document.doc_id, Document.source, Document.url, Document.title,
                   Document.creator, Document.date, Document.language, Document.language_score,
                   Document.licence, Document.chars, Document.text_sha256)  # fmt: skip
        doc_id, kept = Document.doc_id, Document.status == Status.KEPT
        if self.engine.dialect.name == "postgresql":  # byte order, as Python compares strings
            doc_id = doc_id.collate("C")
        if self.engine.dialect.name == "sqlite":  # most are kept: read by the seq index, in order
            kept = func.likely(kept)
        query = (
            select(*columns, evidence)
            .where(kept)
            .where(*_among(Document.language, languages), *_among(Document.licence, licences))
        )
        for rows in by_key(self.engine, query, (Document.seq, doc_id), PAGE):
            yield from rows

    def release_members(self, version: str) -> list[Any]:
        """Light (doc_id, text_sha256, config, shard, row) rows of a release, in shard order."""
        table = ReleaseDocument
        columns = (table.doc_id, table.text_sha256, table.config, table.shard, table.row)
        query = select(*columns).where(table.version == version).order_by(table.shard, table.row)
        with self.engine.connect() as connection:
            return connection.execute(query).all()

    def release_size(self, version: str) -> int:
        """How many rows release `version` has frozen (so far, during its freeze)."""
        table = ReleaseDocument
        query = select(func.count()).select_from(table).where(table.version == version)
        with self.engine.connect() as connection:
            return connection.execute(query).scalar_one()

    def release_rows(self, version: str) -> Iterator[Any]:
        """Every frozen column of every row of a release, streamed in (shard, row) order: what
        the shards are written from."""
        table = ReleaseDocument.__table__
        query = select(table).where(table.c.version == version).order_by(table.c.shard, table.c.row)
        with self.engine.connect() as connection:
            yield from connection.execution_options(yield_per=STREAMED).execute(query)

    def releases_holding(self, doc_id: str) -> list[ReleaseDocumentRecord]:
        """The frozen releases' rows of `doc_id` (not those of a freeze still running or
        interrupted: its release row is added last)."""
        table = ReleaseDocument.__table__
        frozen = exists().where(Release.version == table.c.version)
        query = select(table).where(table.c.doc_id == doc_id, frozen).order_by(table.c.version)
        with self.engine.connect() as connection:
            return as_records(ReleaseDocumentRecord, connection.execute(query))

    def record_release_files(self, version: str, files: dict) -> dict:
        """Record the files of a release when it is first written; return the recorded ones
        (another writer's, should it have been first)."""
        table = Release.__table__
        with self.engine.begin() as connection:
            unset = or_(table.c.files.is_(None), cast(table.c.files, String) == "null")  # JSON null
            connection.execute(
                table.update().where(table.c.version == version, unset).values(files=files)
            )
            return connection.execute(
                select(table.c.files).where(table.c.version == version)
            ).scalar()

    def complete_release(self, version: str, counts: dict, rows: list[Row]) -> None:
        """Freeze what a release made before schema 2 lacks: its card facts and the row columns
        the migration could not copy from the document table (licence_url, chars, words)."""
        table = ReleaseDocument.__table__
        statement = (
            table.update()
            .where(table.c.version == version, table.c.doc_id == bindparam("_doc_id"))
            .values(
                licence_url=bindparam("licence_url"),
                chars=bindparam("chars"),
                words=bindparam("words"),
            )
        )
        with self.engine.begin() as connection:
            connection.execute(
                update(Release).where(Release.version == version).values(counts=counts)
            )
            connection.execute(statement, [{**r, "_doc_id": r["doc_id"]} for r in rows])

    def freeze_counts(self, version: str, counts: dict) -> None:
        """Add `counts` to a release's frozen counts (a changelog section, once)."""
        with self.engine.begin() as connection:
            found = connection.execute(
                select(Release.counts).where(Release.version == version)
            ).scalar()
            connection.execute(
                update(Release).where(Release.version == version).values(counts=found | counts)
            )

    def mark_published(self, version: str, repo: str, commit: str | None, tag: str | None) -> None:
        """The release's Hub repo, commit and tag (its folder publications are only in
        `publication`)."""
        values = {"hub_repo": repo, "hub_commit": commit, "hub_tag": tag, "published_at": utc_now()}
        with self.engine.begin() as connection:
            connection.execute(update(Release).where(Release.version == version).values(**values))

    def add_publication(self, row: Row) -> bool:
        """Record a publication unless the same version, target, commit and tag is recorded;
        return whether it was new."""
        table = Publication.__table__
        same = [table.c[k] == row.get(k) for k in ("version", "kind", "target")]
        same += [table.c[k].is_(None) if row.get(k) is None else table.c[k] == row[k]
                 for k in ("commit", "tag")]  # fmt: skip
        with self.engine.begin() as connection:
            if connection.execute(select(func.count()).select_from(table).where(*same)).scalar():
                return False
            connection.execute(table.insert(), [{**row, "published_at": utc_now()}])
            return True

    def publications(self, version: str | None = None) -> list[PublicationRecord]:
        """Every publication (of `version`, when given), in the order they were made."""
        table = Publication.__table__
        query = select(table).order_by(table.c.id)
        if version is not None:
            query = query.where(table.c.version == version)
        with self.engine.connect() as connection:
            return as_records(PublicationRecord, connection.execute(query))

    def release_drift(self, version: str) -> tuple[int, int]:
        """(kept documents not in release `version` as kept now, its documents no longer kept).

        (0, 0) means the release holds exactly what curation keeps today.
        """
        kept = select(Document.doc_id, Document.text_sha256).where(Document.status == Status.KEPT)
        members = select(ReleaseDocument.doc_id, ReleaseDocument.text_sha256).where(
            ReleaseDocument.version == version
        )
        with self.engine.connect() as connection:
            added = connection.execute(
                select(func.count()).select_from(kept.except_(members).subquery())
            ).scalar()
            removed = connection.execute(
                select(func.count()).select_from(members.except_(kept).subquery())
            ).scalar()
        return int(added or 0), int(removed or 0)

    def release_changes(self, version: str) -> dict[str, int]:
        """How the documents kept now differ from release `version`'s rows: {"added",
        "removed", "changed"} (by doc_id; changed: kept under another text)."""
        kept = select(Document.doc_id, Document.text_sha256).where(Document.status == Status.KEPT)
        rows = select(ReleaseDocument.doc_id, ReleaseDocument.text_sha256).where(
            ReleaseDocument.version == version
        )
        kept, rows = kept.subquery(), rows.subquery()
        queries = {
            "added": select(kept.c.doc_id).where(kept.c.doc_id.not_in(select(rows.c.doc_id))),
            "removed": select(rows.c.doc_id).where(rows.c.doc_id.not_in(select(kept.c.doc_id))),
            "changed": select(kept.c.doc_id)
            .join(rows, rows.c.doc_id == kept.c.doc_id)
            .where(kept.c.text_sha256.is_distinct_from(rows.c.text_sha256)),
        }
        with self.engine.connect() as connection:
            return {
                kind: connection.execute(select(func.count()).select_from(q.subquery())).scalar()
                for kind, q in queries.items()
            }


def _among(column: Any, values: Collection[str | None] | None) -> tuple:
    """The condition that `column` is one of `values` (None: NULL), or none when not asked."""
    if values is None:
        return ()
    condition = column.in_([v for v in values if v is not None])
    return (or_(condition, column.is_(None)) if None in values else condition,)


def _last_decisions(doc_ids: list[str]) -> Any:
    """The decisions of `doc_ids` written by the last run that decided each after ingest."""
    curated = Decision.stage != "ingest"
    last = (
        select(Decision.doc_id, func.max(Decision.run_id).label("run_id"))
        .where(Decision.doc_id.in_(doc_ids), curated)
        .group_by(Decision.doc_id)
        .subquery()
    )
    columns = (Decision.doc_id, Decision.run_id, Decision.stage, Decision.component,
               Decision.outcome, Decision.reason, Decision.detail)  # fmt: skip
    return (
        select(*columns)
        .join(last, (last.c.doc_id == Decision.doc_id) & (last.c.run_id == Decision.run_id))
        .where(curated)
        .order_by(Decision.doc_id, Decision.id)
    )
