"""A release's memory does not grow with its corpus (issue 11: peak memory flat with corpus
size): freezing and writing it stream the kept documents, their texts and their provenance from
the ledger to Parquet a batch at a time, and its release row goes in last. The batches are made
small here, so that a small corpus is many batches, as a large one is with the real sizes."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from corpusbuilder import steps, textstore
from corpusbuilder.curate.signatures import by_shard
from corpusbuilder.ledger import releases
from corpusbuilder.project import Project
from corpusbuilder.release import (
    attribution,
    diff,
    freeze,
    layout,
    lookup,
    manifest,
    provenance,
    provenance_files,
    shards,
)
from corpusbuilder.release import signatures as release_signatures
from tests.helpers import peak_allocated, write_corpus
from tests.processes import records

N = 80


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(freeze, "BATCH", 20)
    monkeypatch.setattr(shards, "BATCH", 8)
    monkeypatch.setattr(releases, "STREAMED", 20)
    monkeypatch.setattr(releases, "PAGE", 20)
    monkeypatch.setattr(textstore, "READ_WINDOW", 20)
    monkeypatch.setattr(layout, "ROW_GROUP_ROWS", 16)


def _curated(folder: Path, rows: list[dict]) -> Project:
    """A corpus of `rows`, ingested and curated (MinHash alone: fast)."""
    curate = {"steps": [steps.MINHASH], "filters": {}}
    path = write_corpus(folder, rows, release={"version": "1.0.0"}, curate=curate)
    project = Project.open(path, progress=False)
    project.ingest("t")
    project.curate(workers=1)
    return project


def _attributed(count: int) -> list[dict]:
    """`records(count)`, every other one under a licence that requires attribution."""
    rows = records(count)
    for row in rows[::2]:
        row["licence"] = "CC-BY-4.0" if row["licence"] == "CC0-1.0" else row["licence"]
    return rows


def test_the_release_peak_memory_does_not_grow_with_the_corpus(tmp_path, small_batches):
    _curated(tmp_path / "warm-up", _attributed(10)).release("1.0.0")  # imports, caches
    small = _curated(tmp_path / "small", _attributed(N))
    large = _curated(tmp_path / "large", _attributed(4 * N))
    small_result, small_peak = peak_allocated(lambda: small.release("1.0.0"))
    large_result, large_peak = peak_allocated(lambda: large.release("1.0.0"))
    assert large_result.documents > 3.5 * small_result.documents
    # Measured (75 and 301 documents released): 1.63 → 2.85 MB (1.75x) when the release held
    # every row, size and provenance row; 1.72 → 1.93 MB (1.12x) streamed. Its peak is then
    # in parts that grow to a bound, not with the corpus: a data shard's row group (64 MB of
    # text) and the 1 MB blocks manifest.json's digests read (the whole of these small files).
    assert large_peak < 1.3 * small_peak
    # So the provenance files, written a row group at a time (16 rows here), are measured alone:
    # 154 → 384 kB (2.5x) with the signatures when each held every row; 107 → 113 kB (1.06x)
    # a row group at a time.
    small_files, large_files = _provenance_peak(small, tmp_path), _provenance_peak(large, tmp_path)
    assert large_files < 1.3 * small_files


def test_the_signature_file_holds_one_part_of_rows_not_the_release(
    tmp_path, small_batches, monkeypatch
):
    """The signature file gathers its rows a part at a time (their first hex digits: two, 1/256
    of the signatures, below 8.4 M rows). With the real 256 parts, 80 and 320 documents fill about
    70 and 180 of them, and the cost of each part present (~0.5 kB, bounded by the 256) looked
    like growth with the corpus (CI once saw 1.32x). So the rows are parted by one digit here
    (16 parts, all present in both corpora), compared with no digit: one part of every row."""

    def growth(digits: int) -> int:
        with monkeypatch.context() as patch:
            patch.setattr(release_signatures, "prefix_digits", lambda documents: digits)
            folder = tmp_path / f"digits-{digits}"
            small = _curated(folder / "small", _attributed(N))
            large = _curated(folder / "large", _attributed(4 * N))
            small.release("1.0.0"), large.release("1.0.0")  # also warms up the writing
            return _signatures_peak(large, folder) - _signatures_peak(small, folder)

    # Measured growth: 34-38 kB with 16 parts (a part holds 5 → 20 rows), 190 kB with one (every
    # row), 5x apart (389 kB when the store too was one shard, which every lookup read whole).
    assert growth(1) < growth(0) / 4


def test_the_signature_file_parts_rows_by_release_size_and_keeps_their_order(
    tmp_path, small_batches, monkeypatch
):
    """The parts take as many hex digits as the release's size needs (`prefix_digits`, as
    deduplication's do), and the file's bytes do not depend on how the rows were parted."""
    project = _curated(tmp_path, _attributed(N))
    project.release("1.0.0")
    written = tmp_path / "files" / layout.SIGNATURES
    asked: list[int] = []
    monkeypatch.setattr(release_signatures, "prefix_digits", lambda n: asked.append(n) or 2)
    _signatures_peak(project, tmp_path)
    by_two = written.read_bytes()
    frozen = len(list(project.ledger.release_rows("1.0.0")))
    assert asked == [project.ledger.release_size("1.0.0")] == [frozen]
    used: list[int] = []

    def parted(table, digits):
        used.append(digits)
        return by_shard(table, digits=digits)

    monkeypatch.setattr(release_signatures, "prefix_digits", lambda n: 3)
    monkeypatch.setattr(release_signatures, "by_shard", parted)
    _signatures_peak(project, tmp_path)
    assert set(used) == {3}
    assert written.read_bytes() == by_two


def _provenance_peak(project: Project, tmp_path: Path) -> int:
    """The peak allocation of writing the provenance files of release 1.0.0."""
    folder = _empty(tmp_path / "files")
    release = project.ledger.release("1.0.0")
    return peak_allocated(lambda: provenance_files.write(folder, project.ledger, release))[1]


def _signatures_peak(project: Project, tmp_path: Path) -> int:
    """The peak allocation of writing the signature file of release 1.0.0."""
    folder = _empty(tmp_path / "files")
    signed = project.config.storage.child("signatures")

    def write() -> None:
        release_signatures.write(folder, project.ledger, "1.0.0", project.store, signed)

    return peak_allocated(write)[1]


def _empty(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def test_files_of_several_row_groups_are_read_back_whole(tmp_path, small_batches):
    rows = _attributed(40)
    project = _curated(tmp_path, rows)
    result = project.release("1.0.0")
    folder = Path(result.directory)
    groups = math.ceil(result.documents / 16)
    frozen = [row.doc_id for row in project.ledger.release_rows("1.0.0")]
    provenance_file = folder / layout.provenance_path(0, 1)
    for path in (folder / layout.SIGNATURES, provenance_file):
        assert pq.ParquetFile(path).metadata.num_row_groups == groups >= 3
    index = lookup.read_index(folder, "the release folder")
    assert index.rows["doc_id"].to_pylist() == frozen  # every row, in the frozen order
    last = frozen[-1]  # in the last row group: found by its text, exactly
    text = next(row["text"] for row in rows if f"t/{row['id']}" == last)
    report = lookup.search(lookup.Query.of(text, None), [index])
    assert [(m["doc_id"], m["matched_by"]) for m in report["released"]][:1] == [(last, ["text"])]
    assert all(provenance.read([provenance_file], doc_id)["doc_id"] == doc_id for doc_id in frozen)
    verified = project.verify("1.0.0")
    assert (verified.differences, verified.rows) == ([], result.documents)
    credits = (folder / layout.ATTRIBUTION).read_text(encoding="utf-8")
    attribution.write(tmp_path / "credits.md", "1.0.0", project.ledger.release_provenance("1.0.0"))
    assert credits == (tmp_path / "credits.md").read_text(encoding="utf-8")  # every row credited
    assert credits.count("\n## ") == sum(1 for doc_id in frozen if int(doc_id[-5:]) % 2 == 0)


def test_a_freeze_interrupted_after_some_batches_is_done_again_whole(
    tmp_path, small_batches, monkeypatch
):
    project = _curated(tmp_path / "corpus", records(60))
    clean = _curated(tmp_path / "clean", records(60)).release("1.0.0")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(project.ledger, "add_release", interrupted)
        with pytest.raises(KeyboardInterrupt):
            project.release("1.0.0")
    assert project.ledger.release("1.0.0") is None  # not frozen: its release row is missing
    assert len(project.ledger.release_members("1.0.0")) == clean.documents  # batches written
    held = project.ledger.release_members("1.0.0")[0].doc_id
    assert project.ledger.holdings([held]) == {}  # `docs` and `audit` name frozen releases only
    assert project.ledger.releases_holding(held) == []
    again = project.release("1.0.0")
    assert (again.documents, again.manifest_hash) == (clean.documents, clean.manifest_hash)
    members = [dict(m._mapping) for m in project.ledger.release_members("1.0.0")]
    assert manifest.manifest_hash(members) == clean.manifest_hash  # the rows of one whole freeze
    assert sum(1 for _ in project.ledger.release_provenance("1.0.0")) == clean.documents


def test_the_frozen_diff_counts_what_changed_since_the_parent(tmp_path, small_batches):
    rows = records(30)
    project = _curated(tmp_path, rows)
    project.release("1.0.0")
    rows[3]["text"] += " Revised."  # changed
    rows.append(records(31)[30])  # added
    with open(tmp_path / "texts.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in rows)
    project.ingest("t")
    project.curate(workers=1)
    project.take_down("t/d00007", "test")  # removed
    project.release("1.1.0")
    frozen = project.ledger.release("1.1.0").counts["diff"]
    assert frozen == {"parent": "1.0.0", "added": 1, "removed": 1, "changed": 1}
    counted = diff.diff(project.ledger, "1.0.0", "1.1.0").counts
    assert [frozen[k] for k in ("added", "removed", "changed")] == [
        counted["added"],
        counted["removed"],
        counted["text_changed"],
    ]
