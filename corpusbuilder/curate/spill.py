"""Local spill files: Arrow tables appended to a file a piece at a time and read back whole, so a
pass over the corpus can park rows by partition (a shard, a bucket range) and hold only one
partition in memory afterwards."""

from __future__ import annotations

from pathlib import Path

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
