"""What deduplication removes, kept on disk: the removals parked by rank range and read back in
rank order, and the doc_id at any rank position, so that its last pass over the documents holds
one range of removals and the names of the documents they keep, never a row per document."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

import numpy as np

from corpusbuilder.curate.spill import scatter

# A removed document: its rank position, the kept one's, their similarity, an exact copy or not.
REMOVAL = np.dtype([("position", "<i8"), ("kept", "<i8"), ("similarity", "<f8"), ("exact", "?")])
POSITIONS_PER_RANGE = 1 << 16  # a range's removals are read at once: ~1.6 MB at most
HELD = 1 << 18  # removals held before they are parked (6.5 MB)


class RemovalFiles:
    """Removals of documents at rank positions 0 … `total` - 1, added in any order, read in rank
    order by consecutive windows (`between`)."""

    def __init__(self, folder: Path, total: int) -> None:
        self.folder, self.total = folder, max(total, 1)
        self.ranges = -(-self.total // POSITIONS_PER_RANGE)
        folder.mkdir(parents=True)
        self.held: list[np.ndarray] = []
        self.loaded = np.empty(0, REMOVAL)
        self.next_range = 0

    def add(self, removals: np.ndarray) -> None:
        self.held.append(removals)
        if sum(map(len, self.held)) >= HELD:
            self._park()

    def _park(self) -> None:
        """The held removals to their ranges' files, each file opened once."""
        if self.held:
            removals = np.concatenate(self.held)
            self.held = []
            scatter(self._path, removals, removals["position"] * self.ranges // self.total)

    def _path(self, number: int) -> Path:
        return self.folder / f"removals-{number:05d}.bin"

    def between(self, start: int, stop: int) -> np.ndarray:
        """The removals at positions start … stop - 1, sorted; windows must come in rank order."""
        self._park()
        while self.next_range < self.ranges and self._first(self.next_range) < stop:
            path = self._path(self.next_range)
            more = np.fromfile(path, REMOVAL) if path.exists() else np.empty(0, REMOVAL)
            self.loaded = np.concatenate([self.loaded, np.sort(more, order="position")])
            self.next_range += 1
        low, high = np.searchsorted(self.loaded["position"], [start, stop])
        window, self.loaded = self.loaded[low:high], self.loaded[high:]
        return window

    def _first(self, number: int) -> int:
        """The first position of range `number` (those whose position × ranges // total is it)."""
        return -(-number * self.total // self.ranges)


class DocIds:
    """The doc_id at each rank position: written in rank order, read back by position from disk
    (two reads each), so no name per document is held."""

    def __init__(self, folder: Path) -> None:
        self.names, self.ends = folder / "doc_ids.bin", folder / "doc_id_ends.bin"
        self.names.write_bytes(b"")
        self.ends.write_bytes(b"")
        self.written = 0

    def extend(self, doc_ids: list[str]) -> None:
        """Append the doc_ids of the next positions."""
        encoded = [doc_id.encode("utf-8") for doc_id in doc_ids]
        ends = self.written + np.cumsum([len(name) for name in encoded], dtype=np.int64)
        with open(self.names, "ab") as names, open(self.ends, "ab") as offsets:
            names.write(b"".join(encoded))
            offsets.write(ends.tobytes())
        self.written = int(ends[-1]) if len(ends) else self.written

    def of(self, positions: np.ndarray) -> dict[int, str]:
        """position → doc_id for each of `positions`."""
        found = {}
        with open(self.names, "rb") as names, open(self.ends, "rb") as ends:
            for position in np.unique(positions).tolist():
                start = _int64(ends, position - 1) if position else 0
                end = _int64(ends, position)
                found[position] = os.pread(names.fileno(), end - start, start).decode("utf-8")
        return found


def _int64(handle: BinaryIO, index: int) -> int:
    """The `index`-th little-endian int64 of an open file."""
    return int.from_bytes(os.pread(handle.fileno(), 8, index * 8), "little", signed=True)
