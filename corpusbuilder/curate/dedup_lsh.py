"""Near-dedup out of core: `dedup`'s keep policy over any number of documents in bounded memory.

Documents arrive in chunks, in any order, each known by its rank position (a unique integer, lower
wins: the caller numbers them in keep-policy order). The stages follow datatrove's MinHash
pipeline, but end in the same decisions as the in-memory greedy rather than in approximate
clusters:

1. `add`: each document's signature goes to a scratch file (its row), and its `bands` LSH keys
   to one of `partitions` files, chosen by the key, as (band, key, row) records;
2. per partition: sort the records and pair the rows of every bucket; the pairs are parked in
   files again, by their first row, so that each distinct pair is verified once, on its rows'
   signatures: those whose estimated Jaccard reaches the threshold are the edges;
3. the greedy keep policy over the edges, in rank order of their later endpoint: a document is
   removed by the most similar (then best-ranked) earlier neighbour that was kept. Its decision
   depends only on its earlier neighbours, all decided before it, so this equals visiting every
   document in rank order.

Memory holds one partition, the rank positions (8 bytes a document) and the verified edges (the
duplicates), never the signatures of the corpus (a memory map would keep every page it read).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from corpusbuilder.curate import minhash

if TYPE_CHECKING:
    from corpusbuilder.curate.dedup import DedupConfig

RECORD = np.dtype([("band", "u1"), ("key", "<u8"), ("row", "<u4")])
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
        self.rows = 0
        for name in ("signatures.bin", "positions.bin", *map(self._part, range(partitions))):
            (self.scratch / name).write_bytes(b"")

    def _append(self, name: str, data: np.ndarray) -> None:
        with open(self.scratch / name, "ab") as handle:
            handle.write(data.tobytes())

    @staticmethod
    def _part(partition: int) -> str:
        return f"bands-{partition:04d}.bin"

    def add(self, positions: np.ndarray, sigs: np.ndarray) -> None:
        """Add documents: their rank positions (int64) and (n, num_perm) uint32 signatures."""
        if sigs.ndim != 2 or sigs.shape[1] != self.config.num_perm or len(sigs) != len(positions):
            raise ValueError(
                f"signatures of shape {sigs.shape} for {len(positions)} positions, expected"
                f" (n, {self.config.num_perm}): compute them with the same DedupConfig"
            )
        rows = np.arange(self.rows, self.rows + len(sigs), dtype=np.uint32)
        self.rows += len(sigs)
        self._append("signatures.bin", np.ascontiguousarray(sigs, dtype=np.uint32))
        self._append("positions.bin", np.asarray(positions, dtype=np.int64))
        records = np.empty((self.config.bands, len(sigs)), dtype=RECORD)
        for band in range(self.config.bands):
            records[band]["band"] = band
            records[band]["key"] = band_hash(sigs, band, self.config)
            records[band]["row"] = rows
        records = records.ravel()
        partition = records["key"] % np.uint64(self.partitions)
        order = np.argsort(partition, kind="stable")
        bounds = np.searchsorted(partition[order], np.arange(self.partitions + 1))
        for p in range(self.partitions):
            self._append(self._part(p), records[order[bounds[p] : bounds[p + 1]]])

    def run(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The removed documents' positions (ascending), the position of the kept document each
        duplicates, and their estimated Jaccard (rounded to 4 places, as `dedup` records it)."""
        positions = np.fromfile(self.scratch / "positions.bin", dtype=np.int64)
        if len(np.unique(positions)) != len(positions):
            raise ValueError("rank positions must be unique: number documents in rank order")
        for p in range(self.partitions):
            (self.scratch / self._pairs(p)).write_bytes(b"")
        for p in range(self.partitions):
            self._park_all(self._bucket_pairs(p))
        found = [self._verified(p) for p in range(self.partitions)]
        a, b, similarity = (np.concatenate(column) for column in zip(*found, strict=True))
        early = np.where(positions[a] < positions[b], positions[a], positions[b])
        late = np.where(positions[a] < positions[b], positions[b], positions[a])
        return _keep_policy(early, late, similarity)

    @staticmethod
    def _pairs(partition: int) -> str:
        return f"pairs-{partition:04d}.bin"

    def _bucket_pairs(self, partition: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The pairs of rows that share a bucket among the records of one partition."""
        records = np.fromfile(self.scratch / self._part(partition), dtype=RECORD)
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
        pairs = (low << np.uint64(32)) | high
        partition = low % np.uint64(self.partitions)
        order = np.argsort(partition, kind="stable")
        bounds = np.searchsorted(partition[order], np.arange(self.partitions + 1))
        for p in np.flatnonzero(np.diff(bounds)):
            self._append(self._pairs(p), pairs[order[bounds[p] : bounds[p + 1]]])

    def _verified(self, partition: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, row, similarity) of the distinct candidate pairs of one partition whose
        estimated Jaccard reaches the threshold."""
        pairs = np.unique(np.fromfile(self.scratch / self._pairs(partition), dtype=np.uint64))
        found = [(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64))]
        for start in range(0, len(pairs), VERIFY):
            chunk = pairs[start : start + VERIFY]
            a = (chunk >> np.uint64(32)).astype(np.int64)
            b = (chunk & np.uint64(0xFFFFFFFF)).astype(np.int64)
            needed, index = np.unique(np.concatenate([a, b]), return_inverse=True)
            sigs = self._read_rows(needed)
            similarity = (sigs[index[: len(a)]] == sigs[index[len(a) :]]).mean(axis=1)
            close = similarity >= self.config.threshold  # as dedup._best_match decides
            found.append((a[close], b[close], similarity[close]))
        return tuple(np.concatenate(column) for column in zip(*found, strict=True))

    def _read_rows(self, rows: np.ndarray) -> np.ndarray:
        """The signatures of `rows`, read row by row: a memory map would keep every page it
        touched (and its neighbours) resident, growing with the corpus."""
        size = self.config.num_perm * 4
        with open(self.scratch / "signatures.bin", "rb") as handle:
            fd = handle.fileno()
            data = b"".join(os.pread(fd, size, int(row) * size) for row in rows)
        return np.frombuffer(data, dtype=np.uint32).reshape(len(rows), self.config.num_perm)


def _keep_policy(
    early: np.ndarray, late: np.ndarray, similarity: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The greedy over verified edges (early, late): each late endpoint, in rank order, is removed
    by its most similar earlier neighbour still kept (ties: the better-ranked one)."""
    order = np.lexsort((early, -similarity, late))
    removed: dict[int, tuple[int, float]] = {}
    for i in order:
        doc, other = int(late[i]), int(early[i])
        if doc not in removed and other not in removed:
            removed[doc] = (other, round(float(similarity[i]), 4))
    docs = sorted(removed)
    return (
        np.array(docs, dtype=np.int64),
        np.array([removed[d][0] for d in docs], dtype=np.int64),
        np.array([removed[d][1] for d in docs], dtype=np.float64),
    )
