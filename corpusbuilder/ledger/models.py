"""Ledger tables (sqlmodel). Timestamps are timezone-aware UTC; JSON columns hold small dicts.

The `decision` table is append-only: every stage writes what it decided and why, with the
versioned name of the component that decided.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from corpusbuilder.reasons import Status

SCHEMA_VERSION = 4
# The documents curation decides next: new ones and those `curate --all` marked. Written once, as
# SQL, because a partial index serves a query only when the query repeats its condition verbatim.
AWAITING = text(f"(status = '{Status.INGESTED}' OR recurate IS TRUE)")
DUPLICATES = text("duplicate_of IS NOT NULL")  # implied by any `duplicate_of IN (...)`


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on every database (SQLite stores no offset, so one is restored)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the ledger stores aware UTC only")
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def _utc_column(**kwargs: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kwargs))


class Meta(SQLModel, table=True):
    """Key/value facts about the ledger itself, such as its schema version."""

    key: str = Field(primary_key=True)
    value: str


class Source(SQLModel, table=True):
    name: str = Field(primary_key=True)
    adapter: str
    adapter_version: str
    config: dict = Field(default_factory=dict, sa_column=Column(JSON))


class Run(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str  # ingest | curate | release | publish | takedown
    source: str | None = None
    started_at: datetime = _utc_column(nullable=False)
    ended_at: datetime | None = _utc_column(nullable=True)
    status: str = "running"  # running | completed | failed | interrupted
    checkpoint: str | None = None
    counts: dict = Field(default_factory=dict, sa_column=Column(JSON))
    error: str | None = None


class DocumentBase(SQLModel):
    doc_id: str = Field(primary_key=True)  # <source>/<source_key>
    source: str = Field(index=True)
    source_key: str
    seq: int = Field(index=True)  # ingest order, for the "earliest ingested wins" keep policy
    url: str | None = None
    title: str | None = None
    creator: str | None = None
    date: str | None = None
    language_hint: str | None = None
    licence: str | None = None
    licence_status: str | None = None  # allowed | rejected | unknown
    licence_rule: str | None = None
    language: str | None = None
    language_score: float | None = None
    second_language: str | None = None  # a substantial second language, flagged by langid
    language_stated: str | None = None  # language_hint as an ISO 639 code, when it names one
    text_sha256: str | None = None  # of the text as released (after PII redaction)
    raw_sha256: str | None = None  # of the text as ingested
    pii: dict | None = Field(default=None, sa_column=Column(JSON))  # redactions by kind
    chars: int | None = None
    words: int | None = None
    status: str = Field(index=True)
    reason: str | None = None  # the reason code of the current status
    duplicate_of: str | None = None
    similarity: float | None = None  # to `duplicate_of` (1.0 for an exact duplicate)
    # `curate --all` marks documents for a new decision; the current one stays in force until then
    recurate: bool = Field(default=False, index=True)


class Document(DocumentBase, table=True):
    ingested_at: datetime = _utc_column(nullable=False)

    # Curation reads what awaits it a page at a time, in ingest order: this index holds only
    # those documents, so a page is one range of it however many documents were decided before.
    # A release's provenance names the duplicates each document absorbed: without an index on
    # `duplicate_of` every batch of 500 scanned the whole table (the release grew as N²).
    __table_args__ = (
        Index("ix_document_awaiting", "seq", "doc_id", sqlite_where=AWAITING,
              postgresql_where=AWAITING),
        Index("ix_document_duplicate_of", "duplicate_of", sqlite_where=DUPLICATES,
              postgresql_where=DUPLICATES),
    )  # fmt: skip


class Evidence(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    doc_id: str = Field(index=True)
    statement: str
    locator: str
    kind: str
    retrieved_at: datetime = _utc_column(nullable=False)
    jurisdiction: str | None = None
    resolved: str | None = None
    status: str | None = None
    rule: str | None = None


class IngestKey(SQLModel, table=True):
    """A doc_id the unfinished ingest of its source yielded before its last checkpoint: the key's
    first occurrence, so a repeat after a resume is counted as repeated, never recorded again."""

    __tablename__ = "ingest_key"
    doc_id: str = Field(primary_key=True)
    source: str = Field(index=True)


class Decision(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    doc_id: str = Field(index=True)
    run_id: int
    stage: str  # ingest | licence | language | filter | dedup | takedown
    component: str  # versioned name, e.g. langdetect_windows_v1
    outcome: str  # a Status value, or "passed"
    reason: str
    detail: str | None = None
    created_at: datetime = _utc_column(nullable=False)


class Release(SQLModel, table=True):
    version: str = Field(primary_key=True)
    parent: str | None = None
    created_at: datetime = _utc_column(nullable=False)
    policy_hash: str
    config_hash: str
    manifest_hash: str
    counts: dict = Field(default_factory=dict, sa_column=Column(JSON))
    hub_repo: str | None = None
    hub_commit: str | None = None
    hub_tag: str | None = None
    published_at: datetime | None = _utc_column(nullable=True)
    # path → {"sha256", "size"} of every file of the release, recorded when first written
    files: dict | None = Field(default=None, sa_column=Column(JSON))


class ReleaseDocument(SQLModel, table=True):
    """One row of a frozen release: every column of the shard row is frozen here, so writing the
    release again never reads today's ledger or policy."""

    __table_args__ = (Index("ix_release_document_doc", "doc_id"),)

    version: str = Field(primary_key=True)
    doc_id: str = Field(primary_key=True)
    text_sha256: str
    config: str  # the language config the row lands in
    shard: str  # path of the shard inside the release, e.g. data/fr/train-00000-of-00001.parquet
    row: int
    source: str | None = None
    url: str | None = None
    title: str | None = None
    creator: str | None = None
    date: str | None = None
    language: str | None = None
    language_score: float | None = None
    licence: str | None = None
    licence_url: str | None = None
    chars: int | None = None
    words: int | None = None


class ReleaseProvenance(SQLModel, table=True):
    """The provenance of one released document (evidence, curation decisions, PII counts, the
    duplicates it absorbed), frozen with its release: its provenance config is written from it."""

    version: str = Field(primary_key=True)
    doc_id: str = Field(primary_key=True)
    data: dict = Field(default_factory=dict, sa_column=Column(JSON))


class Publication(SQLModel, table=True):
    """Every place a release was published to (a folder or a Hub repo), not only the last."""

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(index=True)
    kind: str  # folder | hub
    target: str  # the folder's absolute path, or the Hub repo id
    commit: str | None = None
    tag: str | None = None
    url: str | None = None
    published_at: datetime = _utc_column(nullable=False)


class Takedown(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    selector: str  # a doc_id, a text sha256, or a URL
    reason: str
    created_at: datetime = _utc_column(nullable=False)
    only_named: bool = False  # `--only`: the named documents, not the copies of their texts
    pre_emptive: bool = False  # `--pre-emptive`: recorded before any document matched
    # What the selector resolved to, so it holds when a text or URL changes:
    # {"doc_ids": [...], "texts": {sha256: the doc_id it was read from}}
    held: dict | None = Field(default=None, sa_column=Column(JSON))


class TakedownMatch(SQLModel, table=True):
    """Which takedown removed a document, and how: named by it, or a copy of a text it holds."""

    id: int | None = Field(default=None, primary_key=True)
    takedown_id: int = Field(index=True)
    doc_id: str = Field(index=True)
    run_id: int
    match: str  # named | exact_copy | near_copy
    copy_of: str | None = None  # the doc_id whose held text it copies
    similarity: float | None = None  # estimated Jaccard to that text (1.0 for an exact copy)
    created_at: datetime = _utc_column(nullable=False)
