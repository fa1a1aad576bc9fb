"""Content-addressed text store: Parquet segments of (sha256, text), outside the ledger.

The ledger holds metadata only; texts live here, keyed by the sha256 of their UTF-8 bytes, at a
local path or an fsspec URL (`storage`). A segment is written whole (`Storage.write_parquet`)
before `put_many` returns, so a text is durable before the ledger row that references it commits.
Segments are never rewritten.

The index keeps 16 bytes a text in memory — the sha256's first 8 bytes, the segment and the row,
in sorted NumPy arrays — instead of a dict of every sha256; a prefix match is confirmed against
the segment's sha256 column, read once per segment into a small cache.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from corpusbuilder.storage import Storage

CACHED_SEGMENTS = 4  # decoded segments kept while reading (~1,000 texts each)
SCHEMA = pa.schema([("sha256", pa.string()), ("text", pa.large_string())])
MERGE_AT = 4096  # texts added since opening are merged into the sorted index in batches


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def segment_name(prefix: str, keys: list[str]) -> str:
    """A segment's name, from its sorted keys: the same texts give the same name."""
    return f"{prefix}-" + hashlib.sha256("".join(keys).encode()).hexdigest()[:20] + ".parquet"


def write_segment(root: Path | Storage, prefix: str, keys: list[str], table: pa.Table) -> str:
    """Write `table` as a segment named by its sorted `keys`, whole or not at all; return the
    file name. Shared by the text store and the signature store."""
    name = segment_name(prefix, keys)
    _storage(root).write_parquet(name, table, compression="zstd")
    return name


def _storage(location: Path | str | Storage) -> Storage:
    return location if isinstance(location, Storage) else Storage(location)


def _prefixes(shas: list[str]) -> np.ndarray:
    """The first 8 bytes of each hex sha256, as unsigned 64-bit integers."""
    return np.frombuffer(bytes.fromhex("".join(s[:16] for s in shas)), dtype=">u8").astype(
        np.uint64
    )


class TextStore:
    def __init__(self, root: Path | str | os.PathLike | Storage) -> None:
        self.storage = _storage(root)
        self.root = self.storage.local_path or self.storage.url
        self._segments: list[str] = self.storage.names("seg-", ".parquet")
        self._sha_columns: OrderedDict[int, pa.Array] = OrderedDict()
        self._pending: dict[str, tuple[int, int]] = {}  # added since the last merge
        prefixes, segments, rows = [], [], []
        for index, name in enumerate(self._segments):
            shas = self.storage.read_parquet(name, columns=["sha256"]).column(0).to_pylist()
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

    def _shas(self, segment: int) -> pa.Array:
        """The sha256 column of a segment (a small LRU: confirming hits reads each once)."""
        if segment in self._sha_columns:
            self._sha_columns.move_to_end(segment)
        else:
            table = self.storage.read_parquet(self._segments[segment], columns=["sha256"])
            self._sha_columns[segment] = table.column(0).combine_chunks()
            if len(self._sha_columns) > CACHED_SEGMENTS:
                self._sha_columns.popitem(last=False)
        return self._sha_columns[segment]

    def _locate(self, sha: str) -> tuple[int, int] | None:
        """(segment index, row) of a stored text, its full sha256 confirmed; None if absent."""
        if sha in self._pending:
            return self._pending[sha]
        try:
            key = _prefixes([sha])[0]
        except ValueError:  # not a hex sha256: never stored
            return None
        start = int(np.searchsorted(self._prefix, key, side="left"))
        stop = int(np.searchsorted(self._prefix, key, side="right"))
        for at in range(start, stop):
            segment, row = int(self._segment[at]), int(self._row[at])
            if self._shas(segment)[row].as_py() == sha:
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
        self._segments.append(write_segment(self.storage, "seg", keys, table))
        segment = len(self._segments) - 1
        self._pending.update((sha, (segment, row)) for row, sha in enumerate(keys))
        if len(self._pending) >= max(MERGE_AT, len(self._prefix) // 8):
            pending, self._pending = self._pending, {}
            located = np.array(list(pending.values()), dtype=np.uint32).reshape(-1, 2)
            self._merge([_prefixes(list(pending))], [located[:, 0]], [located[:, 1]])

    def get_many(self, shas: Iterable[str]) -> Iterator[tuple[str, str]]:
        """(sha256, text) for each asked sha256, in the asked order; KeyError if one is absent.

        Decoded segments are kept in a small LRU, so asking in ingest order decodes each once;
        only the text column of a segment is read, never a segment per text.
        """
        cache: OrderedDict[int, pa.ChunkedArray] = OrderedDict()
        for sha in shas:
            found = self._locate(sha)
            if found is None:
                raise KeyError(f"text {sha} is not in the text store {self.storage.url}")
            segment, row = found
            if segment in cache:
                cache.move_to_end(segment)
            else:
                name = self._segments[segment]
                cache[segment] = self.storage.read_parquet(name, columns=["text"]).column(0)
                if len(cache) > CACHED_SEGMENTS:
                    cache.popitem(last=False)
            yield sha, cache[segment][row].as_py()

    def get(self, sha: str) -> str:
        return next(self.get_many([sha]))[1]
