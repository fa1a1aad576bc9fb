"""The provenance config of a release: one row per released document with everything the ledger
knows of why it is there (evidence verbatim, the rule that accepted its licence, the curation
decisions, what each filter measured on it, PII redactions, the duplicates it absorbed), and the
`decisions` config: how many documents each source lost at each stage, and why.

Both are frozen with the release (`freeze_rows`, the funnel in `Release.counts`) and written from
that record alone, so a Hub user can audit any row without the publisher's ledger.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from corpusbuilder import registry, urls
from corpusbuilder.curate import measurements
from corpusbuilder.ledger import Ledger
from corpusbuilder.licences import Policy
from corpusbuilder.plugins import UnknownPlugin
from corpusbuilder.reasons import Status
from corpusbuilder.release import attribution, layout, shards

ROWS_PER_SHARD = 100_000

_EVIDENCE = ("statement", "locator", "kind", "jurisdiction", "retrieved_at", "resolved", "status",
             "rule")  # fmt: skip
_MEMBER = ("version", "doc_id", "text_sha256", "source", "config", "shard", "row", "chars", "words",
           "licence_url")  # fmt: skip
_DECISION = ("run_id", "stage", "component", "outcome", "reason", "detail")
_DOCUMENT = ("url", "title", "creator", "date", "language_hint", "language_stated", "language",
             "language_score", "second_language", "licence", "licence_status", "licence_rule",
             "raw_sha256")  # fmt: skip


def _strings(*names: str) -> list[tuple[str, pa.DataType]]:
    return [(name, pa.string()) for name in names]


SCHEMA = pa.schema(
    _strings("version", "doc_id", "text_sha256", "raw_sha256", "source", "adapter")
    + _strings("adapter_version", "adapter_edits")
    + _strings("url", "title", "creator", "date", "config", "shard")
    + [("row", pa.int64()), ("chars", pa.int64()), ("words", pa.int64())]
    + _strings("language_hint", "language_stated", "language")
    + [("language_score", pa.float64())]
    + _strings("second_language", "licence", "licence_url", "licence_status", "licence_rule")
    + [("licence_name", pa.string()), ("attribution", pa.bool_()), ("share_alike", pa.bool_())]
    + [
        ("evidence", pa.list_(pa.struct(_strings(*_EVIDENCE)))),
        ("curation", pa.list_(pa.struct([("run_id", pa.int64()), *_strings(*_DECISION[1:])]))),
        ("filter_measurements", pa.list_(pa.struct(
            [*_strings("filter", "measure"), ("value", pa.float64())]
        ))),
        ("pii", pa.list_(pa.struct([("kind", pa.string()), ("count", pa.int64())]))),
        ("text_modified", pa.bool_()),
        ("also_found_in", pa.list_(pa.struct(
            [("doc_id", pa.string()), ("url", pa.string()), ("similarity", pa.float64())]
        ))),
    ]
)  # fmt: skip
DECISIONS_SCHEMA = pa.schema(
    _strings("source", "stage", "outcome", "reason") + [("documents", pa.int64())]
)
# The stage whose decision leaves a document with each status (kept documents are not counted).
STAGE = {
    Status.SKIPPED: "ingest",
    Status.LICENCE_REJECTED: "licence",
    Status.QUARANTINED: "licence",
    Status.FILTERED: "filter",
    Status.DUPLICATE: "dedup",
    Status.TAKEN_DOWN: "takedown",
    Status.INGESTED: "curate",
}


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


class FrozenRows:
    """The provenance of the members of a release being frozen, a batch of members at a time
    (`{"doc_id", "data"}` each: plain JSON data in the columns of SCHEMA). Local evidence
    locators are shown relative to the corpus folder `root`: the publisher's own paths are not
    published."""

    def __init__(self, ledger: Ledger, policy: Policy, root: Path) -> None:
        self.ledger, self.policy, self.root = ledger, policy, root
        self.sources: dict[str, dict] = {}  # source → its adapter's columns

    def of(self, members: list[dict]) -> list[dict]:
        """The rows of `members`, in their order."""
        doc_ids = [m["doc_id"] for m in members]
        facts, evidence = self.ledger.provenance_facts(doc_ids), self.ledger.evidence(doc_ids)
        rows = []
        for member in members:
            fact = facts[member["doc_id"]]
            data = {k: member[k] for k in _MEMBER} | self._source(member["source"])
            data |= _document(fact["document"], member["text_sha256"], self.policy)
            data |= {
                "evidence": [_evidence(e, self.root) for e in evidence[member["doc_id"]]],
                "curation": [{k: getattr(d, k) for k in _DECISION} for d in fact["decisions"]],
                "filter_measurements": measurements.rows(fact["decisions"]),
                "also_found_in": [{"doc_id": a.doc_id, "url": a.url, "similarity": a.similarity}
                                  for a in fact["absorbed"]],
            }  # fmt: skip
            rows.append({"doc_id": member["doc_id"], "data": data})
        return rows

    def _source(self, name: str) -> dict:
        """Once a source, not a document: an adapter's lookup reads every installed entry
        point."""
        if name not in self.sources:
            source = self.ledger.source(name)
            adapter = source.adapter if source else None
            self.sources[name] = {
                "adapter": adapter,
                "adapter_version": source.adapter_version if source else None,
                "adapter_edits": _edits(adapter),
            }
        return self.sources[name]


def _edits(adapter: str | None) -> str | None:
    """What the document's adapter removes from what it reads (an uninstalled one: unknown)."""
    try:
        return registry.load(adapter).text_edits if adapter else None
    except UnknownPlugin:
        return None


def _evidence(found: Any, root: Path) -> dict:
    row = {k: _plain(getattr(found, k)) for k in _EVIDENCE}
    return row | {"locator": urls.public_locator(row["locator"], root)}


def _document(doc: Any, text_sha256: str, policy: Policy) -> dict:
    """What the ledger's document row says of a released document and its licence."""
    return (
        {k: _plain(getattr(doc, k, None)) for k in _DOCUMENT}
        | attribution.licence_terms(policy, doc.licence)
        | {
            "pii": [{"kind": k, "count": n} for k, n in sorted((doc.pii or {}).items())],
            "text_modified": bool(doc.raw_sha256) and doc.raw_sha256 != text_sha256,
        }
    )


def removed(funnel: Iterable[list]) -> list[dict]:
    """The decisions config's rows from a frozen funnel (source, language, status, reason,
    count): documents that did not reach the release, per source × stage × reason."""
    counts: Counter = Counter()
    for source, _language, status, reason, count in funnel:
        if status != Status.KEPT:
            counts[(source, STAGE.get(status, status), status, reason or status)] += count
    keys = ("source", "stage", "outcome", "reason")
    rows = sorted(counts.items())
    return [dict(zip(keys, key, strict=True)) | {"documents": n} for key, n in rows]


def write(staging: Path, rows: Iterator[dict], funnel: list, count: int) -> None:
    """The provenance shards of a release from its `count` frozen rows (streamed from the
    ledger) and its decisions summary: memory holds one row group's rows
    (`layout.ROW_GROUP_ROWS`) as Arrow data, not as Python."""
    total = max(1, math.ceil(count / ROWS_PER_SHARD))
    for index in range(total):
        path = staging / layout.provenance_path(index, total)
        shards.write_rows(path, SCHEMA, itertools.islice(rows, ROWS_PER_SHARD))
    table = pa.Table.from_pylist(removed(funnel), schema=DECISIONS_SCHEMA)
    shards.write_table(staging / layout.DECISIONS_SHARD, table)


def read(files: Iterable[Path], doc_id: str) -> dict | None:
    """The provenance row of `doc_id` in the provenance shards `files`, or None."""
    for path in files:
        table = pq.read_table(path, filters=pc.field("doc_id") == doc_id)
        if table.num_rows:
            return table.to_pylist()[0]
    return None
