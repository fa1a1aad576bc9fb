"""Local partitions read in parts by the engine's workers (issue 11, item 3).

The driver only finds where the parts of a JSONL file or a folder begin, and writes the ledger;
the workers read and parse the parts. The ledger is the one a serial ingest writes; the driver
holds a bounded window of a partition however large; an ingest interrupted while the workers read
two partitions resumes from its last checkpoint; a part that fails in a worker is its partition's
`unreadable_partition` skip, and the other partitions are ingested.
"""

from __future__ import annotations

import contextlib
import csv
import json

import pytest

from corpusbuilder.engines.local import TASKS_PER_WORKER
from corpusbuilder.ingest import runner
from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.ingest.partitions import UNREADABLE, Parallel, Unread, source_items
from corpusbuilder.ledger import Ledger
from corpusbuilder.source import Checkpoint
from sources import local, local_parts
from sources.local import LocalSource
from tests.conftest import shared_path
from tests.test_ingest_partitions import Engines, _ingest, _parts, _state


def _sentences(tmp_path, name: str, languages: set[str] | None = None) -> str:
    """A JSONL file of the real langid test sentences (of `languages`; None: all 34), one
    record a sentence."""
    with shared_path("langid", "sentences.tsv").open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        records = [
            {"id": f"{r['lang']}-{r['source_line']}", "text": r["text"], "language": r["lang"]}
            for r in rows
            if languages is None or r["lang"] in languages
        ]
    lines = (json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    (tmp_path / name).write_text("".join(lines), encoding="utf-8")
    return name


def _interrupted_after(count: int):
    """`source_items`, stopped by Ctrl-C once `count` items (checkpoints aside) are given."""

    def items(*args):
        with contextlib.closing(source_items(*args)) as inner:
            given = 0
            for item in inner:
                if given == count:
                    raise KeyboardInterrupt
                yield item
                given += not isinstance(item, Checkpoint)

    return items


def test_the_workers_read_every_part_and_write_the_serial_ledger(tmp_path, monkeypatch):
    monkeypatch.setattr(local_parts, "PART_RECORDS", 8)
    books = str(shared_path("books"))  # 20 real books, 18 MB: parts of about PART_BYTES
    edge_cases = _parts(tmp_path)  # a malformed line, a record without id
    options = {
        **edge_cases,
        "path": [_sentences(tmp_path, "s.jsonl", {"de", "en", "fr"}), books, "a.jsonl"],
        "licence": "CC0-1.0",
        "checkpoint_every": 50,
    }
    serial = Ledger("sqlite://")
    _ingest(serial, tmp_path, LocalSource(options), Parallel(1), texts="one")

    def in_the_driver(*args, **kwargs):
        raise AssertionError("the driver read a record")

    # No line or file is read here: the workers import their own, unpatched, modules.
    monkeypatch.setattr(local_parts, "lines", in_the_driver)
    monkeypatch.setattr(local, "lines", in_the_driver)
    monkeypatch.setattr(LocalSource, "_file", in_the_driver)
    parallel = Ledger("sqlite://")
    Engines.opened.clear()
    _ingest(parallel, tmp_path, LocalSource(options), Engines(2), texts="two")
    assert Engines.opened == [("local", 2)]
    state = _state(serial)
    assert len(state) == 900 + 20 + 12
    assert {row[3] for row in state} == {"ingested", "malformed_record"}
    assert _state(parallel) == state
    assert parallel.document("s/en_don_quixote.txt").chars > 2_000_000


def test_the_driver_holds_a_bounded_window_of_a_partition_far_larger(tmp_path, monkeypatch):
    monkeypatch.setattr(local_parts, "PART_RECORDS", 10)
    options = {"path": _sentences(tmp_path, "all.jsonl"), "licence": "CC0-1.0"}
    adapter = LocalSource({**options, "url_prefix": "https://e.org/", "checkpoint_every": 1000})
    pulled, read = [0], LocalSource.read

    def counted(self, *args):
        for item in read(self, *args):
            pulled[0] += item.size if isinstance(item, Unread) else 0
            yield item

    monkeypatch.setattr(LocalSource, "read", counted)
    held, consumed = [], 0
    items = source_items(adapter, Fetcher(tmp_path), None, None, Parallel(2))
    with contextlib.closing(items):
        for item in items:
            if not isinstance(item, Checkpoint):
                consumed += 1
                held.append(pulled[0] - consumed)  # read ahead of what the ledger has been given
    assert consumed == 34 * 300
    window = TASKS_PER_WORKER * 2  # parts in flight on two workers
    assert 10 < max(held) <= (window + 1) * 10  # and the part being given; not the partition


@pytest.mark.parametrize(
    ("after", "resumed"),
    [
        (7, [("a.jsonl", "line 5 at byte {a5}"), ("b.jsonl", None), ("c.jsonl", None)]),
        (19, [("b.jsonl", "line 5 at byte {b5}"), ("c.jsonl", None)]),
    ],
)
def test_an_ingest_stopped_while_the_workers_read_two_partitions_resumes_from_its_checkpoint(
    tmp_path, monkeypatch, after, resumed
):
    monkeypatch.setattr(local_parts, "PART_RECORDS", 2)
    options = _parts(tmp_path)  # three partitions of 12 lines, a checkpoint every 5
    whole = Ledger("sqlite://")
    _ingest(whole, tmp_path, LocalSource(options), texts="whole")
    reads, read = [], LocalSource.read
    monkeypatch.setattr(
        LocalSource, "read", lambda self, *args: reads.append(args[1:]) or read(self, *args)
    )
    monkeypatch.setattr(runner, "source_items", _interrupted_after(after))
    ledger = Ledger("sqlite://")
    with pytest.raises(KeyboardInterrupt):
        _ingest(ledger, tmp_path, LocalSource(options), Parallel(2))
    assert {"a.jsonl", "b.jsonl"} <= {name for name, _ in reads}  # parts of both were given out
    offsets = {
        f"{name[0]}5": len("".join((tmp_path / name).read_text().splitlines(keepends=True)[:5]))
        for name in ("a.jsonl", "b.jsonl")
    }
    expected = [(name, at and at.format(**offsets)) for name, at in resumed]
    state = json.loads(ledger.resume_point("s"))
    assert (state["partition"], state["at"]) == expected[0]
    monkeypatch.setattr(runner, "source_items", source_items)
    reads.clear()
    _ingest(ledger, tmp_path, LocalSource(options), Parallel(2))
    assert reads == expected
    assert _state(ledger) == _state(whole)
    assert ledger.resume_point("s") is None


def test_a_part_that_fails_in_a_worker_is_its_partition_s_skip(tmp_path, monkeypatch):
    monkeypatch.setattr(local_parts, "PART_RECORDS", 2)
    folder = tmp_path / "texts-in"
    folder.mkdir()
    for name in "abcdef":
        (folder / f"{name}.txt").write_text(f"text of {name}", encoding="utf-8")
    (folder / "c.json").mkdir()  # c's sidecar cannot be read: it is a folder
    options = {**_parts(tmp_path), "path": ["a.jsonl", "texts-in", "b.jsonl"], "licence": "CC0"}
    serial, parallel = Ledger("sqlite://"), Ledger("sqlite://")
    _ingest(serial, tmp_path, LocalSource(options), Parallel(1), texts="one")
    done = _ingest(parallel, tmp_path, LocalSource(options), Engines(2), texts="two")
    assert _state(parallel) == _state(serial)
    skip = parallel.document("s/#partition:2")
    assert (skip.status, skip.reason) == ("skipped", UNREADABLE)
    assert parallel.decisions("s/#partition:2")[0].detail == (
        f"partition texts-in: FetchError: cannot read {folder / 'c.json'}: Is a directory;"
        " check the path"
    )
    keys = {d.source_key for d in parallel.documents()}
    assert {"a.txt", "b.txt", "a0", "b0"} <= keys  # the files before c's part, and b.jsonl
    assert not keys & {"c.txt", "d.txt", "e.txt", "f.txt"}  # c's part, and those read ahead
    assert done.counts[f"skipped:{UNREADABLE}"] == 1


@pytest.mark.parametrize("several", [False, True])
def test_a_checkpoint_written_before_parts_resumes_where_it_says(tmp_path, several):
    """Checkpoints as the driver wrote them when it read every line itself: a position of a
    one-partition source, and the JSON of the partitions done and the current one's position;
    the position need not fall where a part now begins (it was written every 3 lines)."""
    options = _parts(tmp_path)
    b = (tmp_path / "b.jsonl").read_text().splitlines(keepends=True)
    position = f"line 3 at byte {len(''.join(b[:3]))}"
    if several:
        resume = json.dumps({"done": ["a.jsonl"], "partition": "b.jsonl", "at": position})
    else:
        options, resume = {**options, "path": "b.jsonl"}, position
    items = LocalSource(options).documents(Fetcher(tmp_path), resume=resume)
    keys = [item.source_key for item in items if not isinstance(item, Checkpoint)]
    malformed = "#b.jsonl:line:10" if several else "#line:10"
    expected = ["b4", "b5", "b6", "b7", "b8", "shared", malformed, "x", "b0"]
    if several:  # then all of c.jsonl
        expected += ["c2", "c3", "c4", "c5", "c6", "c7", "c8", "shared", "#c.jsonl:line:9", "x"]
        expected += ["c0", "c1"]
    assert keys == expected
