"""Storage on a local path and on an fsspec URL (memory://) behaves the same; the text store
over it reads a segment's texts once, not once per text."""

from __future__ import annotations

import uuid

import pyarrow as pa
import pytest

from corpusbuilder import config as corpus_config
from corpusbuilder.storage import Storage
from corpusbuilder.textstore import TextStore, sha256_text
from tests.helpers import write_corpus


@pytest.fixture(params=["local", "memory"])
def storage(request, tmp_path, monkeypatch) -> Storage:
    if request.param == "local":
        return Storage(tmp_path / "store")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # a text store's index
    return Storage(f"memory://{uuid.uuid4().hex}/store/")


def test_files_round_trip_and_listing(storage):
    assert storage.names() == [] and storage.files() == [] and not storage.exists("a.parquet")
    table = pa.table({"n": list(range(10))})
    storage.write_parquet("b.parquet", table, row_group_size=4)
    storage.write_parquet("a.parquet", table)
    storage.write_text("notes.txt", "héllo\n")
    storage.child("sub").write_bytes("deep.bin", b"\x00\x01")
    assert storage.names() == ["a.parquet", "b.parquet", "notes.txt"]  # files directly inside
    assert storage.names("a", ".parquet") == ["a.parquet"]
    assert storage.files() == ["a.parquet", "b.parquet", "notes.txt", "sub/deep.bin"]
    assert storage.read_parquet("b.parquet", columns=["n"]).equals(table)
    groups = storage.parquet_file("b.parquet")
    assert groups.num_row_groups == 3 and groups.read_row_group(2)["n"].to_pylist() == [8, 9]
    assert storage.read_text("notes.txt") == "héllo\n"
    with storage.child("sub").open("deep.bin") as handle:
        assert handle.read() == b"\x00\x01"
    storage.remove("notes.txt")
    storage.remove("never-there.txt")  # removing what is absent is not an error
    assert storage.names(suffix=".txt") == [] and not storage.exists("notes.txt")


def test_url_and_local_path(tmp_path):
    local = Storage(tmp_path / "x")
    assert local.local_path == tmp_path / "x" and local.child("a", "b").local_path == (
        tmp_path / "x" / "a" / "b"
    )
    assert Storage(f"file://{tmp_path}/x").local_path == tmp_path / "x"
    remote = Storage("memory://bucket/prefix/")
    assert remote.url == "memory://bucket/prefix" and remote.local_path is None
    assert remote.child("texts").url == "memory://bucket/prefix/texts"
    assert Storage("memory://bucket/prefix") == remote


def test_a_failed_local_write_leaves_nothing(tmp_path):
    storage = Storage(tmp_path)
    storage.write_bytes("kept.bin", b"old")

    def broken(sink):
        sink.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        storage._write_whole("kept.bin", broken)
    assert storage.read_bytes("kept.bin") == b"old" and storage.names() == ["kept.bin"]


def test_replace_with_and_local_copy(storage, tmp_path):
    target = storage.child("releases", "1.0.0")
    for version, files in (("one", {"a.txt": "1", "data/x.txt": "x"}), ("two", {"a.txt": "2"})):
        staging = tmp_path / f"staging-{version}"
        for name, text in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_text(text)
        target.replace_with(staging)
        assert not staging.exists()  # consumed
        assert target.files() == sorted(files)  # exactly the new files: data/x.txt is gone
    with target.local_copy() as folder:
        assert (folder / "a.txt").read_text() == "2"
    assert storage.child("releases").names() == []  # no old or staging folder left behind


def test_text_store_over_storage_round_trips_and_reopens(storage):
    texts = [f"text number {i}" for i in range(50)] + ["text number 3"]
    store = TextStore(storage.child("texts"))
    shas = store.put_many(texts[:30])
    shas += store.put_many(texts[30:])
    assert shas == [sha256_text(t) for t in texts]
    reopened = TextStore(storage.child("texts"))
    assert len(storage.child("texts").names("seg-", ".parquet")) == 2  # the repeat not re-put
    assert [text for _, text in reopened.get_many(shas)] == texts
    assert reopened.put_many(texts[:5]) == shas[:5]
    assert len(storage.child("texts").names("seg-", ".parquet")) == 2
    absent = sha256_text("never stored")
    assert absent not in reopened and "not-a-sha" not in reopened
    with pytest.raises(KeyError, match="is not in the text store"):
        reopened.get(absent)


def test_reading_texts_reads_each_segment_once(storage, monkeypatch):
    store = TextStore(storage)
    texts = [f"t{i}" for i in range(300)]
    for start in range(0, 300, 100):
        store.put_many(texts[start : start + 100])
    reads = []
    original = Storage.parquet_file
    monkeypatch.setattr(
        Storage, "parquet_file", lambda self, name: reads.append(name) or original(self, name)
    )
    assert [t for _, t in store.get_many(sha256_text(t) for t in texts)] == texts
    assert len(reads) == len(set(reads)) == 3  # each segment once, not once per text


def test_storage_setting(tmp_path):
    path = write_corpus(tmp_path / "c", [])
    default = corpus_config.load(path)
    assert default.storage.local_path == default.workdir
    text = path.read_text()
    path.write_text(text + "storage: shared/stores\n")
    relative = corpus_config.load(path)
    assert relative.storage.local_path == (tmp_path / "c" / "shared" / "stores")
    path.write_text(text + "storage: s3://bucket/corpus\n")
    remote = corpus_config.load(path)
    assert remote.storage.url == "s3://bucket/corpus"
    # Where the bytes live changes nothing of what they are: not part of the config hash.
    assert remote.curation_hash() == relative.curation_hash() == default.curation_hash()
