"""Local spill files: Arrow tables (or NumPy records) appended to a file a piece at a time and read
back whole, so a pass over the corpus can park rows by partition (a shard, a bucket range) and
hold only one partition in memory afterwards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa


def append(path: Path, rows: pa.Table) -> None:
    """Append `rows` to `path` as one Arrow IPC stream (a file holds streams one after another)."""
    with open(path, "ab") as sink, pa.ipc.new_stream(sink, rows.schema) as writer:
        writer.write_table(rows)


def read(path: Path) -> pa.Table:
    """Every row appended to `path`, in order."""
    tables = []
    with open(path, "rb") as source:
        while source.tell() < path.stat().st_size:
            tables.append(pa.ipc.open_stream(source).read_all())
    return pa.concat_tables(tables)


def scatter(path_of: Callable[[int], Path], items: np.ndarray, partition: np.ndarray) -> None:
    """Append each of `items` (a NumPy array) to the file `path_of` its `partition` number, as
    raw bytes, each file opened once: parking many items costs one open a partition."""
    if not len(items):
        return
    order = np.argsort(partition, kind="stable")
    items, partition = items[order], partition[order]
    starts = np.flatnonzero(np.concatenate(([True], partition[1:] != partition[:-1])))
    for start, stop in zip(starts.tolist(), [*starts[1:].tolist(), len(items)], strict=True):
        with open(path_of(int(partition[start])), "ab") as handle:
            handle.write(items[start:stop].tobytes())
