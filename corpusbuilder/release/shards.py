"""Language-split Parquet shards with a schema fixed up front.

``data/<language>/train-0000K-of-0000N.parquet``: zstd, a page index, row groups well under
100 MB, and content-defined chunking where pyarrow offers it. Nothing time- or machine-dependent
is written, so the same rows give the same bytes.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corpusbuilder.release import layout

SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("text", pa.large_string()),
        ("source", pa.string()),
        ("url", pa.string()),
        ("title", pa.string()),
        ("creator", pa.string()),
        ("date", pa.string()),
        ("language", pa.string()),
        ("language_score", pa.float64()),
        ("licence", pa.string()),
        ("licence_url", pa.string()),
        ("text_sha256", pa.string()),
        ("chars", pa.int64()),
        ("words", pa.int64()),
    ]
)
ROW_GROUP_BYTES = 64 * 2**20
SHARD_BYTES = 256 * 2**20


def shard_name(config: str, index: int, count: int) -> str:
    """The shard's path in the release (the layout lives in `layout`)."""
    return layout.shard_path(config, index, count)


def plan_shards(config: str, sizes: Sequence[int], shard_bytes: int = SHARD_BYTES) -> list[str]:
    """The shard of each row, in order: consecutive rows, about `shard_bytes` of text a shard."""
    count = max(1, math.ceil(sum(sizes) / shard_bytes))
    target = sum(sizes) / count
    plan, index, filled = [], 0, 0
    for size in sizes:
        if filled >= target * (index + 1) and index < count - 1:
            index += 1
        plan.append(shard_name(config, index, count))
        filled += size
    return plan


def _has_cdc() -> bool:
    """Whether this pyarrow writes content-defined chunks (pyarrow >= 21)."""
    return "use_content_defined_chunking" in inspect.signature(pq.ParquetWriter).parameters


# Content-defined chunking cuts pages where the content says, not every N bytes, so a release
# that adds or removes a few documents leaves most pages byte-identical, and the Hub's
# deduplicating storage uploads only what changed. Deterministic: same rows, same bytes.
WRITER_OPTIONS = {"compression": "zstd", "write_page_index": True, "write_statistics": True}
if _has_cdc():
    WRITER_OPTIONS["use_content_defined_chunking"] = True
# Dictionaries only for columns of repeated values: a unique column (id, text, url, title,
# sha256) gains nothing from one, and a new value in the middle of a release would renumber
# every later index, so no page after it would stay the same.
SHARD_OPTIONS = WRITER_OPTIONS | {
    "use_dictionary": ["source", "creator", "date", "language", "licence", "licence_url"]
}


def write_table(path: Path, table: pa.Table) -> None:
    """Write a small table (provenance, decisions) as one shard, with the shards' options."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    with pq.ParquetWriter(tmp, table.schema, **WRITER_OPTIONS) as writer:
        writer.write_table(table)
    tmp.replace(path)


def write_shard(path: Path, rows: Iterable[dict]) -> int:
    """Stream `rows` (dicts with the SCHEMA's keys) into one shard, a row group per ~64 MB of
    text, so memory holds one row group, never the shard; return the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    written = 0
    with pq.ParquetWriter(tmp, SCHEMA, **SHARD_OPTIONS) as writer:
        group: list[dict] = []
        group_bytes = 0
        for row in rows:
            group.append(row)
            group_bytes += len(row["text"].encode("utf-8"))
            if group_bytes >= ROW_GROUP_BYTES:
                writer.write_table(pa.Table.from_pylist(group, schema=SCHEMA))
                written, group, group_bytes = written + len(group), [], 0
        if group or not written:
            writer.write_table(pa.Table.from_pylist(group, schema=SCHEMA))
            written += len(group)
    tmp.replace(path)
    return written
