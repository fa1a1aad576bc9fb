"""Near-dedup out of core: `dedup`'s keep policy over any number of documents in bounded memory.

Documents arrive in chunks, in any order, each known by its rank position (a unique integer, lower
wins: the caller numbers them in keep-policy order). The stages follow datatrove's MinHash
pipeline, but end in the same decisions as the in-memory greedy rather than in approximate
clusters:

1. `add`: each document's rank position and signature go to a scratch file (its row), and its
   `bands` LSH keys to one of `partitions` files, chosen by the key, as (band, key, row) records;
2. per partition: sort the records and pair the rows of every bucket; the pairs are parked in
   files again, by their first row, so that each distinct pair is verified once, on its rows'
   signatures: those whose estimated Jaccard reaches the threshold are the edges, parked once
   more by the rank range of their later endpoint;
3. the greedy keep policy over the edges, a rank range at a time, in rank order of their later
   endpoint: a document is removed by the most similar (then best-ranked) earlier neighbour that
   was kept. Its decision depends only on its earlier neighbours, all decided before it, so this
   equals visiting every document in rank order; the removed ones come out in rank order too.

Memory holds one partition (of records, pairs or edges) and one bit per rank position, which
documents are removed (12.5 MB at 100 M): never the signatures of the corpus (a memory map would
keep every page it read) nor a number per document.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from corpusbuilder.curate import minhash
from corpusbuilder.curate.spill import scatter

if TYPE_CHECKING:
    from corpusbuilder.curate.dedup import DedupConfig

RECORD = np.dtype([("band", "u1"), ("key", "<u8"), ("row", "<u4")])
EDGE = np.dtype([("late", "<i8"), ("early", "<i8"), ("similarity", "<f8")])
# A removed document: its rank position, the kept one's and their estimated Jaccard.
REMOVED = np.dtype([("position", "<i8"), ("kept", "<i8"), ("similarity", "<f8")])
VERIFY = 8192  # pairs verified at once: their signatures are read for them, then dropped
PARKED = 1 << 19  # candidate pairs held before they are parked (4 MB as two uint32 columns)
RECORDS_PER_PARTITION = 1 << 18  # ~3.4 MB of records: what one partition's sort holds, about


def partitions_for(documents: int, config: DedupConfig) -> int:
    """Enough partitions that each holds about RECORDS_PER_PARTITION records (at least 16)."""
    return max(16, -(-documents * config.bands // RECORDS_PER_PARTITION))


def band_hash(sigs: np.ndarray, band: int, config: DedupConfig) -> np.ndarray:
    """(n,) uint64: one hash of each document's `rows` signature values in `band` (an LSH key)."""
    rows = sigs[:, band * config.rows : (band + 1) * config.rows].astype(np.uint64)
    mix = minhash.fmix64(np.arange(1, config.rows + 1, dtype=np.uint64))
    with np.errstate(over="ignore"):
        return minhash.fmix64((rows * mix).sum(axis=1, dtype=np.uint64))


class NearDedup:
    """One near-dedup run whose files live in `scratch` (an empty local directory)."""

    def __init__(self, scratch: Path, config: DedupConfig, partitions: int = 32) -> None:
        self.scratch, self.config, self.partitions = Path(scratch), config, partitions
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.row = np.dtype([("position", "<i8"), ("sig", "<u4", (config.num_perm,))])
        self.rows = 0
        self.low, self.high = np.iinfo(np.int64).max, np.iinfo(np.int64).min  # positions seen
        (self.scratch / "rows.bin").write_bytes(b"")
        for kind in ("positions", "bands", "pairs", "edges"):
            for partition in range(partitions):
                self._path(kind, partition).write_bytes(b"")

    def _path(self, kind: str, partition: int) -> Path:
        return self.scratch / f"{kind}-{partition:04d}.bin"

    def _scatter(self, kind: str, items: np.ndarray, partition: np.ndarray) -> None:
        scatter(lambda number: self._path(kind, number), items, partition)

    def add(self, positions: np.ndarray, sigs: np.ndarray) -> None:
        """Add documents: their rank positions (int64, unique, best first; numbered from 0, as
        memory holds a bit for each number up to the greatest) and (n, num_perm) uint32
        signatures."""
        if sigs.ndim != 2 or sigs.shape[1] != self.config.num_perm or len(sigs) != len(positions):
            raise ValueError(
                f"signatures of shape {sigs.shape} for {len(positions)} positions, expected"
                f" (n, {self.config.num_perm}): compute them with the same DedupConfig"
            )
        positions = np.asarray(positions, dtype=np.int64)
        if not len(positions):
            return
        self.low, self.high = min(self.low, positions.min()), max(self.high, positions.max())
        rows = np.empty(len(sigs), dtype=self.row)
        rows["position"], rows["sig"] = positions, sigs
        with open(self.scratch / "rows.bin", "ab") as handle:
            handle.write(rows.tobytes())
        self._scatter("positions", positions, positions % self.partitions)
        numbers = np.arange(self.rows, self.rows + len(sigs), dtype=np.uint32)
        self.rows += len(sigs)
        records = np.empty((self.config.bands, len(sigs)), dtype=RECORD)
        for band in range(self.config.bands):
            records[band]["band"] = band
            records[band]["key"] = band_hash(sigs, band, self.config)
            records[band]["row"] = numbers
        records = records.ravel()
        self._scatter("bands", records, records["key"] % np.uint64(self.partitions))

    def run(self) -> Iterator[np.ndarray]:
        """The removed documents, as `REMOVED` arrays in ascending rank position (one a rank
        range). The candidates are found and verified before this returns; the keep policy runs
        as the arrays are taken."""
        if not self.rows:
            return iter(())
        for p in range(self.partitions):
            positions = np.fromfile(self._path("positions", p), dtype=np.int64)
            if len(np.unique(positions)) != len(positions):
                raise ValueError("rank positions must be unique: number documents in rank order")
        for p in range(self.partitions):
            self._park_all(self._bucket_pairs(p))
        for p in range(self.partitions):
            edges = self._verified(p)
            span = int(self.high) - int(self.low) + 1
            self._scatter("edges", edges, (edges["late"] - self.low) * self.partitions // span)
        return self._removed()

    def _removed(self) -> Iterator[np.ndarray]:
        removed = bytearray((int(self.high) - int(self.low)) // 8 + 1)
        for p in range(self.partitions):
            edges = np.fromfile(self._path("edges", p), dtype=EDGE)
            yield _keep_policy(edges, removed, int(self.low))

    def _bucket_pairs(self, partition: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The pairs of rows that share a bucket among the records of one partition."""
        records = np.fromfile(self._path("bands", partition), dtype=RECORD)
        records = records[np.lexsort((records["key"], records["band"]))]
        same = (records["band"][1:] == records["band"][:-1]) & (
            records["key"][1:] == records["key"][:-1]
        )
        starts = np.flatnonzero(np.concatenate(([True], ~same)))
        sizes = np.diff(np.append(starts, len(records)))
        if not len(sizes) or sizes.max() < 2:
            return
        member = np.flatnonzero(np.repeat(sizes > 1, sizes))  # records in a shared bucket
        room = (np.repeat(starts + sizes, sizes) - np.arange(len(records)))[member]
        rows = records["row"]
        for gap in range(1, int(sizes.max())):
            first = member[room > gap]  # pair each record with the one `gap` further on
            yield rows[first], rows[first + gap]

    def _park_all(self, pairs: Iterable[tuple[np.ndarray, np.ndarray]]) -> None:
        """Park `pairs`, PARKED of them at a time: each parking opens the file of every partition
        its pairs fall in, and parked as they came (a few at a time, more batches and more
        partitions as the corpus grows) they opened 36k files at 500k documents, 142k at 1M."""
        held, count = [], 0
        for a, b in pairs:
            held.append((a, b))
            count += len(a)
            if count >= PARKED:
                self._park_pairs(*map(np.concatenate, zip(*held, strict=True)))
                held, count = [], 0
        if held:
            self._park_pairs(*map(np.concatenate, zip(*held, strict=True)))

    def _park_pairs(self, a: np.ndarray, b: np.ndarray) -> None:
        """Park candidate pairs as (low row << 32 | high row), partitioned by the low row, so
        that a pair met in several bands is verified once."""
        low, high = np.minimum(a, b).astype(np.uint64), np.maximum(a, b).astype(np.uint64)
        self._scatter("pairs", (low << np.uint64(32)) | high, low % np.uint64(self.partitions))

    def _verified(self, partition: int) -> np.ndarray:
        """The `EDGE`s of the distinct candidate pairs of one partition whose estimated Jaccard
        reaches the threshold."""
        pairs = np.unique(np.fromfile(self._path("pairs", partition), dtype=np.uint64))
        found = [np.empty(0, EDGE)]
        for start in range(0, len(pairs), VERIFY):
            chunk = pairs[start : start + VERIFY]
            a = (chunk >> np.uint64(32)).astype(np.int64)
            b = (chunk & np.uint64(0xFFFFFFFF)).astype(np.int64)
            needed, index = np.unique(np.concatenate([a, b]), return_inverse=True)
            rows = self._read_rows(needed)
            first, second = rows[index[: len(a)]], rows[index[len(a) :]]
            similarity = (first["sig"] == second["sig"]).mean(axis=1)
            close = similarity >= self.config.threshold  # as dedup._best_match decides
            one, other = first["position"][close], second["position"][close]
            edges = np.empty(len(one), EDGE)
            edges["late"], edges["early"] = np.maximum(one, other), np.minimum(one, other)
            edges["similarity"] = similarity[close]
            found.append(edges)
        return np.concatenate(found)

    def _read_rows(self, rows: np.ndarray) -> np.ndarray:
        """The rows (position and signature) numbered `rows`, read one by one: a memory map
        would keep every page it touched (and its neighbours) resident, growing with the corpus."""
        size = self.row.itemsize
        with open(self.scratch / "rows.bin", "rb") as handle:
            fd = handle.fileno()
            data = b"".join(os.pread(fd, size, int(row) * size) for row in rows)
        return np.frombuffer(data, dtype=self.row)


def _keep_policy(edges: np.ndarray, removed: bytearray, low: int) -> np.ndarray:
    """The greedy over one rank range's `EDGE`s: each late endpoint, in rank order, is removed
    by its most similar earlier neighbour still kept (ties: the better-ranked one). `removed`
    has a bit per rank position from `low`, set here; earlier ranges' bits are set already."""
    edges = edges[np.lexsort((edges["early"], -edges["similarity"], edges["late"]))]
    found = []
    columns = (edges["late"].tolist(), edges["early"].tolist(), edges["similarity"].tolist())
    for late, early, similarity in zip(*columns, strict=True):
        doc, other = late - low, early - low
        if _is_set(removed, doc) or _is_set(removed, other):
            continue
        removed[doc >> 3] |= 1 << (doc & 7)
        found.append((late, early, round(similarity, 4)))
    return np.array(found, dtype=REMOVED)


def _is_set(bits: bytearray, number: int) -> bool:
    return bool(bits[number >> 3] >> (number & 7) & 1)


def gathered(removed: Iterable[np.ndarray]) -> np.ndarray:
    """`NearDedup.run`'s arrays as one, for a caller that holds them all anyway."""
    return np.concatenate([np.empty(0, REMOVED), *removed])
