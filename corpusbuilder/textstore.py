"""Content-addressed text store: Parquet segments of (sha256, text), outside the ledger.

The ledger holds metadata only; texts live here, keyed by the sha256 of their UTF-8 bytes, at a
local path or an fsspec URL (`storage`). A segment is written whole (`Storage.write_parquet`)
before `put_many` returns, so a text is durable before the ledger row that references it commits.
Segments are never rewritten.

Where each text is (segment, row group, row) is kept on local disk by `text_index`, a cache of
the segments: in the store's folder when it is local, else in the user's cache folder; opening a
store indexes the segments the index lacks. A segment is written in row groups of about
`GROUP_BYTES` of text, so a text is read with its row group, not its segment: an exact duplicate
pointing into an older segment costs a row group. Segments written as one row group (by older
code) still read, whole.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

import numpy as np
import pyarrow as pa

from corpusbuilder.storage import Storage
from corpusbuilder.text_index import TextIndex

GROUP_BYTES = 256 << 10  # text a segment's row group holds, about: what reading one text costs
SCHEMA = pa.schema([("sha256", pa.string()), ("text", pa.large_string())])
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


def index_folder(storage: Storage) -> Path:
    """Where the index of the store at `storage` is kept: its own folder when local, else the
    user's cache folder (the index is rebuilt from the segments wherever it is missing)."""
    if storage.local_path is not None:
        return storage.local_path / "index"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return (
        cache
        / "corpusbuilder"
        / "text-index"
        / hashlib.sha256(storage.url.encode()).hexdigest()[:20]
    )


def _group_rows(table: pa.Table) -> int:
    """Rows a row group of `table` gets for about GROUP_BYTES of text each (at least one)."""
    average = table["text"].nbytes / max(len(table), 1)
    return max(1, int(GROUP_BYTES // max(average, 1)))


class TextStore:
    def __init__(self, root: Path | str | os.PathLike | Storage, index: Path | None = None) -> None:
        self.storage = _storage(root)
        self.root = self.storage.local_path or self.storage.url
        self.index = TextIndex(index or index_folder(self.storage))
        present = set(self.storage.names("seg-", ".parquet"))
        if self.index.segments() - present:  # a segment went: the index no longer says true
            self.index.clear()
        for name in sorted(present - self.index.segments()):
            self._index_segment(name)

    def _index_segment(self, name: str) -> None:
        """Index a segment the index lacks (written by older code, or before an interruption)."""
        with self.storage.parquet_file(name) as segment:
            shas = segment.read(columns=["sha256"]).column(0).to_pylist()
            sizes = [segment.metadata.row_group(g).num_rows for g in range(segment.num_row_groups)]
        groups = np.repeat(np.arange(len(sizes)), sizes)
        starts = np.cumsum([0, *sizes[:-1]])
        self.index.add(name, shas, groups, np.arange(len(shas)) - starts[groups])

    def __contains__(self, sha: str) -> bool:
        return self.index.find([sha])[0] is not None

    def put_many(self, texts: Iterable[str]) -> list[str]:
        """Store `texts` (those not already stored) durably; return their sha256 in order."""
        shas, given = [], {}
        for text in texts:
            shas.append(sha256_text(text))
            given.setdefault(shas[-1], text)
        places = self.index.find(list(given))
        new = {sha: given[sha] for sha, place in zip(given, places, strict=True) if place is None}
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
        numbers = np.arange(len(keys))
        self.index.add(name, keys, numbers // rows, numbers % rows)

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
        wanted: dict[str, list[tuple[int, int, int]]] = {}  # segment → (asked index, group, row)
        for i, (sha, place) in enumerate(zip(shas, self.index.find(shas), strict=True)):
            if place is None:
                raise KeyError(f"text {sha} is not in the text store {self.storage.url}")
            segment, group, row = place
            wanted.setdefault(segment, []).append((i, group, row))
        texts: list[str] = [""] * len(shas)
        for segment in sorted(wanted):
            self._read_segment(segment, wanted[segment], texts)
        return texts

    def _read_segment(self, segment: str, wanted: list[tuple[int, int, int]], texts: list) -> None:
        """Fill `texts[i]` for each (i, group, row) of `wanted`, reading the row groups they
        need together."""
        groups = np.array([group for _, group, _ in wanted], dtype=np.int64)
        needed = np.unique(groups)
        table, sizes = self._read_groups(segment, needed.tolist())
        read_at = np.cumsum(sizes) - sizes  # where each needed row group starts in `table`
        rows = np.array([row for _, _, row in wanted], dtype=np.int64)
        picked = table.take(read_at[np.searchsorted(needed, groups)] + rows)
        for (i, _, _), text in zip(wanted, picked["text"].to_pylist(), strict=True):
            texts[i] = text

    def _read_groups(self, segment: str, groups: list[int]) -> tuple[pa.Table, list[int]]:
        """The asked row groups of a segment (sorted), fetched together, and the number of rows
        of each."""
        with self.storage.parquet_file(segment) as parquet:
            table = parquet.read_row_groups(groups, columns=["text"])
            return table, [parquet.metadata.row_group(group).num_rows for group in groups]

    def get(self, sha: str) -> str:
        return next(self.get_many([sha]))[1]
