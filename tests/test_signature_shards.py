"""The signature store's shards split by the next hex digit once they would hold more than
SHARD_ROWS, so a fold holds a bounded number of rows however large the store: the leaves stay
disjoint, sorted and whole, stores of two-digit shards from earlier versions fold on, and a split
interrupted before its parent is removed still answers and is finished by the next compaction.
SHARD_ROWS is small here, so that a few thousand signatures split twice."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpusbuilder.curate import signatures
from corpusbuilder.curate.signatures import SignatureStore, by_shard
from corpusbuilder.storage import Storage
from tests.test_signature_store import shas, sigs

SHARD_ROWS = 64
PIECE_ROWS = 32


@pytest.fixture
def small(monkeypatch):
    monkeypatch.setattr(signatures, "SHARD_ROWS", SHARD_ROWS)
    monkeypatch.setattr(signatures, "PIECE_ROWS", PIECE_ROWS)
    monkeypatch.setattr(signatures, "ROWS_PER_GROUP", 8)


def under(prefix: str, numbers) -> list[str]:
    """sha256s of `numbers` made to start with `prefix`, so that they crowd one shard."""
    return [prefix + sha[len(prefix) :] for sha in shas(numbers)]


def assert_well_formed(store: SignatureStore, expected: list[str]) -> dict[str, list[str]]:
    """Each shard's sha256s by its prefix, once checked: each file sorted, under its prefix and
    at most SHARD_ROWS; no prefix under another (disjoint leaves); every one of `expected` once."""
    shards = {}
    for name in store.storage.names("shard-", ".parquet"):
        prefix = name[len("shard-") : -len(".parquet")]
        keys = store.storage.read_parquet(name)["sha256"].to_pylist()
        assert keys == sorted(keys) and all(k.startswith(prefix) for k in keys), name
        assert len(keys) <= SHARD_ROWS, name
        shards[prefix] = keys
    prefixes = sorted(shards)  # a prefix's descendants would follow it at once
    assert not [(a, b) for a, b in zip(prefixes, prefixes[1:], strict=False) if b.startswith(a)]
    assert sorted(k for keys in shards.values() for k in keys) == sorted(set(expected))
    return shards


def test_a_crowded_shard_splits_into_disjoint_sorted_leaves_that_keep_every_signature(
    tmp_path, small
):
    keys = under("ab", range(3000)) + shas(range(3000, 3500))  # "ab" crowded, the rest thin
    keys += under("ab", range(3500, 3510))  # put last: a few, to the leaves "ab" split into
    values = sigs(range(3510))
    store = SignatureStore(f"memory://signatures-{tmp_path.name}", "k")  # fast: 800 files
    for start in range(0, 3510, 500):  # overlapping puts, compacted every other time
        store.put(keys[start : start + 600], values[start : start + 600])
        if start % 1000:
            store.compact()

    shards = assert_well_formed(store, keys)
    assert "ab" not in shards and max(map(len, shards)) == 4  # 3000 rows: 16 x 16 leaves
    assert len([p for p in shards if len(p) == 2]) > 100  # the thin ones did not split
    assert np.array_equal(store.get(keys[::-1], 8), values[::-1])


def test_two_digit_shards_of_earlier_versions_are_read_and_split_when_folded(tmp_path, small):
    folder = tmp_path / "k"
    folder.mkdir()
    kept = {"ab": range(100), "cd": range(100, 110)}  # "ab" over the limit: written before it
    for prefix, numbers in kept.items():
        values = [sig.tobytes() for sig in sigs(numbers)]
        table = pa.table({"sha256": under(prefix, numbers), "sig": values}).sort_by("sha256")
        pq.write_table(table, folder / f"shard-{prefix}.parquet")  # one row group, as they did
    old = under("ab", range(100)) + under("cd", range(100, 110))
    store = SignatureStore(tmp_path, "k")
    assert np.array_equal(store.get(old, 8), sigs(range(110)))

    store.put(under("ab", range(50, 150)), sigs(range(50, 150)))  # half of them kept already
    everything = under("ab", range(150)) + under("cd", range(100, 110))
    assert np.array_equal(store.get(everything, 8), sigs([*range(150), *range(100, 110)]))
    shards = assert_well_formed(store, everything)
    assert sorted(p for p in shards if not p.startswith("ab")) == ["cd"]  # left as it was
    assert len(shards) == 17 and all(len(p) == 3 for p in shards if p.startswith("ab"))


class Interrupted(Exception):
    pass


def parent_not_removed(patch: pytest.MonkeyPatch) -> None:
    remove = Storage.remove

    def failing(self, name: str) -> None:
        if name == "shard-ab.parquet":
            raise Interrupted
        remove(self, name)

    patch.setattr(Storage, "remove", failing)


def children_half_written(patch: pytest.MonkeyPatch) -> None:
    fold = SignatureStore._fold

    def failing(self, prefix, folder, rows) -> None:
        if prefix == "ab8":  # ab0 to ab7 written
            raise Interrupted
        fold(self, prefix, folder, rows)

    patch.setattr(SignatureStore, "_fold", failing)


@pytest.mark.parametrize("interrupt", [parent_not_removed, children_half_written])
def test_an_interrupted_split_still_answers_and_the_next_compaction_finishes_it(
    tmp_path, small, monkeypatch, interrupt
):
    old, new = under("ab", range(60)), under("ab", range(60, 160))
    store = SignatureStore(tmp_path, "k")
    store.put(old, sigs(range(60)))
    store.compact()
    store.put(new, sigs(range(60, 160)))  # 160 rows: "ab" splits
    with monkeypatch.context() as patch:
        interrupt(patch)
        with pytest.raises(Interrupted):
            store.compact()
    names = store.storage.names()
    assert {"shard-ab.parquet", "shard-ab0.parquet"} <= set(names)  # parent and children
    assert any(name.startswith("sig-") for name in names)  # to be folded again

    with monkeypatch.context() as patch:  # as it is: the longest prefix answers
        patch.setattr(SignatureStore, "compact", lambda self: None)
        found, got = SignatureStore(tmp_path, "k").lookup(old + new, 8)
    children = {name[len("shard-") : -len(".parquet")] for name in names if len(name) == 17}
    assert found.tolist() == [True] * 60 + [sha[:3] in children for sha in new]
    assert np.array_equal(got[found], sigs(range(160))[found])

    fresh = SignatureStore(tmp_path, "k")
    assert np.array_equal(fresh.get(old + new, 8), sigs(range(160)))  # compacted first
    assert "ab" not in assert_well_formed(fresh, old + new)
    assert not fresh.storage.names("sig-")


def test_a_fold_holds_a_shard_or_a_piece_of_rows_however_large_the_store(
    tmp_path, small, monkeypatch
):
    parted, merged = [], []  # the rows of each table a fold parts among children, or merges

    def parting(table, column="sha256", digits=2):
        parted.append(table.num_rows)
        return by_shard(table, column, digits)

    merge = SignatureStore._merge

    def merging(self, name, new) -> None:
        merged.append(self._rows(name) + new.num_rows)
        merge(self, name, new)

    monkeypatch.setattr(signatures, "by_shard", parting)
    monkeypatch.setattr(SignatureStore, "_merge", merging)
    store = SignatureStore(f"memory://signatures-{tmp_path.name}", "k")
    size = 20 * SHARD_ROWS
    for half in (range(size // 2), range(size // 2, size)):  # the second splits ab0 to abf
        for start in half[::8]:  # small segments, their spill gathered into pieces
            store.put(under("ab", range(start, start + 8)), sigs(range(start, start + 8)))
        store.compact()

    assert_well_formed(store, under("ab", range(size)))
    assert max(merged) <= SHARD_ROWS and max(parted) == PIECE_ROWS


def test_a_text_put_more_often_than_a_shard_holds_is_kept_once(tmp_path, monkeypatch):
    monkeypatch.setattr(signatures, "SHARD_ROWS", 2)
    store = SignatureStore(tmp_path, "k")
    for other in (2, 3, 4):  # three rows of one sha256 (in three segments): no split parts them
        store.put(shas([1, other]), sigs([1, other]))
    assert np.array_equal(store.get(shas([1]), 8), sigs([1]))
    assert f"shard-{shas([1])[0]}.parquet" in store.storage.names()
