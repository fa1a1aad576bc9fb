"""The text store's index on local disk: sorted runs merged by level in bounded memory, lookups
that read only the blocks their keys fall in, and a cache of the segments that opening repairs —
whatever an interruption, a crash or a missing folder left."""

from __future__ import annotations

import os
import tracemalloc
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pytest

from corpusbuilder import text_index
from corpusbuilder.storage import Storage
from corpusbuilder.text_index import RECORD, TextIndex
from corpusbuilder.textstore import SCHEMA, TextStore, sha256_text, write_segment


def _texts(start: int, stop: int) -> list[str]:
    return [f"document {i}" for i in range(start, stop)]


@pytest.fixture
def small(monkeypatch):
    """Runs of a few blocks: level 0 below 8 records, two runs a level, blocks of 4 records."""
    monkeypatch.setattr(text_index, "LEVEL_RECORDS", 4)
    monkeypatch.setattr(text_index, "FANOUT", 2)
    monkeypatch.setattr(text_index, "BLOCK", 4)
    monkeypatch.setattr(text_index, "CHUNK", 8)


def _stored(store: TextStore, texts: list[str]) -> list[str]:
    return [text for _, text in store.get_many(sha256_text(t) for t in texts)]


def test_runs_merge_by_level_and_every_text_keeps_its_place(tmp_path, small):
    store, texts = TextStore(tmp_path / "texts"), _texts(0, 600)
    for start in range(0, 600, 10):
        store.put_many(texts[start : start + 10])
    runs = store.index.runs
    levels = [text_index.level(run.records) for run in runs]
    assert sum(run.records for run in runs) == 600  # each text once, across 60 segments
    assert len(set(levels)) == len(levels)  # FANOUT 2: one run a level, else they merged
    assert len(runs) <= 7  # log2(600 / 4) levels: not one run a segment
    for run in runs:
        keys = np.fromfile(tmp_path / "texts" / "index" / f"{run.name}.bin", RECORD)["sha"]
        assert (keys[1:] > keys[:-1]).all()  # sorted, no key twice
        assert list(run.fences) == list(keys[::4])
    assert _stored(TextStore(tmp_path / "texts"), texts[::-7]) == texts[::-7]


def test_a_merge_holds_a_chunk_of_each_run_not_the_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(text_index, "CHUNK", 256)  # 11 KB of records
    index, rng = TextIndex(tmp_path), np.random.default_rng(0)
    for name in ("seg-a", "seg-b"):  # two runs of 20,000 records: 880 KB each
        shas = [rng.bytes(32).hex() for _ in range(20_000)]
        index.add(name, shas, np.zeros(20_000, int), np.arange(20_000))
    monkeypatch.setattr(text_index, "FANOUT", 2)
    tracemalloc.start()
    try:
        index.add("seg-c", ["ab" * 32], np.zeros(1, int), np.zeros(1, int))  # three: merged
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [run.records for run in index.runs] == [40_001]
    assert peak < 200_000  # chunks of each run, and the block keys: not 1.76 MB of records


def test_a_lookup_reads_the_blocks_its_keys_fall_in(tmp_path, monkeypatch):
    monkeypatch.setattr(text_index, "BLOCK", 16)
    store, texts = TextStore(tmp_path), _texts(0, 1600)
    store.put_many(texts)  # one segment, one run of 100 blocks
    read: list[int] = []
    pread = text_index.os.pread

    def counted(fd, size, offset):
        read.append(size)
        return pread(fd, size, offset)

    monkeypatch.setattr(text_index.os, "pread", counted)
    assert store.get(sha256_text(texts[1234])) == texts[1234]
    assert read == [16 * RECORD.itemsize]  # one block of the run, not the run
    read.clear()
    assert sha256_text("never stored") not in store and len(read) <= 1
    assert "not-a-sha256" not in store and "f" * 64 not in store


def test_opening_reads_no_segment_when_the_index_is_whole(tmp_path, monkeypatch):
    store = TextStore(tmp_path)
    for start in range(0, 300, 100):
        store.put_many(_texts(start, start + 100))
    opened: list[str] = []
    parquet_file = Storage.parquet_file

    def counted(self, name):
        opened.append(name)
        return parquet_file(self, name)

    monkeypatch.setattr(Storage, "parquet_file", counted)
    reopened = TextStore(tmp_path)
    assert opened == []
    assert _stored(reopened, _texts(290, 300)) == _texts(290, 300)
    assert len(opened) == 1  # the one segment those texts are in


def test_a_lost_index_is_rebuilt_from_the_segments(tmp_path):
    store = TextStore(tmp_path)
    for start in range(0, 300, 100):
        store.put_many(_texts(start, start + 100))
    for path in (tmp_path / "index").iterdir():
        path.unlink()
    reopened = TextStore(tmp_path)
    assert reopened.index.segments() == set(reopened.storage.names("seg-", ".parquet"))
    assert _stored(reopened, _texts(0, 300)) == _texts(0, 300)
    assert reopened.put_many(_texts(0, 10)) == [sha256_text(t) for t in _texts(0, 10)]
    assert len(reopened.storage.names("seg-", ".parquet")) == 3  # nothing stored again


def test_an_unfinished_run_is_removed_and_its_segment_indexed_again(tmp_path, monkeypatch):
    store = TextStore(tmp_path)
    store.put_many(_texts(0, 100))

    def crash(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(text_index, "os", SimpleNamespace(replace=crash, pread=os.pread))
    with pytest.raises(OSError, match="disk full"):
        store.put_many(_texts(100, 200))  # its segment is written, its run is not finished
    monkeypatch.undo()
    assert len(list((tmp_path / "index").glob("*.partial"))) == 1
    reopened = TextStore(tmp_path)
    assert not list((tmp_path / "index").glob("*.partial"))
    assert len(reopened.index.runs) == 2 == len(list((tmp_path / "index").glob("*.segments")))
    assert _stored(reopened, _texts(95, 105)) == _texts(95, 105)


def test_an_interrupted_merge_leaves_its_inputs_which_opening_drops(tmp_path, small, monkeypatch):
    store = TextStore(tmp_path)
    store.put_many(_texts(0, 5))  # one run of level 0

    def interrupted(self):
        raise KeyboardInterrupt

    remove = text_index.Run.remove
    monkeypatch.setattr(text_index.Run, "remove", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.put_many(_texts(5, 10))  # a second run of level 0: merged, inputs not removed
    monkeypatch.setattr(text_index.Run, "remove", remove)
    assert len(list((tmp_path / "index").glob("*.bin"))) == 3
    reopened = TextStore(tmp_path)
    assert [run.records for run in reopened.index.runs] == [10]
    assert len(list((tmp_path / "index").glob("*.bin"))) == 1
    assert _stored(reopened, _texts(0, 10)) == _texts(0, 10)


def test_a_run_cut_short_by_a_crash_is_dropped_and_indexed_again(tmp_path):
    store = TextStore(tmp_path)
    store.put_many(_texts(0, 100))
    store.put_many(_texts(100, 200))
    newest = store.index.runs[-1]
    path = tmp_path / "index" / f"{newest.name}.bin"
    path.write_bytes(path.read_bytes()[: 10 * RECORD.itemsize + 7])
    reopened = TextStore(tmp_path)
    assert newest.name not in [run.name for run in reopened.index.runs]
    assert sorted(run.records for run in reopened.index.runs) == [100, 100]
    assert _stored(reopened, _texts(0, 200)) == _texts(0, 200)


def test_runs_written_under_another_block_size_are_built_again(tmp_path, monkeypatch):
    monkeypatch.setattr(text_index, "BLOCK", 16)
    store = TextStore(tmp_path)
    store.put_many(_texts(0, 100))  # 7 blocks of 16
    old = store.index.runs[0].name
    monkeypatch.setattr(text_index, "BLOCK", 32)  # another version's format: 4 blocks
    reopened = TextStore(tmp_path)
    assert [run.name for run in reopened.index.runs] != [old]  # dropped, not misread
    assert [len(run.fences) for run in reopened.index.runs] == [4]
    assert _stored(reopened, _texts(0, 100)[::-3]) == _texts(0, 100)[::-3]


def test_a_segment_gone_from_the_store_clears_the_index(tmp_path):
    store = TextStore(tmp_path)
    store.put_many(_texts(0, 10))
    store.put_many(_texts(10, 20))
    runs = store.index.runs
    gone = next(run.segments[0] for run in runs if sha256_text("document 3") in _shas(store, run))
    (tmp_path / gone).unlink()
    reopened = TextStore(tmp_path)
    assert reopened.index.segments() == set(reopened.storage.names("seg-", ".parquet"))
    assert sha256_text("document 3") not in reopened
    assert _stored(reopened, _texts(10, 20)) == _texts(10, 20)


def _shas(store: TextStore, run) -> set[str]:
    keys = np.fromfile(store.index.folder / f"{run.name}.bin", RECORD)["sha"]
    return {bytes(key).hex() for key in keys}


def test_a_text_in_two_segments_is_found_and_merged_once(tmp_path, small):
    texts = sorted(_texts(0, 3), key=sha256_text)
    for extra in ("a", "b"):  # two segments (as older code could write) sharing three texts
        rows = sorted([*texts, extra], key=sha256_text)
        table = pa.table({"sha256": [sha256_text(t) for t in rows], "text": rows}, SCHEMA)
        write_segment(tmp_path, "seg", table["sha256"].to_pylist(), table)
    store = TextStore(tmp_path)
    assert [run.records for run in store.index.runs] == [5]  # merged: each key once
    assert _stored(store, [*texts, "a", "b"]) == [*texts, "a", "b"]


def test_a_store_at_a_url_keeps_its_index_in_the_user_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    url = f"memory://{tmp_path.name}/texts"
    TextStore(url).put_many(_texts(0, 10))
    (folder,) = (tmp_path / "cache" / "corpusbuilder" / "text-index").iterdir()
    assert len(list(folder.glob("*.bin"))) == 1
    elsewhere = TextStore(url, tmp_path / "elsewhere")  # another machine: no index yet
    assert _stored(elsewhere, _texts(0, 10)) == _texts(0, 10)
    assert len(list((tmp_path / "elsewhere").glob("*.bin"))) == 1
