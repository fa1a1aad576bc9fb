"""What the ledger answers with when it returns a whole row, and the decision rows it is given:
plain values, detached from any session, so no caller outside `ledger/` depends on the ORM (a
table model read after its session closed, or changed without being saved, fails or misleads).

Each record is a NamedTuple named after its table, whose fields are the table's columns in its
order; like the ledger's light rows it offers `_asdict()` and attribute access.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from corpusbuilder.source import utc_now

R = TypeVar("R", bound=tuple)


class RunRecord(NamedTuple):
    id: int
    kind: str  # ingest | curate | release | publish | takedown
    source: str | None
    started_at: datetime
    ended_at: datetime | None
    status: str  # running | completed | failed | interrupted
    checkpoint: str | None
    counts: dict
    error: str | None


class SourceRecord(NamedTuple):
    name: str
    adapter: str
    adapter_version: str
    config: dict


class DocumentRecord(NamedTuple):
    """A document's metadata and its current outcome (see `ledger.models.DocumentBase`)."""

    doc_id: str
    source: str
    source_key: str
    seq: int
    url: str | None
    title: str | None
    creator: str | None
    date: str | None
    language_hint: str | None
    licence: str | None
    licence_status: str | None
    licence_rule: str | None
    language: str | None
    language_score: float | None
    second_language: str | None
    language_stated: str | None
    text_sha256: str | None
    raw_sha256: str | None
    pii: dict | None
    chars: int | None
    words: int | None
    status: str
    reason: str | None
    duplicate_of: str | None
    similarity: float | None
    recurate: bool
    ingested_at: datetime


class DecisionRecord(NamedTuple):
    id: int
    doc_id: str
    run_id: int
    stage: str
    component: str
    outcome: str
    reason: str
    detail: str | None
    created_at: datetime


class ReleaseRecord(NamedTuple):
    """A frozen release; a new one is made by the freeze, which gives the ledger this record."""

    version: str
    parent: str | None
    created_at: datetime
    policy_hash: str
    config_hash: str
    manifest_hash: str
    counts: dict
    hub_repo: str | None = None
    hub_commit: str | None = None
    hub_tag: str | None = None
    published_at: datetime | None = None
    files: dict | None = None  # path → {"sha256", "size"}, recorded when first written


class ReleaseDocumentRecord(NamedTuple):
    """One frozen row of a release."""

    version: str
    doc_id: str
    text_sha256: str
    config: str
    shard: str
    row: int
    source: str | None
    url: str | None
    title: str | None
    creator: str | None
    date: str | None
    language: str | None
    language_score: float | None
    licence: str | None
    licence_url: str | None
    chars: int | None
    words: int | None


class PublicationRecord(NamedTuple):
    id: int
    version: str
    kind: str  # folder | hub
    target: str
    commit: str | None
    tag: str | None
    url: str | None
    published_at: datetime


class TakedownRecord(NamedTuple):
    id: int
    selector: str
    reason: str
    created_at: datetime
    only_named: bool
    pre_emptive: bool
    held: dict | None


def as_records(record: type[R], rows: Iterable[Any]) -> list[R]:
    """Light rows of a whole-table query as `record`s (a column it lacks is a TypeError)."""
    return [record(**row._mapping) for row in rows]


def as_record(record: type[R], row: Any) -> R | None:
    """One light row of a whole-table query as a `record`, or None for no row."""
    return None if row is None else record(**row._mapping)


def decision_row(
    doc_id: str,
    run_id: int,
    stage: str,
    component: str,
    outcome: str,
    reason: str,
    detail: str | None = None,
    *,
    at: datetime | None = None,
) -> dict[str, Any]:
    """One `decision` row, as the bulk inserts of every stage write it. `at`: when it was
    decided (default now); a batch's rows share one, which the ledger then writes once."""
    return {
        "doc_id": doc_id,
        "run_id": run_id,
        "stage": stage,
        "component": component,
        "outcome": outcome,
        "reason": reason,
        "detail": detail,
        "created_at": at or utc_now(),
    }
