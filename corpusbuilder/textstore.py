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
from itertools import islice
from pathlib import Path

import numpy as np
import pyarrow as pa

from corpusbuilder.storage import Storage

CACHED_SEGMENTS = 4  # decoded segments kept while reading (~1,000 texts each)
SCHEMA = pa.schema([("sha256", pa.string()), ("text", pa.large_string())])
MERGE_AT = 4096  # texts added since opening are merged into the sorted index in batches
READ_WINDOW = 2048  # asked texts located together, each segment they need read once


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


def _keys(shas: list[str]) -> np.ndarray | None:
    """The prefixes of `shas`, or None when one of them is not a hex sha256."""
    if not all(len(sha) == 64 for sha in shas):
        return None
    try:
        return _prefixes(shas)
    except ValueError:
        return None


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

    def _shas(self, segment: int) -> list[str]:
        """The sha256 column of a segment (a small LRU: confirming hits reads each once)."""
        if segment in self._sha_columns:
            self._sha_columns.move_to_end(segment)
        else:
            table = self.storage.read_parquet(self._segments[segment], columns=["sha256"])
            self._sha_columns[segment] = table.column(0).to_pylist()
            if len(self._sha_columns) > CACHED_SEGMENTS:
                self._sha_columns.popitem(last=False)
        return self._sha_columns[segment]

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

    def _confirmed(self, sha: str, places: list[tuple[int, int]]) -> tuple[int, int] | None:
        """The first of `places` whose row holds `sha` itself, not only its prefix."""
        return next(((seg, row) for seg, row in places if self._shas(seg)[row] == sha), None)

    def _locate(self, sha: str) -> tuple[int, int] | None:
        """(segment index, row) of a stored text, its full sha256 confirmed; None if absent."""
        return self._confirmed(sha, self._places([sha])[0])

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

        The asked sha256 are located `READ_WINDOW` at a time and each segment a window needs is
        read once (its text column only, kept in a small LRU across windows): a batch whose
        exact duplicates point into many older segments reads each of them once, not once per
        change of segment.
        """
        cache: OrderedDict[int, pa.ChunkedArray] = OrderedDict()
        asked = iter(shas)
        while window := list(islice(asked, READ_WINDOW)):
            yield from self._read_window(window, cache)

    def _read_window(self, shas: list[str], cache: OrderedDict) -> Iterator[tuple[str, str]]:
        """The texts of `shas`, confirmed and read segment by segment."""
        places = self._places(shas)
        located: list[tuple[int, int]] = [(0, 0)] * len(shas)
        for i in sorted(range(len(shas)), key=lambda i: places[i][:1]):  # a segment at a time
            found = self._confirmed(shas[i], places[i])
            if found is None:
                raise KeyError(f"text {shas[i]} is not in the text store {self.storage.url}")
            located[i] = found
        rows: dict[int, set[int]] = {}
        for segment, row in located:
            rows.setdefault(segment, set()).add(row)
        texts = {}
        for segment, wanted in rows.items():
            order = sorted(wanted)
            picked = self._texts(segment, cache).take(order).to_pylist()
            texts.update(zip([(segment, row) for row in order], picked, strict=True))
        for sha, place in zip(shas, located, strict=True):
            yield sha, texts[place]

    def _texts(self, segment: int, cache: OrderedDict) -> pa.ChunkedArray:
        """The text column of a segment, through `cache` (at most CACHED_SEGMENTS kept)."""
        if segment in cache:
            cache.move_to_end(segment)
        else:
            name = self._segments[segment]
            cache[segment] = self.storage.read_parquet(name, columns=["text"]).column(0)
            if len(cache) > CACHED_SEGMENTS:
                cache.popitem(last=False)
        return cache[segment]

    def get(self, sha: str) -> str:
        return next(self.get_many([sha]))[1]
