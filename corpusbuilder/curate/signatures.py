"""MinHash signatures kept between curation runs, keyed by text sha256, at a local path or an fsspec
URL (`storage`).

A signature is a function of the text and the dedup config only, so curating new documents never
recomputes the old ones, and near-dedup can run over the whole corpus each time.

Layout: `put` writes a segment (`sig-*.parquet`, sha256 and signature bytes: the layout of earlier
versions, whose stores are read as they are), and `compact` folds the segments into shards
(`shard-<prefix>.parquet`), each sorted by sha256 in row groups of `ROWS_PER_GROUP`. The shards
are the leaves of a tree of sha256 hex prefixes: first the 256 of two digits (all that earlier
versions wrote), and a shard that would hold more than `SHARD_ROWS` splits into 16 by the next
digit, so a fold holds a bounded number of rows however large the corpus. A sha256 belongs to the
present shard with the longest prefix it starts with: a split writes its children before it
removes their parent, so after an interrupted one the children hold the parent's rows of their
range and newer ones, and the next compaction finishes it.

A lookup reads only the row groups whose sha256 range holds one it asks for (Parquet's statistics
say which), so no index of the corpus is held in memory, nor a whole shard.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import chain
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from corpusbuilder.curate import spill
from corpusbuilder.sorted_arrays import first_of_each
from corpusbuilder.storage import Storage
from corpusbuilder.textstore import write_segment

SCHEMA = pa.schema([("sha256", pa.string()), ("sig", pa.binary())])
ROWS_PER_GROUP = 8192  # ~4.3 MB of signatures (num_perm 128): what a lookup reads at least
# The most rows a fold merges at once (a shard splits beyond): as many as deduplication's pass 2
# holds (TEXTS_PER_PART), in which compactions run. ~19 MB of signatures (num_perm 128), merged
# with ~38 MiB of Arrow memory at most (measured); the 256 first shards hold 8.4 M documents.
SHARD_ROWS = 1 << 15
PIECE_ROWS = ROWS_PER_GROUP  # the most rows a split holds at once (bar a larger appended batch)
FIRST_DIGITS = 2  # the first shards' prefixes: all that earlier versions wrote
SHA_DIGITS = 64


def by_shard(
    table: pa.Table, column: str = "sha256", digits: int = FIRST_DIGITS
) -> Iterator[tuple[str, pa.Table]]:
    """The rows of `table` by the first `digits` hex digits of their sha256 `column`, in that
    prefix's order, each part sorted by it."""
    table = table.sort_by(column)
    prefixes = pc.utf8_slice_codeunits(table[column], 0, digits).to_numpy(zero_copy_only=False)
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
        """Fold the segments into the shards, one segment and then one shard (or a piece of one)
        in memory at a time, rows waiting in local spill files in between; a no-op without
        segments. The segments are spilled by their rows' first two hex digits (one file open a
        prefix and segment), and the fold of a prefix that has split parts its rows among the
        children as a split does: one way of routing rows serves both, and spilling needs no
        look at the present shards."""
        segments = self.storage.names("sig-", ".parquet") if self._unfolded else []
        self._unfolded = False
        if not segments:
            return
        with tempfile.TemporaryDirectory(prefix="corpusbuilder-signatures-") as name:
            folder = Path(name)
            spilled: Counter[str] = Counter()
            for segment in segments:
                table = self.storage.read_parquet(segment).cast(SCHEMA)
                spilled.update(_park(folder, table, FIRST_DIGITS))
            for prefix in sorted(spilled):
                self._fold(prefix, folder, spilled[prefix])
        for segment in segments:  # only now: an interrupted compaction folds them again
            self.storage.remove(segment)

    def _fold(self, prefix: str, folder: Path, rows: int) -> None:
        """Fold the `rows` spilled for `prefix` in `folder` into its shard; or, if it would then
        hold more than SHARD_ROWS or has children (it split, or began to), into its children:
        the shard's rows and the spilled are parted among them a piece at a time, and the shard
        is removed once they are written. A sha256 spilled more often than SHARD_ROWS (between
        two compactions) ends in a shard of its own, not an endless split."""
        name = _name(prefix)
        spilled = folder / f"{prefix}.arrow"
        splits = self._rows(name) + rows > SHARD_ROWS or self._has_children(prefix)
        if not splits or len(prefix) == SHA_DIGITS:
            self._merge(name, spill.read(spilled))
            return
        children: Counter[str] = Counter()
        for piece in chain(self._pieces(name), spill.pieces(spilled, PIECE_ROWS)):
            children.update(_park(folder, piece, len(prefix) + 1))
        spilled.unlink()
        for child in sorted(children):
            self._fold(child, folder, children[child])
        if name in self._present():
            self.storage.remove(name)
            self._present().discard(name)

    def _merge(self, name: str, new: pa.Table) -> None:
        """Write shard `name` with its rows and `new` ones, sorted, each sha256 once."""
        parts = [new]
        if name in self._present():
            parts.append(self.storage.read_parquet(name))
        table = pa.concat_tables(parts).sort_by("sha256")
        shas = table["sha256"].to_numpy(zero_copy_only=False)
        table = table.filter(pa.array(first_of_each(shas), pa.bool_()))
        self.storage.write_parquet(name, table.combine_chunks(), row_group_size=ROWS_PER_GROUP)
        self._present().add(name)

    def _pieces(self, name: str) -> Iterator[pa.Table]:
        """The rows of shard `name` (none if absent), PIECE_ROWS at a time."""
        if name in self._present():
            with self.storage.parquet_file(name) as shard:
                for batch in shard.iter_batches(PIECE_ROWS, columns=["sha256", "sig"]):
                    yield pa.Table.from_batches([batch])

    def _rows(self, name: str) -> int:
        """The rows of shard `name` (0 if absent), from its footer."""
        if name not in self._present():
            return 0
        with self.storage.parquet_file(name) as shard:
            return shard.metadata.num_rows

    def _has_children(self, prefix: str) -> bool:
        """Whether shards under `prefix` are present (it split, or began to)."""
        stem, own = f"shard-{prefix}", _name(prefix)
        return any(n.startswith(stem) and n != own for n in self._present())

    def _present(self) -> set[str]:
        if self._shards is None:
            self._shards = set(self.storage.names("shard-", ".parquet"))
        return self._shards

    def _leaves(self, shas: pa.Array) -> np.ndarray:
        """The prefix of the present shard each of `shas` belongs to: the longest it starts
        with ("" for none)."""
        prefixes = [name[len("shard-") : -len(".parquet")] for name in self._present()]
        leaves = np.full(len(shas), "", dtype=object)
        for digits in sorted({len(p) for p in prefixes}):  # the longer after, to win
            heads = pc.utf8_slice_codeunits(shas, 0, digits)
            present = pa.array([p for p in prefixes if len(p) == digits], pa.string())
            hit = pc.is_in(heads, value_set=present).to_numpy(zero_copy_only=False)
            leaves[hit] = heads.to_numpy(zero_copy_only=False)[hit]
        return leaves

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
        leaves = self._leaves(wanted)
        for leaf in np.unique(leaves[leaves != ""]):
            at = np.flatnonzero(leaves == leaf)
            asked = wanted.take(pa.array(at))
            table = self._rows_between(_name(leaf), pc.min_max(asked))
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


def _name(prefix: str) -> str:
    return f"shard-{prefix}.parquet"


def _park(folder: Path, table: pa.Table, digits: int) -> Counter[str]:
    """Append the rows of `table` to folder/<prefix>.arrow by the first `digits` hex digits of
    their sha256; returns the rows parked under each prefix."""
    parked: Counter[str] = Counter()
    for prefix, rows in by_shard(table, digits=digits):
        spill.append(folder / f"{prefix}.arrow", rows)
        parked[prefix] = rows.num_rows
    return parked


def _meets(stats: pq.Statistics | None, low: str, high: str) -> bool:
    """Whether a row group whose column has `stats` may hold a value in [low, high]."""
    return stats is None or not stats.has_min_max or (stats.min <= high and low <= stats.max)
