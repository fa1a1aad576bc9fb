"""Content-addressed text store: Parquet segments of (sha256, text), outside the ledger.

The ledger holds metadata only; texts live here, keyed by the sha256 of their UTF-8 bytes, at a
local path or an fsspec URL (`storage`). A segment is written whole (`Storage.write_parquet`)
before `put_many` returns, so a text is durable before the ledger row that references it commits.
Segments are never rewritten.

The index keeps 16 bytes a text in memory — the sha256's first 8 bytes, the segment and the row,
in sorted NumPy arrays — instead of a dict of every sha256, and where each segment's row groups
start. A segment is written in row groups of about `GROUP_BYTES` of text, so a text is read with
its row group, not its segment: an exact duplicate pointing into an older segment costs a row
group. Segments written as one row group (by older code) still read, whole. A prefix match is
confirmed against the row group's sha256 column.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpusbuilder.storage import Storage

CACHED_SHA_GROUPS = 64  # sha256 columns of row groups kept for membership tests
GROUP_BYTES = 256 << 10  # text a segment's row group holds, about: what reading one text costs
SCHEMA = pa.schema([("sha256", pa.string()), ("text", pa.large_string())])
MERGE_AT = 4096  # texts added since opening are merged into the sorted index in batches
READ_WINDOW = 2048  # asked texts located together, each row group they need read once


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def segment_name(prefix: str, keys: list[str]) -> str:
    """A segment's name, from its sorted keys: the same texts give the same name."""
    return f"{prefix}-" + hashlib.sha256("".join(keys).encode()).hexdigest()[:20] + ".parquet"


def write_segment(
    root: Path | Storage, prefix: str, keys: list[str], table: pa.Table, **options
) -> str:
    """Write `table` as a segment named by its sorted `keys`, whole or not at all; return the
    file name (`options` go to pq.write_table). Shared by the text store and the signature store."""
    name = segment_name(prefix, keys)
    _storage(root).write_parquet(name, table, compression="zstd", **options)
    return name


def _storage(location: Path | str | Storage) -> Storage:
    return location if isinstance(location, Storage) else Storage(location)


def _prefixes(shas: list[str]) -> np.ndarray:
    """The first 8 bytes of each hex sha256, as unsigned 64-bit integers."""
    return np.frombuffer(bytes.fromhex("".join(s[:16] for s in shas)), dtype=">u8").astype(
        np.uint64
    )


def _keys(shas: list[str]) -> np.ndarray | None:
    """The prefixes of `shas`, or None when one of them is not a hex sha256."""
    if not all(len(sha) == 64 for sha in shas):
        return None
    try:
        return _prefixes(shas)
    except ValueError:
        return None


def _group_rows(table: pa.Table) -> int:
    """Rows a row group of `table` gets for about GROUP_BYTES of text each (at least one)."""
    average = table["text"].nbytes / max(len(table), 1)
    return max(1, int(GROUP_BYTES // max(average, 1)))


class TextStore:
    def __init__(self, root: Path | str | os.PathLike | Storage) -> None:
        self.storage = _storage(root)
        self.root = self.storage.local_path or self.storage.url
        self._segments: list[str] = self.storage.names("seg-", ".parquet")
        self._starts: list[np.ndarray] = []  # the first row of each row group, per segment
        self._sha_columns: OrderedDict[tuple[int, int], list[str]] = OrderedDict()
        self._pending: dict[str, tuple[int, int]] = {}  # added since the last merge
        prefixes, segments, rows = [], [], []
        for index, name in enumerate(self._segments):
            with self.storage.open(name) as handle:  # read ahead: every sha256 chunk is needed
                segment = pq.ParquetFile(handle)
                shas = segment.read(columns=["sha256"]).column(0).to_pylist()
                sizes = [
                    segment.metadata.row_group(g).num_rows for g in range(segment.num_row_groups)
                ]
            self._starts.append(np.cumsum([0, *sizes[:-1]], dtype=np.int64))
            prefixes.append(_prefixes(shas))
            segments.append(np.full(len(shas), index, dtype=np.uint32))
            rows.append(np.arange(len(shas), dtype=np.uint32))
        self._prefix = np.zeros(0, np.uint64)
        self._segment = np.zeros(0, np.uint32)
        self._row = np.zeros(0, np.uint32)
        self._merge(prefixes, segments, rows)

    def _merge(self, prefixes: list, segments: list, rows: list) -> None:
        """Add entries to the sorted arrays; a stable sort keeps the first segment's entry
        first, so a text stored twice is read from the segment that stored it first."""
        prefix = np.concatenate([self._prefix, *prefixes])
        order = np.argsort(prefix, kind="stable")
        self._prefix = prefix[order]
        self._segment = np.concatenate([self._segment, *segments])[order]
        self._row = np.concatenate([self._row, *rows])[order]

    def index_bytes(self) -> int:
        """Memory held by the sorted index (the pending additions, at most MERGE_AT, aside)."""
        return self._prefix.nbytes + self._segment.nbytes + self._row.nbytes

    def _groups(self, segment: int, rows: int | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row group, row within it) of a segment's row, or of each of an array of rows."""
        starts = self._starts[segment]
        groups = np.searchsorted(starts, rows, side="right") - 1
        return groups, rows - starts[groups]

    def _shas(self, segment: int, group: int) -> list[str]:
        """The sha256 column of a row group (a small LRU: confirming hits reads each once)."""
        key = (segment, group)
        if key in self._sha_columns:
            self._sha_columns.move_to_end(key)
        else:
            with self.storage.parquet_file(self._segments[segment]) as parquet:
                column = parquet.read_row_group(group, columns=["sha256"]).column(0)
            self._sha_columns[key] = column.to_pylist()
            if len(self._sha_columns) > CACHED_SHA_GROUPS:
                self._sha_columns.popitem(last=False)
        return self._sha_columns[key]

    def _places(self, shas: list[str]) -> list[list[tuple[int, int]]]:
        """Where each sha256 may be stored: (segment index, row) of every entry sharing its
        prefix, in index order (unconfirmed); none for a sha256 that is not hex."""
        keys = _keys(shas)
        if keys is None:  # one is not a sha256: look each up alone
            return [self._places([sha])[0] for sha in shas] if len(shas) > 1 else [[]]
        starts = np.searchsorted(self._prefix, keys, side="left").tolist()
        stops = np.searchsorted(self._prefix, keys, side="right").tolist()
        return [
            [self._pending[sha]] if sha in self._pending else self._entries(start, stop)
            for sha, start, stop in zip(shas, starts, stops, strict=True)
        ]

    def _entries(self, start: int, stop: int) -> list[tuple[int, int]]:
        segments, rows = self._segment[start:stop].tolist(), self._row[start:stop].tolist()
        return list(zip(segments, rows, strict=True))

    def _locate(self, sha: str) -> tuple[int, int] | None:
        """(segment index, row) of a stored text, its full sha256 confirmed; None if absent."""
        for segment, row in self._places([sha])[0]:
            group, offset = self._groups(segment, row)
            if self._shas(segment, int(group))[offset] == sha:
                return segment, row
        return None

    def __contains__(self, sha: str) -> bool:
        return self._locate(sha) is not None

    def put_many(self, texts: Iterable[str]) -> list[str]:
        """Store `texts` (those not already stored) durably; return their sha256 in order."""
        shas, new = [], {}
        for text in texts:
            sha = sha256_text(text)
            shas.append(sha)
            if sha not in new and sha not in self:
                new[sha] = text
        if new:
            self._write_segment(new)
        return shas

    def _write_segment(self, texts: dict[str, str]) -> None:
        keys = sorted(texts)
        table = pa.table({"sha256": keys, "text": [texts[k] for k in keys]}, schema=SCHEMA)
        rows = _group_rows(table)
        # No statistics for the text column: its min and max would bloat every footer.
        name = write_segment(
            self.storage, "seg", keys, table, row_group_size=rows, write_statistics=["sha256"]
        )
        self._segments.append(name)
        self._starts.append(np.arange(0, len(keys), rows, dtype=np.int64))
        segment = len(self._segments) - 1
        self._pending.update((sha, (segment, row)) for row, sha in enumerate(keys))
        if len(self._pending) >= max(MERGE_AT, len(self._prefix) // 8):
            pending, self._pending = self._pending, {}
            located = np.array(list(pending.values()), dtype=np.uint32).reshape(-1, 2)
            self._merge([_prefixes(list(pending))], [located[:, 0]], [located[:, 1]])

    def get_many(self, shas: Iterable[str]) -> Iterator[tuple[str, str]]:
        """(sha256, text) for each asked sha256, in the asked order; KeyError if one is absent.

        The asked sha256 are located `READ_WINDOW` at a time and each row group a window needs
        is read once (a segment's groups together): a batch whose exact duplicates point into
        many older segments reads a row group of each, not the segment.
        """
        asked = iter(shas)
        while window := list(islice(asked, READ_WINDOW)):
            yield from zip(window, self._read_window(window), strict=True)

    def _read_window(self, shas: list[str]) -> list[str]:
        """The texts of `shas`, each from the first of its places whose sha256 matches: all
        first places are read together, then the second places of those not confirmed, …"""
        places = self._places(shas)
        texts: list[str | None] = [None] * len(shas)
        waiting, attempt = list(range(len(shas))), 0
        while waiting:
            wanted: dict[int, list[tuple[int, int]]] = {}  # segment → (asked index, row)
            for i in waiting:
                if attempt >= len(places[i]):
                    raise KeyError(f"text {shas[i]} is not in the text store {self.storage.url}")
                segment, row = places[i][attempt]
                wanted.setdefault(segment, []).append((i, row))
            for segment in sorted(wanted):
                self._read_segment(segment, wanted[segment], shas, texts)
            waiting, attempt = [i for i in waiting if texts[i] is None], attempt + 1
        return texts

    def _read_segment(self, segment: int, wanted: list, shas: list[str], texts: list) -> None:
        """Fill `texts[i]` for each (i, row) of `wanted` whose row holds shas[i], reading the
        row groups they need together."""
        groups, offsets = self._groups(segment, np.array([row for _, row in wanted], np.int64))
        needed = np.unique(groups)
        table, sizes = self._read_groups(segment, needed.tolist())
        read_at = np.cumsum(sizes) - sizes  # where each needed row group starts in `table`
        picked = table.take(read_at[np.searchsorted(needed, groups)] + offsets)
        found = zip(picked["sha256"].to_pylist(), picked["text"].to_pylist(), strict=True)
        for (i, _), (sha, text) in zip(wanted, found, strict=True):
            if sha == shas[i]:
                texts[i] = text

    def _read_groups(self, segment: int, groups: list[int]) -> tuple[pa.Table, list[int]]:
        """The asked row groups of a segment (sorted), both columns, fetched together, and the
        number of rows of each."""
        with self.storage.parquet_file(self._segments[segment]) as parquet:
            table = parquet.read_row_groups(groups, columns=["sha256", "text"])
            return table, [parquet.metadata.row_group(group).num_rows for group in groups]

    def get(self, sha: str) -> str:
        return next(self.get_many([sha]))[1]
