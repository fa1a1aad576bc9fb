"""Language-split Parquet shards with a schema fixed up front.

``data/<language>/train-0000K-of-0000N.parquet``: zstd, a page index, row groups well under
100 MB, and content-defined chunking where pyarrow offers it. Nothing time- or machine-dependent
is written, so the same rows give the same bytes. Provenance files are cut into row groups of
`layout.ROW_GROUP_ROWS` rows (one group before: a larger release frozen by older code is refused
as changed if written again).
"""

from __future__ import annotations

import inspect
import itertools
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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
BATCH = 256  # rows held as Python objects before they become Arrow data


def shard_name(config: str, index: int, count: int) -> str:
    """The shard's path in the release (the layout lives in `layout`)."""
    return layout.shard_path(config, index, count)


class ShardPlanner:
    """The shard of each row of a config, one row at a time, in order: consecutive rows, about
    `shard_bytes` of text a shard, knowing only the config's total size up front."""

    def __init__(self, config: str, total: int, shard_bytes: int = SHARD_BYTES) -> None:
        self.config = config
        self.count = max(1, math.ceil(total / shard_bytes))
        self.target = total / self.count
        self.index, self.filled = 0, 0

    def place(self, size: int) -> str:
        """The shard of the next row, whose text is `size` long."""
        if self.filled >= self.target * (self.index + 1) and self.index < self.count - 1:
            self.index += 1
        self.filled += size
        return shard_name(self.config, self.index, self.count)


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


@contextmanager
def _writer(path: Path, schema: pa.Schema, options: dict) -> Iterator[pq.ParquetWriter]:
    """A writer of `path`, written beside it and renamed into place once complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    with pq.ParquetWriter(tmp, schema, **options) as writer:
        yield writer
    tmp.replace(path)


def write_table(path: Path, table: pa.Table) -> None:
    """Write a small table (decisions) as one shard, with the shards' options."""
    with _writer(path, table.schema, WRITER_OPTIONS) as writer:
        writer.write_table(table)


def write_rows(path: Path, schema: pa.Schema, rows: Iterable[dict]) -> None:
    """Stream `rows` into one file (provenance), with the shards' options, a row group per
    `layout.ROW_GROUP_ROWS` rows, so memory holds one group as Arrow data: a file of at most
    that many rows has the bytes of `write_table` of them all."""
    unsized = ((row, 0) for row in rows)
    _write_groups(path, schema, WRITER_OPTIONS, unsized, max_rows=layout.ROW_GROUP_ROWS)


def batches(items: Iterable, size: int) -> Iterator[list]:
    """`items` in lists of `size` (the last one shorter)."""
    items = iter(items)
    while batch := list(itertools.islice(items, size)):
        yield batch


def write_shard(path: Path, rows: Iterable[dict]) -> int:
    """Stream `rows` (dicts with the SCHEMA's keys) into one shard, a row group per ~64 MB of
    text, so memory holds one row group (as Arrow data), never the shard; return the number of
    rows."""
    sized = ((row, len(row["text"].encode("utf-8"))) for row in rows)
    return _write_groups(path, SCHEMA, SHARD_OPTIONS, sized, max_bytes=ROW_GROUP_BYTES)


def _write_groups(
    path: Path,
    schema: pa.Schema,
    options: dict,
    rows: Iterable[tuple[dict, int]],
    max_rows: float = math.inf,
    max_bytes: float = math.inf,
) -> int:
    """Write (row, size) pairs into `path`, a row group each time one holds `max_rows` rows or
    `max_bytes` of size (and one, maybe empty, at the end); return the number of rows."""
    written = 0
    with _writer(path, schema, options) as writer:
        group = RowGroup(schema)
        for row, size in rows:
            group.add(row, size)
            if group.rows >= max_rows or group.size >= max_bytes:
                written += group.write(writer)
        if group.rows or not written:
            written += group.write(writer)
    return written


class RowGroup:
    """The rows of one row group, converted to Arrow BATCH rows at a time and written as one
    contiguous table: the bytes of a table built from all the rows at once. Each column's
    pieces are joined and let go in turn, so writing needs the group's size plus one column."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.pieces: list[list[pa.Array]] = [[] for _ in schema]
        self.pending: list[dict] = []
        self.rows, self.size = 0, 0

    def add(self, row: dict, size: int = 0) -> None:
        self.pending.append(row)
        self.rows, self.size = self.rows + 1, self.size + size
        if len(self.pending) >= BATCH:
            self._convert()

    def write(self, writer: pq.ParquetWriter) -> int:
        """Write the rows as one row group; return how many, and start an empty group."""
        self._convert()
        columns = []
        for index, pieces in enumerate(self.pieces):
            columns.append(pa.concat_arrays(pieces))
            self.pieces[index] = []
        writer.write_table(pa.Table.from_arrays(columns, schema=self.schema))
        written, self.rows, self.size = self.rows, 0, 0
        return written

    def _convert(self) -> None:
        if self.pending or not self.pieces[0]:  # an empty group is one empty piece, as before
            batch = pa.RecordBatch.from_pylist(self.pending, schema=self.schema)
            for pieces, column in zip(self.pieces, batch.columns, strict=True):
                pieces.append(column)
            self.pending = []
