"""MinHash signatures kept between curation runs, keyed by text sha256, at a local path or an fsspec
URL (`storage`).

A signature is a function of the text and the dedup config only, so curating new documents never
recomputes the old ones, and near-dedup can run over the whole corpus each time.

Layout: `put` writes a segment (`sig-*.parquet`, sha256 and signature bytes: the layout of earlier
versions, whose stores are read as they are), and `compact` folds the segments into 256 shards
(`shard-XX.parquet`, XX the sha256's first two hex digits), each sorted by sha256 in row groups of
`ROWS_PER_GROUP`. A lookup reads only the row groups whose sha256 range holds one it asks for
(Parquet's statistics say which), so no index of the corpus is held in memory, nor a whole shard,
which grows with the corpus (~230 MB at 100 M documents).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from corpusbuilder.curate import spill
from corpusbuilder.storage import Storage
from corpusbuilder.textstore import write_segment

SCHEMA = pa.schema([("sha256", pa.string()), ("sig", pa.binary())])
SHARDS = [f"{i:02x}" for i in range(256)]  # 1/256 of the signatures each: ~2 MB a million
ROWS_PER_GROUP = 8192  # ~4.3 MB of signatures (num_perm 128): what a lookup reads at least


def shard_of(sha: str) -> str:
    return sha[:2]


def by_shard(
    table: pa.Table, column: str = "sha256", prefix: Callable[[str], str] | None = None
) -> Iterator[tuple[str, pa.Table]]:
    """The rows of `table` by the `prefix` of their sha256 `column` (default: the store's shard),
    each part's sorted by it."""
    prefix = prefix or shard_of
    table = table.sort_by(column)
    prefixes = np.array([prefix(sha) for sha in table[column].to_pylist()])
    shards, starts = np.unique(prefixes, return_index=True)
    ends = np.append(starts[1:], len(prefixes))
    for shard, start, end in zip(shards, starts, ends, strict=True):
        yield str(shard), table.slice(start, end - start)


class SignatureStore:
    """One writer at a time (the corpus lock): what it listed once it keeps knowing."""

    def __init__(self, root: Path | str | Storage, config_key: str) -> None:
        base = root if isinstance(root, Storage) else Storage(root)
        self.storage = base.child(config_key)
        self._unfolded = True  # segments may wait to be folded in (until `compact` says no)
        self._shards: set[str] | None = None  # the shard files, once listed

    def put(self, shas: Sequence[str], sigs: np.ndarray) -> None:
        """Keep the signatures of `shas` (a repeated or already kept sha256 is harmless)."""
        if not len(shas):
            return
        rows = sorted(zip(shas, (sig.tobytes() for sig in sigs), strict=True))
        keys = [sha for sha, _ in rows]
        table = pa.table({"sha256": keys, "sig": [sig for _, sig in rows]}, schema=SCHEMA)
        write_segment(self.storage, "sig", keys, table)
        self._unfolded = True

    def compact(self) -> None:
        """Fold the segments into the sorted shards, one segment and then one shard in memory at
        a time (rows wait in local spill files in between); a no-op without segments."""
        segments = self.storage.names("sig-", ".parquet") if self._unfolded else []
        self._unfolded = False
        if not segments:
            return
        with tempfile.TemporaryDirectory(prefix="corpusbuilder-signatures-") as folder:
            spilled: set[str] = set()
            for name in segments:
                table = self.storage.read_parquet(name).cast(SCHEMA)
                for shard, rows in by_shard(table):
                    spill.append(Path(folder) / f"{shard}.arrow", rows)
                    spilled.add(shard)
            for shard in sorted(spilled):
                self._fold(shard, Path(folder) / f"{shard}.arrow")
        for name in segments:  # only now: an interrupted compaction folds them again
            self.storage.remove(name)

    def _fold(self, shard: str, spilled: Path) -> None:
        name = f"shard-{shard}.parquet"
        parts = [spill.read(spilled)]
        if name in self._present():
            parts.append(self.storage.read_parquet(name))
        table = pa.concat_tables(parts).sort_by("sha256")
        shas = table["sha256"].to_numpy(zero_copy_only=False)
        first = np.concatenate(([True], shas[1:] != shas[:-1])) if len(shas) else []
        table = table.filter(pa.array(first, pa.bool_()))
        self.storage.write_parquet(name, table.combine_chunks(), row_group_size=ROWS_PER_GROUP)
        self._present().add(name)

    def _present(self) -> set[str]:
        if self._shards is None:
            self._shards = set(self.storage.names("shard-", ".parquet"))
        return self._shards

    def lookup(self, shas: Sequence[str], num_perm: int) -> tuple[np.ndarray, np.ndarray]:
        """Whether each of `shas` is kept, and the (len(shas), num_perm) uint32 signatures (rows
        of the missing ones are undefined)."""
        out = np.empty((len(shas), num_perm), dtype=np.uint32)
        found = np.zeros(len(shas), dtype=bool)
        for at, sigs in self._find(shas):
            out[at] = np.frombuffer(b"".join(sigs.to_pylist()), np.uint32).reshape(-1, num_perm)
            found[at] = True
        return found, out

    def _find(self, shas: Sequence[str]) -> Iterator[tuple[np.ndarray, pa.Array]]:
        """(indexes into `shas`, their signature bytes), one shard at a time."""
        self.compact()
        wanted = pa.array(list(shas), pa.string())
        prefixes = np.array([shard_of(s) for s in shas])
        for shard in np.unique(prefixes):
            if f"shard-{shard}.parquet" in self._present():
                at = np.flatnonzero(prefixes == shard)
                asked = wanted.take(pa.array(at))
                table = self._rows_between(f"shard-{shard}.parquet", pc.min_max(asked))
                index = pc.index_in(asked, value_set=table["sha256"])
                hit = index.is_valid().to_numpy(zero_copy_only=False)
                yield at[hit], table["sig"].take(index.filter(index.is_valid())).combine_chunks()

    def _rows_between(self, name: str, bounds: pa.StructScalar) -> pa.Table:
        """The row groups of shard `name` whose sha256 range meets [min, max] of `bounds` (every
        group without statistics; a shard folded before row groups had one, read whole)."""
        low, high = bounds["min"].as_py(), bounds["max"].as_py()
        with self.storage.parquet_file(name) as shard:
            column = shard.schema_arrow.get_field_index("sha256")
            groups = [
                number
                for number in range(shard.metadata.num_row_groups)
                if _meets(shard.metadata.row_group(number).column(column).statistics, low, high)
            ]
            return shard.read_row_groups(groups, columns=["sha256", "sig"])

    def get(self, shas: Sequence[str], num_perm: int) -> np.ndarray:
        """(len(shas), num_perm) uint32; KeyError naming the first missing text."""
        found, out = self.lookup(shas, num_perm)
        if not found.all():
            raise KeyError(shas[int(np.argmin(found))])
        return out

    def missing(self, shas: Sequence[str]) -> list[str]:
        """The distinct sha256s of `shas` without a kept signature, in their first order."""
        unique = list(dict.fromkeys(shas))
        found = np.zeros(len(unique), dtype=bool)
        for at, _ in self._find(unique):
            found[at] = True
        return [sha for sha, ok in zip(unique, found, strict=True) if not ok]

    def __contains__(self, sha: str) -> bool:
        return not self.missing([sha])


def _meets(stats: pq.Statistics | None, low: str, high: str) -> bool:
    """Whether a row group whose column has `stats` may hold a value in [low, high]."""
    return stats is None or not stats.has_min_max or (stats.min <= high and low <= stats.max)
