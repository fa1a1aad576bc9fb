"""The only code that holds a database session.

SQLite by default (WAL, so readers such as `audit` never block a running ingest), any SQLAlchemy
URL (e.g. ``postgresql+psycopg://…``) for teams. Bulk writes go through one compiled statement
(`bulk.execute_many`: ~8x the rows/s of per-row ORM adds, ~2x SQLAlchemy's `executemany`;
on PostgreSQL, a COPY: `bulk.insert_many`, `bulk.update_many`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson
from sqlalchemy import Engine, event, func, select, update
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from corpusbuilder.ledger.bulk import insert_many, update_many
from corpusbuilder.ledger.migrations import migrate
from corpusbuilder.ledger.models import (
    Decision,
    Document,
    Evidence,
    IngestKey,
    Meta,
    Run,
    Source,
)
from corpusbuilder.ledger.queries import DocumentQueries
from corpusbuilder.ledger.records import (
    DecisionRecord,
    DocumentRecord,
    RunRecord,
    SourceRecord,
    as_record,
    as_records,
)
from corpusbuilder.ledger.releases import ReleaseRecords
from corpusbuilder.ledger.takedowns import TakedownRecords
from corpusbuilder.reasons import Status
from corpusbuilder.source import utc_now

Row = dict[str, Any]
RECORD_FIELDS = ("url", "title", "creator", "date", "language_hint")
RECURATION = "recuration_settings"  # `meta` key: the settings `curate --all` was last asked under


# Pages the WAL may hold before a commit copies them into the database. One curation batch commits
# ~2,800 pages, more than SQLite's 1,000, so each commit checkpointed (copied every page, synced
# the file); at 10,000 (~40 MB of WAL) a checkpoint comes every few commits, and a page changed by
# several of them is copied once: commits took 45 % less for 100,000 documents written as a build
# writes them.
WAL_CHECKPOINT_PAGES = 10_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
    cursor.close()


def json_text(value: Any) -> str:
    """A JSON column's text, by orjson: ~9x json.dumps on the ~5 KB provenance row a released
    document freezes. What orjson refuses (an integer beyond 64 bits) json.dumps writes."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


def make_engine(url: str) -> Engine:
    if url in ("sqlite://", "sqlite:///:memory:"):
        memory = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        return create_engine(url, json_serializer=json_text, **memory)
    engine = create_engine(url, json_serializer=json_text)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Ledger(ReleaseRecords, DocumentQueries, TakedownRecords):
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        migrate(self.engine)

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def close(self) -> None:
        """Close the ledger's connections (a short-lived opener ends with this)."""
        self.engine.dispose()

    # -- runs and sources -------------------------------------------------------------
    def start_run(self, kind: str, source: str | None = None) -> int:
        with self._session() as session:
            run = Run(kind=kind, source=source, started_at=utc_now())
            session.add(run)
            session.commit()
            return run.id

    def finish_run(self, run_id: int, status: str, counts: dict, error: str | None = None) -> None:
        values = {"status": status, "counts": counts, "ended_at": utc_now(), "error": error}
        with self.engine.begin() as connection:
            connection.execute(update(Run).where(Run.id == run_id).values(**values))

    def abort_run(
        self, run_id: int, counts: dict, exc: BaseException, error: str | None = None
    ) -> None:
        """End a run that `exc` stopped: `interrupted` by Ctrl-C, else `failed` with `error`
        (default: the exception's type and text)."""
        if isinstance(exc, KeyboardInterrupt):
            self.finish_run(run_id, "interrupted", counts, "stopped by Ctrl-C (SIGINT)")
        else:
            error = error or f"{type(exc).__name__}: {exc}"
            self.finish_run(run_id, "failed", counts, error)

    def interrupt_dead_runs(self) -> list[RunRecord]:
        """Record every run still `running` as interrupted; return them. Call it only holding
        the corpus lock: then no other writer is alive, so each such run's process died."""
        ended = {"status": "interrupted", "ended_at": utc_now(),
                 "error": "its process died before the run ended (killed or crashed)"}  # fmt: skip
        table = Run.__table__
        query = select(table).where(table.c.status == "running").order_by(table.c.id)
        with self.engine.begin() as connection:
            dead = as_records(RunRecord, connection.execute(query))
            ids = [run.id for run in dead]
            connection.execute(table.update().where(table.c.id.in_(ids)).values(**ended))
        return [run._replace(**ended) for run in dead]

    def runs(self) -> list[RunRecord]:
        """Every run, oldest first."""
        table = Run.__table__
        with self.engine.connect() as connection:
            return as_records(RunRecord, connection.execute(select(table).order_by(table.c.id)))

    def resume_point(self, source: str) -> str | None:
        """The last checkpoint of the ingest runs of `source` since its last completed one: a
        resumed run stopped before its first checkpoint leaves the one before it in force."""
        query = (
            select(Run.status, Run.checkpoint)
            .where(Run.kind == "ingest", Run.source == source)
            .order_by(Run.id.desc())
        )
        with self.engine.connect() as connection:
            for status, checkpoint in connection.execute(query):
                if status == "completed" or checkpoint is not None:
                    return checkpoint if status != "completed" else None
        return None

    def register_source(self, name: str, adapter: str, version: str, config: dict) -> None:
        with self._session() as session:
            session.merge(
                Source(name=name, adapter=adapter, adapter_version=version, config=config)
            )
            session.commit()

    def source(self, name: str) -> SourceRecord | None:
        table = Source.__table__
        with self.engine.connect() as connection:
            found = connection.execute(select(table).where(table.c.name == name)).first()
        return as_record(SourceRecord, found)

    # -- documents ----------------------------------------------------------------------
    def known_records(self, doc_ids: Sequence[str]) -> dict[str, tuple]:
        """doc_id → what ingest compares of a recorded item: the sha256 of its text as ingested
        (None for a skip; as ingested, not as released, so a PII-redacted text does not look
        changed), its metadata, and its evidence (statement, locator, kind, jurisdiction).
        """
        ingested = func.coalesce(Document.raw_sha256, Document.text_sha256)
        columns = (Document.doc_id, ingested, *(getattr(Document, f) for f in RECORD_FIELDS))
        found: dict[str, tuple] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(doc_ids), 500):
                chunk = doc_ids[start : start + 500]
                query = select(*columns).where(Document.doc_id.in_(chunk))
                found.update({row[0]: tuple(row[1:]) for row in connection.execute(query)})
        statements = self.evidence(found)
        return {
            doc_id: (*row, tuple((e.statement, e.locator, e.kind, e.jurisdiction)
                                 for e in statements[doc_id]))
            for doc_id, row in found.items()
        }  # fmt: skip

    def seen_keys(self, doc_ids: Sequence[str]) -> set[str]:
        """Those of `doc_ids` the unfinished ingest of their source yielded before a checkpoint."""
        found: set[str] = set()
        with self.engine.connect() as connection:
            for start in range(0, len(doc_ids), 500):
                query = select(IngestKey.doc_id).where(
                    IngestKey.doc_id.in_(doc_ids[start : start + 500])
                )
                found.update(connection.execute(query).scalars())
        return found

    def forget_seen_keys(self, source: str) -> None:
        """Start a new ingest pass of `source` (or end one): no key of it is seen yet."""
        with self.engine.begin() as connection:
            table = IngestKey.__table__
            connection.execute(table.delete().where(table.c.source == source))

    def next_seq(self) -> int:
        with self.engine.connect() as connection:
            return (connection.execute(select(func.max(Document.seq))).scalar() or 0) + 1

    def write_ingest_batch(
        self,
        new: list[Row],
        changed: list[Row],
        evidence: list[Row],
        decisions: list[Row],
        run_id: int,
        checkpoint: str | None,
        seen: Sequence[Row] = (),
    ) -> None:
        """One transaction: new and changed documents, their evidence, decisions, the checkpoint
        and the `seen` keys ({doc_id, source}) yielded before it (see `IngestKey`)."""
        with self.engine.begin() as connection:
            insert_many(connection, IngestKey.__table__, list(seen))
            if changed:
                ids = [row["doc_id"] for row in changed]
                connection.execute(Evidence.__table__.delete().where(Evidence.doc_id.in_(ids)))
                connection.execute(Document.__table__.delete().where(Document.doc_id.in_(ids)))
            for table, rows in (
                (Document, new + changed),
                (Evidence, evidence),
                (Decision, decisions),
            ):
                insert_many(connection, table.__table__, rows)
            if checkpoint is not None:
                connection.execute(
                    update(Run).where(Run.id == run_id).values(checkpoint=checkpoint)
                )

    def update_documents(self, rows: list[Row], decisions: list[Row]) -> None:
        """Bulk-update documents by doc_id and append decisions, in one transaction.

        A taken-down document is never changed back: whatever a curation that overlapped the
        takedown decided about it is neither written nor recorded.
        """
        by_keys: dict[frozenset[str], list[Row]] = {}
        for row in rows:
            by_keys.setdefault(frozenset(row), []).append(row)
        table = Document.__table__
        with self.engine.begin() as connection:
            held = _taken_down(connection, [row["doc_id"] for row in rows])
            for group in by_keys.values():
                update_many(connection, table, "doc_id", group, table.c.status != Status.TAKEN_DOWN)
            decisions = [row for row in decisions if row["doc_id"] not in held]
            insert_many(connection, Decision.__table__, decisions)

    def documents(self, status: str | None = None) -> Iterator[DocumentRecord]:
        """Every document (of one `status`, when given), streamed in doc_id order."""
        table = Document.__table__
        chosen = () if status is None else (table.c.status == status,)
        query = select(table).where(*chosen).order_by(table.c.doc_id)
        with self.engine.connect() as connection:
            for rows in connection.execution_options(yield_per=2000).execute(query).partitions():
                yield from as_records(DocumentRecord, rows)

    def outcomes(self, doc_ids: Iterable[str]) -> dict[str, Any]:
        """doc_id → light (status, reason, duplicate_of) of the asked documents in the ledger."""
        doc_ids = list(doc_ids)
        found: dict[str, Any] = {}
        columns = (Document.doc_id, Document.status, Document.reason, Document.duplicate_of)
        with self.engine.connect() as connection:
            for start in range(0, len(doc_ids), 500):
                query = select(*columns).where(Document.doc_id.in_(doc_ids[start : start + 500]))
                found.update({row.doc_id: row for row in connection.execute(query)})
        return found

    def document(self, doc_id: str) -> DocumentRecord | None:
        table = Document.__table__
        with self.engine.connect() as connection:
            found = connection.execute(select(table).where(table.c.doc_id == doc_id)).first()
        return as_record(DocumentRecord, found)

    def evidence(self, doc_ids: Iterable[str]) -> dict[str, list[Any]]:
        """Evidence rows (light, no ORM objects) of the asked documents, in recorded order."""
        doc_ids = list(doc_ids)
        found: dict[str, list[Any]] = {doc_id: [] for doc_id in doc_ids}
        table = Evidence.__table__
        with self.engine.connect() as connection:
            for start in range(0, len(doc_ids), 500):
                chunk = doc_ids[start : start + 500]
                query = select(table).where(table.c.doc_id.in_(chunk)).order_by(table.c.id)
                for row in connection.execute(query):
                    found[row.doc_id].append(row)
        return found

    def text_rows(self, doc_ids: Sequence[str]) -> list[Any]:
        """(doc_id, source, raw_sha256, text_sha256, status, reason, language_hint) of the asked
        documents, in doc_id order: what curation reads of a document it decides."""
        columns = (Document.doc_id, Document.source, Document.raw_sha256, Document.text_sha256,
                   Document.status, Document.reason, Document.language_hint)  # fmt: skip
        query = select(*columns).where(Document.doc_id.in_(doc_ids)).order_by(Document.doc_id)
        with self.engine.connect() as connection:
            return connection.execute(query).all()

    def update_evidence(self, rows: list[Row]) -> None:
        if not rows:
            return
        with self.engine.begin() as connection:
            update_many(connection, Evidence.__table__, "id", rows)

    def decisions(self, doc_id: str) -> list[DecisionRecord]:
        """The decisions about `doc_id`, in the order they were written."""
        table = Decision.__table__
        query = select(table).where(table.c.doc_id == doc_id).order_by(table.c.id)
        with self.engine.connect() as connection:
            return as_records(DecisionRecord, connection.execute(query))

    def funnel(self) -> list[tuple[str, str | None, str, str | None, int]]:
        """(source, language, status, reason, count) over every document: the funnel's raw rows."""
        columns = (Document.source, Document.language, Document.status, Document.reason)
        query = select(*columns, func.count()).group_by(*columns)
        with self.engine.connect() as connection:
            rows = [tuple(row) for row in connection.execute(query)]
        # Sorted here, not in SQL: databases disagree on where NULLs sort.
        return sorted(rows, key=lambda row: tuple("" if v is None else str(v) for v in row[:4]))

    def reopen_for_curation(self, settings: str) -> int:
        """Mark every decided document for curation to decide again under `settings` (a hash of
        the policy and curation config); return how many are marked. The current decisions
        stay in force until the new ones are written. Marks an interrupted `curate --all` left
        under the same settings are kept as they are, so running it again resumes it."""
        meta, marked = Meta.__table__, Document.recurate.is_(True)
        undecided = [Status.SKIPPED, Status.TAKEN_DOWN, Status.INGESTED]
        with self.engine.begin() as connection:
            asked = connection.execute(select(meta.c.value).where(meta.c.key == RECURATION))
            if asked.scalar() != settings or not _count(connection, marked):
                connection.execute(meta.delete().where(meta.c.key == RECURATION))
                connection.execute(meta.insert().values(key=RECURATION, value=settings))
                query = update(Document).where(Document.status.not_in(undecided))
                connection.execute(query.values(recurate=True))
            return _count(connection, marked)

    def pending_recuration(self) -> int:
        """Documents whose curation is unfinished: marked by `curate --all` and not decided
        again yet, or kept by a curate run that ended before its deduplication. A release frozen
        now could hold stale decisions or duplicates, so `curate` must finish first."""
        last = select(Run.id, Run.status).where(Run.kind == "curate").order_by(Run.id.desc())
        with self.engine.connect() as connection:
            pending = _count(connection, Document.recurate.is_(True))
            run = connection.execute(last.limit(1)).first()
            if run is not None and run.status != "completed":
                kept_by_run = (
                    select(func.count(func.distinct(Decision.doc_id)))
                    .join(Document, Document.doc_id == Decision.doc_id)
                    .where(Decision.run_id == run.id, Decision.stage == "filter")
                    .where(Document.status == Status.KEPT)
                )
                pending += connection.execute(kept_by_run).scalar() or 0
        return pending


def _count(connection: Any, *conditions: Any) -> int:
    """How many documents match `conditions`."""
    query = select(func.count()).select_from(Document).where(*conditions)
    return connection.execute(query).scalar() or 0


def _taken_down(connection: Any, doc_ids: Sequence[str]) -> set[str]:
    """Which of `doc_ids` are taken down. A ledger without takedowns answers from one probe of
    the status index, not a lookup of every id (a tenth of the update's time)."""
    found: set[str] = set()
    probe = select(Document.doc_id).where(Document.status == Status.TAKEN_DOWN).limit(1)
    if connection.execute(probe).first() is None:
        return found
    for start in range(0, len(doc_ids), 500):
        query = select(Document.doc_id).where(
            Document.doc_id.in_(doc_ids[start : start + 500]),
            Document.status == Status.TAKEN_DOWN,
        )
        found.update(connection.execute(query).scalars())
    return found
