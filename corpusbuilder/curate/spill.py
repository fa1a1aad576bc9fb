"""Local spill files: Arrow tables (or NumPy records) appended to a file a piece at a time and read
back whole or a bounded piece at a time, so a pass over the corpus can park rows by partition (a
shard, a bucket range) and hold only one partition, or one piece of it, in memory afterwards."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from corpusbuilder.sorted_arrays import first_of_each


def append(path: Path, rows: pa.Table) -> None:
    """Append `rows` to `path` as one Arrow IPC stream (a file holds streams one after another)."""
    with open(path, "ab") as sink, pa.ipc.new_stream(sink, rows.schema) as writer:
        writer.write_table(rows)


def read(path: Path) -> pa.Table:
    """Every row appended to `path`, in order."""
    return pa.concat_tables(pieces(path, sys.maxsize))


def pieces(path: Path, rows: int) -> Iterator[pa.Table]:
    """The rows appended to `path`, in order, in tables of at most `rows` rows (or one appended
    batch, if larger): small appends are gathered, so that a piece costs its reader one step, not
    one per append."""
    batches: list[pa.RecordBatch] = []
    held = 0
    with open(path, "rb") as source:
        while source.tell() < path.stat().st_size:
            for batch in pa.ipc.open_stream(source):
                if batches and held + batch.num_rows > rows:
                    yield pa.Table.from_batches(batches)
                    batches, held = [], 0
                batches.append(batch)
                held += batch.num_rows
    if batches:
        yield pa.Table.from_batches(batches)


def scatter(path_of: Callable[[int], Path], items: np.ndarray, partition: np.ndarray) -> None:
    """Append each of `items` (a NumPy array) to the file `path_of` its `partition` number, as
    raw bytes, each file opened once: parking many items costs one open a partition."""
    if not len(items):
        return
    order = np.argsort(partition, kind="stable")
    items, partition = items[order], partition[order]
    starts = np.flatnonzero(first_of_each(partition))
    for start, stop in zip(starts.tolist(), [*starts[1:].tolist(), len(items)], strict=True):
        with open(path_of(int(partition[start])), "ab") as handle:
            handle.write(items[start:stop].tobytes())
