"""Content-addressed text store: Parquet segments of (sha256, text), outside the ledger.

The ledger holds metadata only; texts live here, keyed by the sha256 of their UTF-8 bytes. A
segment is written to a temporary file, fsynced and renamed before `put_many` returns, so a text
is durable before the ledger row that references it commits. Segments are never rewritten.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

CACHED_SEGMENTS = 4  # decoded segments kept while reading (~1,000 texts each)
SCHEMA = pa.schema([("sha256", pa.string()), ("text", pa.large_string())])


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_segment(root: Path, prefix: str, keys: list[str], table: pa.Table) -> str:
    """Write `table` as a segment named by its sorted `keys`, durably (fsync, then rename);
    return the file name. Shared by the text store and the signature store."""
    name = f"{prefix}-" + hashlib.sha256("".join(keys).encode()).hexdigest()[:20] + ".parquet"
    tmp = root / (name + ".tmp")
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, root / name)
    directory = os.open(root, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return name


class TextStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._where: dict[str, tuple[str, int]] = {}
        for segment in sorted(self.root.glob("seg-*.parquet")):
            self._index(segment.name, pq.read_table(segment, columns=["sha256"]).column(0))

    def _index(self, segment: str, shas: Iterable) -> None:
        for row, sha in enumerate(shas):
            self._where.setdefault(str(sha), (segment, row))

    def __contains__(self, sha: str) -> bool:
        return sha in self._where

    def put_many(self, texts: Iterable[str]) -> list[str]:
        """Store `texts` (those not already stored) durably; return their sha256 in order."""
        shas, new = [], {}
        for text in texts:
            sha = sha256_text(text)
            shas.append(sha)
            if sha not in self._where:
                new.setdefault(sha, text)
        if new:
            self._write_segment(new)
        return shas

    def _write_segment(self, texts: dict[str, str]) -> None:
        keys = sorted(texts)
        table = pa.table({"sha256": keys, "text": [texts[k] for k in keys]}, schema=SCHEMA)
        self._index(write_segment(self.root, "seg", keys, table), keys)

    def get_many(self, shas: Iterable[str]) -> Iterator[tuple[str, str]]:
        """(sha256, text) for each asked sha256, in the asked order; KeyError if one is absent.

        Decoded segments are kept in a small LRU, so asking in ingest order decodes each once.
        """
        cache: OrderedDict[str, pa.ChunkedArray] = OrderedDict()
        for sha in shas:
            if sha not in self._where:
                raise KeyError(f"text {sha} is not in the text store {self.root}")
            segment, row = self._where[sha]
            if segment in cache:
                cache.move_to_end(segment)
            else:
                cache[segment] = pq.read_table(self.root / segment, columns=["text"]).column(0)
                if len(cache) > CACHED_SEGMENTS:
                    cache.popitem(last=False)
            yield sha, cache[segment][row].as_py()

    def get(self, sha: str) -> str:
        return next(self.get_many([sha]))[1]
