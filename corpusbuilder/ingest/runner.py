"""Ingest: run a source adapter and record every item it yields in the ledger.

Idempotent and resumable: an item already recorded with the same text adds nothing; a text is
stored durably before the ledger batch that references it commits; a Checkpoint from the adapter
is saved with the batch before it, and an interrupted ingest resumes from the last one.

One record never fails the batch around it: each item is checked and normalised first
(`corpusbuilder.ingest.records`: a malformed one becomes a `malformed_record` skip), and a batch the
database still refuses is written again one item at a time, the refused item recorded as an
`unstorable_record` skip. A source key repeated anywhere in a source is recorded once, the first
occurrence, and the others are counted as `repeated_source_key` — whatever the batch size, and
across a resume too: the keys yielded before a checkpoint are kept in the ledger (`IngestKey`)
until the pass over the source completes. A document whose text exceeds the source's
`max_document_bytes` is a `too_large` skip (adapters that can skip it unread do so earlier).

A partitioned adapter (`corpusbuilder.ingest.partitions`) is read in parts by the engine's
workers, or read here and parsed by them, each partition resumed from its own checkpoint; the
workers answer in order, so the ledger is the one a serial ingest writes, whatever the workers.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.ingest.partitions import Parallel, source_items
from corpusbuilder.ingest.records import checked
from corpusbuilder.ledger import Ledger, decision_row
from corpusbuilder.ledger.errors import refused_data
from corpusbuilder.reasons import Reason, Status
from corpusbuilder.source import Checkpoint, Item, Skipped, SourceAdapter, SourceDocument, utc_now
from corpusbuilder.textstore import TextStore
from corpusbuilder.urls import corpus_locator, public_text, public_url

BATCH = 1000
UNSTORABLE = "unstorable_record"
DOCUMENT_FIELDS = ("url", "title", "creator", "date", "language_hint")


@dataclass
class IngestResult:
    source: str
    run_id: int
    resumed_from: str | None
    counts: Counter = field(default_factory=Counter)


class _Batch:
    """Items waiting for one ledger transaction, and the ledger rows made from them.

    `pending` holds the doc_ids yielded since the last checkpoint, the ledger (`seen_keys`) those
    yielded before it, by this run or the interrupted one it resumes: a key seen in either is a
    repeat, counted and ignored, so the first occurrence wins whatever `BATCH` is.
    """

    def __init__(
        self, source: str, component: str, run_id: int, max_bytes: int | None, root: Path
    ) -> None:
        self.source, self.component, self.run_id = source, component, run_id
        self.max_bytes, self.root = max_bytes, root
        self.items: dict[str, SourceDocument | Skipped] = {}
        self.pending: set[str] = set()
        self.repeated = 0

    def add(self, item: SourceDocument | Skipped, position: int) -> None:
        item = checked(item, position, self.max_bytes)
        doc_id = f"{self.source}/{item.source_key}"
        if doc_id in self.pending:
            self.repeated += 1  # counted in the run; the first occurrence is the one recorded
        else:
            self.pending.add(doc_id)
            self.items[doc_id] = item

    def drop_seen_before(self, ledger: Ledger) -> None:
        """Count as repeats the items whose key was yielded before the last checkpoint."""
        for doc_id in ledger.seen_keys(list(self.items)):
            del self.items[doc_id]
            self.pending.discard(doc_id)
            self.repeated += 1

    def seen_rows(self, checkpoint: str | None) -> list[dict]:
        """The keys to remember with `checkpoint`: everything yielded before it."""
        if checkpoint is None:
            return []
        return [{"doc_id": doc_id, "source": self.source} for doc_id in self.pending]


def _document_row(
    doc_id: str, item: Item, seq: int, source: str, sha: str | None, at: datetime
) -> dict:
    row = {
        "doc_id": doc_id,
        "source": source,
        "source_key": item.source_key,
        "seq": seq,
        "status": Status.SKIPPED if isinstance(item, Skipped) else Status.INGESTED,
        "reason": item.reason if isinstance(item, Skipped) else Reason.INGESTED,
        "ingested_at": at,
        "text_sha256": sha,
    }
    text = item.text if isinstance(item, SourceDocument) else None
    row.update({field: getattr(item, field, None) for field in DOCUMENT_FIELDS})
    row["url"] = public_url(row["url"])
    row.update(chars=text and len(text), words=text and len(text.split()))
    return row


def _evidence_rows(doc_id: str, item: SourceDocument, root: Path) -> list[dict]:
    return [
        {
            "doc_id": doc_id,
            "statement": e.statement,
            "locator": corpus_locator(e.locator, root),
            "kind": e.kind,
            "retrieved_at": e.retrieved_at,
            "jurisdiction": e.jurisdiction,
        }
        for e in item.evidence
    ]


def _record(item: Item, sha: str | None, root: Path) -> tuple:
    """What `Ledger.known_records` holds of `item` once written: a skip is its (absent) text."""
    if isinstance(item, Skipped):
        return (None, *(None for _ in DOCUMENT_FIELDS), ())
    fields = (public_url(item.url), item.title, item.creator, item.date, item.language_hint)
    evidence = tuple((e.statement, corpus_locator(e.locator, root), e.kind, e.jurisdiction)
                     for e in item.evidence)  # fmt: skip
    return (sha, *fields, evidence)


def _change(was: tuple, sha: str | None) -> str:
    """Why a recorded item is written again: its text, or (same text) its metadata or evidence,
    which must reach curation again: a source that changed its licence statement is re-decided."""
    return Reason.TEXT_CHANGED if was[0] != sha else Reason.RECORD_CHANGED


def _rows(batch: _Batch, ledger: Ledger, store: TextStore) -> tuple[list[list[dict]], Counter]:
    """The ledger rows (new, changed, evidence, decisions) of `batch`, and what they add."""
    known = ledger.known_records(list(batch.items))
    documents = {k: i for k, i in batch.items.items() if isinstance(i, SourceDocument)}
    shas = dict(zip(documents, store.put_many(i.text for i in documents.values()), strict=True))
    new, changed, evidence, decisions = [], [], [], []
    added = Counter()  # counted once committed: a batch interrupted mid-write is written again
    seq, at = ledger.next_seq(), utc_now()  # one time for the batch: the ledger formats it once
    for doc_id, item in batch.items.items():
        sha = shas.get(doc_id)
        was = known.get(doc_id)
        if was is not None and was == _record(item, sha, batch.root):
            added["unchanged"] += 1
            continue
        row = _document_row(doc_id, item, seq, batch.source, sha, at)
        seq += 1
        (changed if was is not None else new).append(row)
        reason = row["reason"] if was is None else _change(was, sha)
        detail = public_text(item.detail) if isinstance(item, Skipped) else None
        decisions.append(
            decision_row(
                doc_id,
                batch.run_id,
                "ingest",
                batch.component,
                row["status"],
                reason,
                detail,
                at=at,
            )
        )
        if isinstance(item, SourceDocument):
            evidence += _evidence_rows(doc_id, item, batch.root)
        if was is not None:
            added["changed"] += 1
        else:
            added[f"skipped:{item.reason}" if isinstance(item, Skipped) else "new"] += 1
    return [new, changed, evidence, decisions], added


def _write(batch: _Batch, ledger: Ledger, store: TextStore, checkpoint: str | None) -> Counter:
    rows, added = _rows(batch, ledger, store)
    ledger.write_ingest_batch(*rows, batch.run_id, checkpoint, batch.seen_rows(checkpoint))
    return added


def _write_each(batch: _Batch, ledger: Ledger, store: TextStore, checkpoint: str | None) -> Counter:
    """Write the items of a batch the database refused one at a time; an item it refuses alone
    is recorded as an `unstorable_record` skip instead, and the rest are kept."""
    added, items = Counter(), batch.items
    for doc_id, item in items.items():
        batch.items = {doc_id: item}
        try:
            added += _write(batch, ledger, store, None)
        except Exception as exc:
            if not refused_data(exc):
                raise
            refusal = str(getattr(exc, "orig", None) or exc).partition("\n")[0][:200]
            detail = public_text(f"the ledger refused the record: {type(exc).__name__}: {refusal}")
            batch.items = {doc_id: Skipped(item.source_key, UNSTORABLE, detail)}
            added += _write(batch, ledger, store, None)
    batch.items = {}
    ledger.write_ingest_batch([], [], [], [], batch.run_id, checkpoint, batch.seen_rows(checkpoint))
    return added


def _flush(batch: _Batch, ledger: Ledger, store: TextStore, counts: Counter, checkpoint) -> None:
    batch.drop_seen_before(ledger)
    try:
        added = _write(batch, ledger, store, checkpoint)
    except Exception as exc:
        if not refused_data(exc) or len(batch.items) == 0:
            raise
        added = _write_each(batch, ledger, store, checkpoint)
    counts.update(added)
    counts["repeated_source_key"] += batch.repeated
    batch.items, batch.repeated = {}, 0
    if checkpoint is not None:
        batch.pending = set()  # remembered by the ledger from now on


def ingest(
    ledger: Ledger,
    store: TextStore,
    source: str,
    adapter: SourceAdapter,
    fetch: Fetcher,
    limit: int | None = None,
    progress: bool = True,
    parallel: Parallel | None = None,
) -> IngestResult:
    """Run `adapter` and record what it yields; raise after recording what was committed.
    A partitioned adapter's records are parsed on `parallel`'s engine (here without one)."""
    resume = ledger.resume_point(source)
    if resume is None:
        ledger.forget_seen_keys(source)  # a new pass over the source
    ledger.register_source(source, adapter.name, adapter.version, adapter.config)
    run_id = ledger.start_run("ingest", source)
    result = IngestResult(source, run_id, resume)
    max_bytes = adapter.config.get("max_document_bytes")  # declared options checked it
    max_bytes = max_bytes if type(max_bytes) is int else None
    root = Path(fetch.base_dir or Path.cwd()).resolve()  # local locators are kept relative to it
    batch = _Batch(source, f"{adapter.name}@{adapter.version}", run_id, max_bytes, root)
    items = source_items(adapter, fetch, limit, resume, parallel)
    try:
        for item in tqdm(items, desc=f"ingest {source}", unit=" items", disable=not progress):
            if isinstance(item, Checkpoint):
                _flush(batch, ledger, store, result.counts, item.value)
                continue
            result.counts["seen"] += 1
            batch.add(item, result.counts["seen"])
            if len(batch.items) >= BATCH:
                _flush(batch, ledger, store, result.counts, None)
        _flush(batch, ledger, store, result.counts, None)
    except BaseException as exc:
        with contextlib.suppress(Exception):  # keep every complete item yielded so far
            _flush(batch, ledger, store, result.counts, None)
        error = public_text(f"{type(exc).__name__}: {exc}")
        ledger.abort_run(run_id, dict(result.counts), exc, error)  # or interrupted by Ctrl-C
        raise
    finally:
        items.close()  # the engine's workers stop with the run
    ledger.finish_run(run_id, "completed", dict(result.counts))
    ledger.forget_seen_keys(source)
    return result
