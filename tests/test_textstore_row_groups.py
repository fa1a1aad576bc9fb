"""The text store reads a text with its row group, not its segment: exact duplicates that point
into older segments (as a curation batch's do) cost a row group each, so reading stays linear as
the store grows; segments written by older code (one row group) still read."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpusbuilder import textstore
from corpusbuilder.storage import Storage
from corpusbuilder.textstore import TextStore, sha256_text
from tests.moto_server import s3_server


def _texts(label: str, n: int, size: int = 300) -> list[str]:
    return [f"{label} {i} ".ljust(size, "x") for i in range(n)]


@pytest.fixture
def small_groups(monkeypatch):
    """Row groups of about four 300-character texts."""
    monkeypatch.setattr(textstore, "GROUP_BYTES", 1250)  # 308 bytes a text, offset included


@pytest.fixture
def groups_read(monkeypatch):
    """(segment file, row groups) of every read of texts."""
    reads: list[tuple[str, list[int]]] = []
    original = TextStore._read_groups

    def read_groups(self, segment, groups):
        reads.append((segment, list(groups)))
        return original(self, segment, groups)

    monkeypatch.setattr(TextStore, "_read_groups", read_groups)
    return reads


def test_a_duplicate_in_an_older_segment_reads_only_its_row_group(
    tmp_path, small_groups, groups_read
):
    store = TextStore(tmp_path)
    older = _texts("older", 40)
    store.put_many(older)
    (old_segment,) = store.storage.names("seg-", ".parquet")
    assert pq.ParquetFile(tmp_path / old_segment).num_row_groups == 10
    batch = [*_texts("newer", 12), older[17]]  # a batch whose last text is an exact duplicate
    store.put_many(batch)
    got = list(TextStore(tmp_path).get_many(sha256_text(t) for t in batch))
    assert got == [(sha256_text(t), t) for t in batch]
    read_from = dict(groups_read)
    assert len(read_from) == 2 and len(read_from[old_segment]) == 1  # 1 of its 10 row groups
    assert all(len(groups) == 3 for name, groups in groups_read if name != old_segment)


def test_row_groups_hold_about_group_bytes_without_text_statistics(tmp_path, small_groups):
    store, texts = TextStore(tmp_path), _texts("t", 10)
    store.put_many(texts)
    # Read back by the store that wrote them: where it placed its row groups is where they are.
    assert [t for _, t in store.get_many(sha256_text(t) for t in reversed(texts))] == texts[::-1]
    (name,) = store.storage.names("seg-", ".parquet")
    metadata = pq.ParquetFile(tmp_path / name).metadata
    assert [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)] == [4, 4, 2]
    assert metadata.row_group(0).column(0).statistics.has_min_max  # the sha256 range
    assert metadata.row_group(0).column(1).statistics is None  # no texts copied into the footer


def test_segments_written_whole_by_older_code_still_read(tmp_path, small_groups, groups_read):
    old = sorted(_texts("old", 9), key=sha256_text)
    table = pa.table({"sha256": [sha256_text(t) for t in old], "text": old}, textstore.SCHEMA)
    textstore.write_segment(tmp_path, "seg", table["sha256"].to_pylist(), table)  # one group
    store = TextStore(tmp_path)
    new = _texts("new", 9)
    assert store.put_many([*new, old[3]]) == [sha256_text(t) for t in [*new, old[3]]]
    assert len(store.storage.names("seg-", ".parquet")) == 2  # the old text not stored again
    asked = [old[3], *new, *old, old[3]]
    reopened = TextStore(tmp_path)
    assert [t for _, t in reopened.get_many(sha256_text(t) for t in asked)] == asked
    assert all(sha256_text(t) in reopened for t in asked)
    assert sorted(len(groups) for _, groups in groups_read) == [1, 3]  # each group read once


def test_at_an_s3_url_a_text_fetches_its_row_group_not_the_segment(monkeypatch, tmp_path):
    s3fs = pytest.importorskip("s3fs")
    monkeypatch.setattr(textstore, "GROUP_BYTES", 16_000)
    with s3_server(monkeypatch) as bucket:
        texts = [f"text {i} " + "".join(f"{i * j:x}" for j in range(3000)) for i in range(100)]
        TextStore(f"{bucket}/texts").put_many(texts)
        storage = Storage(f"{bucket}/texts")
        (name,) = storage.names("seg-", ".parquet")
        size = storage.fs.size(storage.path(name))
        fetched: list[int] = []
        original = s3fs.core.S3File._fetch_range

        def fetch_range(self, start, end):
            fetched.append(end - start)
            return original(self, start, end)

        store = TextStore(storage)
        monkeypatch.setattr(s3fs.core.S3File, "_fetch_range", fetch_range)
        assert store.get(sha256_text(texts[42])) == texts[42]
        assert sum(fetched) < size / 4  # its row group and the footer
        assert [t for _, t in store.get_many(sha256_text(t) for t in texts)] == texts
