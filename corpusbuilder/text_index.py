"""Where each text of the text store is — sha256 → (segment, row group, row in it) — on local disk.

The index is sorted runs of fixed-width records, as a log-structured merge tree: each segment the
store writes adds a run of its records, and when FANOUT runs share a level (a size range) they are
merged into one, a chunk of each at a time. A lookup reads, in each run, only the blocks of BLOCK
records its keys fall in; the first key of every block is held in memory (32 bytes a BLOCK texts:
12.5 MB at 100 M texts). An in-memory index held 16 bytes a text and sorted itself whole to merge.

The index is a cache of the segments, rebuilt from them where it lacks one. A run is three files,
`<run>.segments` (the segment names its records number), `<run>.keys` (the first key of each
block) and `<run>.bin` (the records), the last renamed into place last: a run without its `.bin`
was never finished. After an interrupted merge the merged run and its inputs both exist; the
inputs, whose segments the merged run covers, are dropped when the index opens. BLOCK is part of
the format: a run written under another BLOCK holds another number of block keys (or one, which
is the same under any), so it fails `Run.complete` and is built again like a damaged run.

One writer at a time (the corpus lock; a file lock orders changes within it). A reader sees the
runs present when it opened: a segment written after that is indexed by the next open.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import numpy as np

from corpusbuilder.sorted_arrays import first_of_each

RECORD = np.dtype([("sha", "S32"), ("segment", "<u4"), ("group", "<u4"), ("row", "<u4")])
BLOCK = 128  # records a lookup reads at least from a run (5.6 KB)
FANOUT = 4  # runs of one level merged together: at most 3 a level, ~24 runs at 100 M texts
LEVEL_RECORDS = 1 << 14  # a level-0 run holds fewer than LEVEL_RECORDS * FANOUT records
CHUNK = 1 << 14  # records of each input a merge holds (720 KB)
LOOKUP = 256  # keys looked up in a run at once: a block read for each, at most 1.4 MB


def keys_of(shas: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(keys, valid): each hex sha256 as its 32 bytes; an asked value that is not one is invalid
    (and has an empty key, which no run holds)."""
    keys = np.zeros(len(shas), dtype="S32")
    valid = np.zeros(len(shas), dtype=bool)
    for i, sha in enumerate(shas):
        if len(sha) == 64:
            with suppress(ValueError):
                keys[i], valid[i] = bytes.fromhex(sha), True
    return keys, valid


def level(records: int) -> int:
    found, bound = 0, LEVEL_RECORDS * FANOUT
    while records >= bound:
        found, bound = found + 1, bound * FANOUT
    return found


class Run:
    """One sorted run: its records on disk, its block keys and segment names in memory."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder, self.name = folder, name
        self.segments = (folder / f"{name}.segments").read_text().splitlines()
        self.fences = np.fromfile(folder / f"{name}.keys", dtype="S32")
        self.records = (folder / f"{name}.bin").stat().st_size // RECORD.itemsize
        self._file = open(folder / f"{name}.bin", "rb")  # noqa: SIM115 (read while the run lives)

    def complete(self) -> bool:
        """Whether the files agree (a run written before a crash of the machine may not)."""
        size = (self.folder / f"{self.name}.bin").stat().st_size
        blocks = -(-self.records // BLOCK)
        return size == self.records * RECORD.itemsize and len(self.fences) == blocks

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found, records): for each key, whether this run holds it, and its record."""
        found = np.zeros(len(keys), dtype=bool)
        records = np.zeros(len(keys), dtype=RECORD)
        for start in range(0, len(keys), LOOKUP):
            part = slice(start, start + LOOKUP)
            blocks = np.unique(np.searchsorted(self.fences, keys[part], side="right") - 1)
            read = self._blocks(blocks[blocks >= 0])
            if len(read):
                at = np.minimum(np.searchsorted(read["sha"], keys[part]), len(read) - 1)
                found[part], records[part] = read["sha"][at] == keys[part], read[at]
        return found, records

    def _blocks(self, blocks: np.ndarray) -> np.ndarray:
        """The records of the asked blocks (ascending): together, still sorted."""
        size = BLOCK * RECORD.itemsize
        fd = self._file.fileno()
        data = b"".join(os.pread(fd, size, int(block) * size) for block in blocks)
        return np.frombuffer(data, dtype=RECORD)

    def chunks(self, offset: int) -> Iterator[np.ndarray]:
        """The records in order, CHUNK at a time, their segment numbers moved up by `offset`."""
        with open(self.folder / f"{self.name}.bin", "rb") as source:
            while len(chunk := np.fromfile(source, dtype=RECORD, count=CHUNK)):
                chunk["segment"] += offset
                yield chunk

    def close(self) -> None:
        self._file.close()

    def remove(self) -> None:
        self.close()
        for suffix in (".bin", ".keys", ".segments"):
            (self.folder / f"{self.name}{suffix}").unlink(missing_ok=True)


class TextIndex:
    """The index of one text store, in `folder` (a local directory, created if absent)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._locked():
            self.runs = self._open_runs()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One process changes the index at a time (a reader may open it while a build writes)."""
        with open(self.folder / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _open_runs(self) -> list[Run]:
        """The finished runs, an interrupted merge's inputs and unfinished runs removed."""
        for partial in self.folder.glob("*.partial"):
            partial.unlink()
        names = {path.stem for path in self.folder.glob("*.segments")}
        runs, finished = [], {path.stem for path in self.folder.glob("*.bin")}
        for name in names - finished:
            for suffix in (".keys", ".segments"):
                (self.folder / f"{name}{suffix}").unlink(missing_ok=True)
        covered: set[str] = set()
        for run in sorted((Run(self.folder, n) for n in finished), key=lambda r: -r.records):
            if not run.complete() or covered.intersection(run.segments):
                run.remove()
            else:
                covered.update(run.segments)
                runs.append(run)
        return runs

    def segments(self) -> set[str]:
        """The names of the segments indexed."""
        return {name for run in self.runs for name in run.segments}

    def clear(self) -> None:
        with self._locked():
            for run in self.runs:
                run.remove()
            self.runs = []

    def add(self, segment: str, shas: Sequence[str], groups: np.ndarray, rows: np.ndarray) -> None:
        """Index a segment: the sha256 of each of its rows, their row groups and rows in them."""
        records = np.zeros(len(shas), dtype=RECORD)
        records["sha"], _ = keys_of(shas)
        records["group"], records["row"] = groups, rows
        records = _once(records[np.argsort(records["sha"], kind="stable")])
        with self._locked():
            self.runs.append(self._write([segment], iter([records])))
            self._merge_full_levels()

    def _merge_full_levels(self) -> None:
        while True:
            by_level: dict[int, list[Run]] = {}
            for run in self.runs:
                by_level.setdefault(level(run.records), []).append(run)
            full = next((runs for runs in by_level.values() if len(runs) >= FANOUT), None)
            if full is None:
                return
            merged = self._write([name for run in full for name in run.segments], _merged(full))
            for run in full:
                run.remove()
            self.runs = [run for run in self.runs if run not in full] + [merged]

    def _write(self, segments: list[str], chunks: Iterator[np.ndarray]) -> Run:
        """A new run of the sorted `chunks`, whose records number `segments`."""
        name = f"run-{uuid.uuid4().hex[:16]}"
        (self.folder / f"{name}.segments").write_text("".join(f"{s}\n" for s in segments))
        fences, written = [], 0
        partial = self.folder / f"{name}.bin.partial"
        with open(partial, "wb") as sink:
            for chunk in chunks:
                fences.append(chunk["sha"][(-written) % BLOCK :: BLOCK].copy())  # not a view
                chunk.tofile(sink)
                written += len(chunk)
        np.concatenate([np.zeros(0, "S32"), *fences]).tofile(self.folder / f"{name}.keys")
        os.replace(partial, self.folder / f"{name}.bin")
        return Run(self.folder, name)

    def find(self, shas: Sequence[str]) -> list[tuple[str, int, int] | None]:
        """For each sha256, (segment name, row group, row in it), or None when absent."""
        keys, valid = keys_of(shas)
        places: list[tuple[str, int, int] | None] = [None] * len(shas)
        waiting = np.flatnonzero(valid)
        for run in self.runs:
            if not len(waiting):
                break
            found, records = run.find(keys[waiting])
            for i, record in zip(waiting[found].tolist(), records[found].tolist(), strict=True):
                places[i] = (run.segments[record[1]], record[2], record[3])
            waiting = waiting[~found]
        return places


def _once(records: np.ndarray) -> np.ndarray:
    """Sorted records without repeated keys (a text stored twice is found in its first place)."""
    return records[first_of_each(records["sha"])]


def _merged(runs: list[Run]) -> Iterator[np.ndarray]:
    """The records of `runs`, merged in key order a chunk at a time, each key once, their segment
    numbers those of the runs' segment lists one after another."""
    offsets = np.cumsum([0, *(len(run.segments) for run in runs[:-1])]).tolist()
    readers = [run.chunks(offset) for run, offset in zip(runs, offsets, strict=True)]
    held = [next(reader, None) for reader in readers]
    while any(chunk is not None for chunk in held):
        bound = min(chunk["sha"][-1] for chunk in held if chunk is not None)
        taken = []
        for i, chunk in enumerate(held):
            if chunk is None:
                continue
            cut = int(np.searchsorted(chunk["sha"], bound, side="right"))
            taken.append(chunk[:cut])
            held[i] = chunk[cut:] if cut < len(chunk) else next(readers[i], None)
        records = np.concatenate(taken)
        yield _once(records[np.argsort(records["sha"], kind="stable")])
