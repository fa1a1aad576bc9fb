"""The signature store: sharded, sorted Parquet files of which a lookup reads only the row groups it
needs; the segments of earlier versions (and of `put`) are folded in, and shards written before
row groups are read whole, so existing stores keep working."""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpusbuilder.curate import signatures
from corpusbuilder.curate.signatures import SignatureStore
from corpusbuilder.storage import Storage
from corpusbuilder.textstore import write_segment


def shas(numbers) -> list[str]:
    return [hashlib.sha256(str(n).encode()).hexdigest() for n in numbers]


def sigs(numbers, num_perm: int = 8) -> np.ndarray:
    return np.array([[n * 100 + k for k in range(num_perm)] for n in numbers], dtype=np.uint32)


def write_legacy_segment(folder, numbers) -> None:
    """A segment exactly as the store before shards wrote it (`put` of earlier versions)."""
    rows = sorted(zip(shas(numbers), (s.tobytes() for s in sigs(numbers)), strict=True))
    keys = [sha for sha, _ in rows]
    table = pa.table({"sha256": keys, "sig": pa.array([sig for _, sig in rows], pa.binary())})
    write_segment(Storage(folder), "sig", keys, table)


def test_a_store_of_segments_from_earlier_versions_is_read_and_folded_into_shards(tmp_path):
    write_legacy_segment(tmp_path / "8-5-1", range(0, 40))
    write_legacy_segment(tmp_path / "8-5-1", range(30, 70))  # overlapping: the same signatures
    store = SignatureStore(tmp_path, "8-5-1")

    assert np.array_equal(store.get(shas([69, 0, 35]), 8), sigs([69, 0, 35]))

    names = store.storage.names()
    assert not [n for n in names if n.startswith("sig-")]
    assert names and all(n.startswith("shard-") for n in names)
    rows = sum(store.storage.read_parquet(n).num_rows for n in names)
    assert rows == 70  # each text once
    for name in names:
        keys = store.storage.read_parquet(name)["sha256"].to_pylist()
        assert keys == sorted(keys) and {k[:2] for k in keys} == {name[6:8]}


def test_put_get_missing_and_the_missing_text_named(tmp_path):
    store = SignatureStore(tmp_path, "k")
    store.put(shas(range(10)), sigs(range(10)))
    store.put(shas(range(5, 15)), sigs(range(5, 15)))  # again, and more
    assert np.array_equal(store.get(shas([14, 3, 3]), 8), sigs([14, 3, 3]))
    assert store.missing(shas([1, 99, 98, 99])) == shas([99, 98])
    assert shas([2])[0] in store and shas([99])[0] not in store
    with pytest.raises(KeyError, match=shas([99])[0]):
        store.get(shas([1, 99]), 8)
    found, got = store.lookup(shas([99, 4]), 8)
    assert found.tolist() == [False, True] and np.array_equal(got[1], sigs([4])[0])


def test_an_interrupted_compaction_is_folded_again_without_duplicates(tmp_path):
    store = SignatureStore(tmp_path, "k")
    store.put(shas(range(20)), sigs(range(20)))
    store.compact()
    store.put(shas(range(10, 30)), sigs(range(10, 30)))
    write_legacy_segment(tmp_path / "k", range(20))  # as if its removal had not happened
    store.compact()
    assert sum(store.storage.read_parquet(n).num_rows for n in store.storage.names()) == 30
    assert np.array_equal(store.get(shas(range(30)), 8), sigs(range(30)))


def test_a_store_at_an_fsspec_url(tmp_path):
    store = SignatureStore(f"memory://signatures-{tmp_path.name}", "k")
    store.put(shas(range(50)), sigs(range(50)))
    assert np.array_equal(store.get(shas(range(49, -1, -1)), 8), sigs(range(49, -1, -1)))
    assert all(n.startswith("shard-") for n in store.storage.names())


def test_a_lookup_reads_only_the_row_groups_that_hold_what_it_asks_for(tmp_path, monkeypatch):
    monkeypatch.setattr(signatures, "ROWS_PER_GROUP", 4)
    store = SignatureStore(tmp_path, "k")
    store.put(shas(range(8000)), sigs(range(8000)))
    store.compact()
    read = []
    original = pq.ParquetFile.read_row_groups

    def recorded(self, groups, *args, **kwargs):
        table = original(self, groups, *args, **kwargs)
        read.append((self.metadata.num_rows, len(groups), table.num_rows))
        return table

    monkeypatch.setattr(pq.ParquetFile, "read_row_groups", recorded)
    wanted = shas([7])
    assert np.array_equal(store.get(wanted, 8), sigs([7]))
    [(shard_rows, groups, rows)] = read  # one shard opened, one group of it read
    assert groups == 1 and rows <= 4 < shard_rows

    read.clear()  # five consecutive texts of that shard, as pass 2 of dedup asks for a range
    same = sorted((sha, n) for n, sha in enumerate(shas(range(8000))) if sha[:2] == wanted[0][:2])
    numbers = [n for _, n in same[5:10]]
    assert np.array_equal(store.get(shas(numbers), 8), sigs(numbers))
    [(shard_rows, groups, rows)] = read
    assert groups <= 3 and rows <= 12 < shard_rows  # five rows span three groups of four at most


@pytest.mark.parametrize("statistics", [True, False])
def test_a_shard_of_one_row_group_or_without_statistics_is_read_whole(tmp_path, statistics):
    numbers = [n for n in range(3000) if shas([n])[0].startswith("ab")]
    table = pa.table({"sha256": shas(numbers), "sig": [s.tobytes() for s in sigs(numbers)]})
    folder = tmp_path / "k"
    folder.mkdir()
    pq.write_table(table.sort_by("sha256"), folder / "shard-ab.parquet",
                   row_group_size=3, write_statistics=statistics)  # fmt: skip
    store = SignatureStore(tmp_path, "k")
    assert np.array_equal(store.get(shas(numbers[::-1]), 8), sigs(numbers[::-1]))
