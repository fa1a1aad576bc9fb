"""Partitioned, parallel ingest (issue 11, item 3).

The costly parse runs on the engine's workers, which answer in order, so the ledger of a parallel
ingest is the ledger of a serial one, row for row; each partition resumes from its own checkpoint;
a partition that cannot be read is a recorded skip and the others are ingested.
"""

from __future__ import annotations

import json
import shutil
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from corpusbuilder.cli import cli
from corpusbuilder.ingest import partitions as ingest_partitions
from corpusbuilder.ingest.fetch import Fetcher, FetchError
from corpusbuilder.ingest.partitions import UNREADABLE, Parallel, describe
from corpusbuilder.ingest.runner import ingest
from corpusbuilder.ledger import Ledger
from corpusbuilder.textstore import TextStore
from sources.local import LocalSource
from sources.mediawiki import MediaWikiSource
from sources.oai_pmh import OaiPmhSource
from tests.conftest import shared_path
from tests.helpers import write_corpus
from tests.oai_server import OaiServer
from tests.sources.test_oai_pmh_bounds import listing
from tests.test_resume_positions import Interrupted

ENWIKI = "enwiki-pages-articles1-shortened_gensim_part-dev.xml.bz2"
BGWIKI = "bgwiki-latest-pages-articles-shortened.xml.bz2"
PARTS = ("a.jsonl", "b.jsonl", "c.jsonl")


class Engines(Parallel):
    """`Parallel` that notes each engine it opens, so a test knows the workers did the work."""

    opened: list[tuple[str, int | None]] = []

    def open(self, adapter):
        self.opened.append((self.engine, self.workers))
        return super().open(adapter)


def _ingest(ledger, tmp_path, adapter, parallel=None, texts="texts"):
    store = TextStore(tmp_path / texts)
    fetch = Fetcher(tmp_path)
    return ingest(ledger, store, "s", adapter, fetch, progress=False, parallel=parallel)


def _state(ledger: Ledger) -> list[tuple]:
    """Every row an ingest writes of each document, in `seq` order (times left out)."""
    documents = list(ledger.documents())
    evidence = ledger.evidence(d.doc_id for d in documents)
    return [
        (d.doc_id, d.seq, d.status, d.reason, d.text_sha256, d.url, d.title, d.creator,
         [(e.statement, e.locator, e.kind, e.jurisdiction) for e in evidence[d.doc_id]],
         [(x.outcome, x.reason, x.detail) for x in ledger.decisions(d.doc_id)])
        for d in sorted(documents, key=lambda d: d.seq)
    ]  # fmt: skip


def _record(key: str, text: str | None = None) -> str:
    return json.dumps({"id": key, "text": text or f"text of {key}", "licence": "CC0-1.0"})


def _parts(tmp_path, lines: int = 12) -> dict:
    """Three JSONL partitions of `lines` records, with a key repeated across them, a malformed
    line and a record without licence: every kind of item, in every partition."""
    for number, name in enumerate(PARTS):
        records = [_record(f"{name[0]}{n}") for n in range(lines - 3)]
        records += [
            _record("shared", f"shared, as {name}"),
            "{not json",
            '{"id": "x", "text": "t"}',
        ]
        (tmp_path / name).write_text("\n".join(records[number:] + records[:number]) + "\n")
    return {"path": list(PARTS), "url_prefix": "https://e.org/t/", "checkpoint_every": 5}


def _wiki(tmp_path) -> dict:
    return {"dump": str(shared_path("mediawiki", ENWIKI)), "licence": ["CC-BY-SA-3.0", "GFDL-1.3"]}


@pytest.mark.parametrize("source", ["mediawiki", "local"])
def test_two_workers_write_the_ledger_one_worker_writes(tmp_path, source):
    make = {"mediawiki": (MediaWikiSource, _wiki), "local": (LocalSource, _parts)}[source]
    options = make[1](tmp_path)
    serial, parallel = Ledger("sqlite://"), Ledger("sqlite://")
    Engines.opened.clear()
    _ingest(serial, tmp_path, make[0](options), Parallel(1), texts="one")
    done = _ingest(parallel, tmp_path, make[0](options), Engines(2), texts="two")
    assert Engines.opened == [("local", 2)]  # the parse ran on a pool of two workers
    assert len(_state(serial)) > 30
    assert _state(parallel) == _state(serial)
    if source == "local":  # "shared" and "x" are in every partition: the first one wins
        assert done.counts["repeated_source_key"] == 4
        assert parallel.document("s/#b.jsonl:line:10").reason == "malformed_record"
        shared = serial.document("s/shared").text_sha256
        assert TextStore(tmp_path / "one").get(shared) == "shared, as a.jsonl"


def test_a_small_source_is_parsed_here_unless_workers_are_asked(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest_partitions, "INLINE_ITEMS", 20)
    Engines.opened.clear()
    _ingest(Ledger("sqlite://"), tmp_path, LocalSource(_parts(tmp_path, lines=4)), Engines())
    assert Engines.opened == []  # 12 records and 3 checkpoints: no pool started
    _ingest(Ledger("sqlite://"), tmp_path, LocalSource(_parts(tmp_path, lines=8)), Engines())
    assert Engines.opened == [("local", None)]  # 24 records and 6 checkpoints: every core


@pytest.mark.parametrize(
    ("after", "resumed"),
    [
        (13, [("b.jsonl", None), ("c.jsonl", None)]),  # interrupted once partition a was done
        (19, [("b.jsonl", "line 5 at byte {b5}"), ("c.jsonl", None)]),  # in b, after line 5
    ],
)
def test_each_partition_resumes_from_its_own_checkpoint(tmp_path, monkeypatch, after, resumed):
    options = _parts(tmp_path)
    whole = Ledger("sqlite://")
    _ingest(whole, tmp_path, LocalSource(options), texts="whole")
    ledger = Ledger("sqlite://")
    with pytest.raises(KeyboardInterrupt):
        _ingest(ledger, tmp_path, Interrupted(LocalSource(options), after))
    assert json.loads(ledger.resume_point("s"))["done"] == ["a.jsonl"]
    reads, read = [], LocalSource.read
    monkeypatch.setattr(
        LocalSource, "read", lambda self, *args: reads.append(args[1:]) or read(self, *args)
    )
    again = _ingest(ledger, tmp_path, LocalSource(options), Parallel(2))
    b5 = len("".join((tmp_path / "b.jsonl").read_text().splitlines(keepends=True)[:5]))
    assert reads == [(name, at and at.format(b5=b5)) for name, at in resumed]
    assert again.counts["seen"] == 36 - after + (after - 12) % 5  # b from its checkpoint on
    in_b = f"; b.jsonl from line 5 at byte {b5}" if after == 19 else ""
    assert describe(again.resumed_from) == "1 of its partitions done" + in_b
    assert _state(ledger) == _state(whole)
    assert ledger.resume_point("s") is None


def test_a_partition_that_cannot_be_read_is_a_skip_and_the_others_are_ingested(tmp_path):
    options = _parts(tmp_path)
    (tmp_path / "b.jsonl").unlink()
    ledger = Ledger("sqlite://")
    result = _ingest(ledger, tmp_path, LocalSource(options))
    skip = ledger.document("s/#partition:2")
    assert (skip.status, skip.reason) == ("skipped", UNREADABLE)
    detail = ledger.decisions("s/#partition:2")[0].detail
    assert detail.startswith("partition b.jsonl: FetchError: cannot read ")
    assert "b.jsonl: No such file or directory" in detail
    keys = {d.doc_id for d in ledger.documents()}
    assert {"s/a0", "s/c0"} <= keys and "s/b0" not in keys
    assert result.counts[f"skipped:{UNREADABLE}"] == 1


def test_a_missing_dump_among_several_is_a_skip_and_the_others_are_ingested(tmp_path):
    shutil.copyfile(shared_path("mediawiki", BGWIKI), tmp_path / "one.xml.bz2")
    options = {"dump": ["gone.xml.bz2", "one.xml.bz2"], "licence": "CC-BY-SA-3.0"}
    ledger = Ledger("sqlite://")
    result = _ingest(ledger, tmp_path, MediaWikiSource(options))
    assert ledger.document("s/#partition:1").reason == UNREADABLE
    assert ledger.document("s/558").title == "Григориански календар"
    assert (result.counts["new"], result.counts[f"skipped:{UNREADABLE}"]) == (1, 1)


def test_a_single_unreadable_partition_is_still_the_source_s_error(tmp_path):
    with pytest.raises(FetchError, match="gone.jsonl: No such file or directory"):
        _ingest(Ledger("sqlite://"), tmp_path, LocalSource({"path": "gone.jsonl"}))


def test_the_ingest_command_parses_on_the_workers_it_is_given(tmp_path, monkeypatch):
    opened, open_engine = [], Parallel.open
    monkeypatch.setattr(
        Parallel, "open", lambda self, adapter: opened.append(self) or open_engine(self, adapter)
    )
    records = [{"id": str(n), "text": f"text {n}", "licence": "CC0-1.0"} for n in range(40)]
    config = write_corpus(tmp_path, records)
    result = CliRunner().invoke(cli, ["-c", str(config), "-q", "ingest", "t", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert result.output == "ingest t: new 40, seen 40\n"
    assert opened == [Parallel(2, "local", None)]


@pytest.mark.parametrize("workers", [None, 2])  # read ahead into the driver's head, or the pool's
def test_a_reader_error_keeps_every_record_read_before_it(tmp_path, monkeypatch, workers):
    read = LocalSource.read

    def broken(self, fetch, partition, resume):
        for number, item in enumerate(read(self, fetch, partition, resume)):
            if number == 6:
                raise OSError("the disk went away")
            yield item

    monkeypatch.setattr(LocalSource, "read", broken)
    options = {**_parts(tmp_path, lines=40), "path": "a.jsonl"}
    ledger = Ledger("sqlite://")
    with pytest.raises(OSError, match="the disk went away"):
        _ingest(ledger, tmp_path, LocalSource(options), Parallel(workers))
    assert len(list(ledger.documents())) == 15  # 6 items: 3 parts of 5 lines, 3 checkpoints
    assert ledger.runs()[-1].status == "failed"


def test_oai_sets_are_harvested_in_turn_and_a_record_in_two_is_recorded_once(tmp_path):
    pages = listing([("ListRecords", "next"), ("next", None)])  # any query: the same 2 records
    with OaiServer(pages) as server:
        options = {"base_url": server.url, "set": ["physics", "maths"], "collection_licence": "CC0"}
        ledger = Ledger("sqlite://")
        fetch = Fetcher(tmp_path, min_interval=0)
        done = ingest(ledger, TextStore(tmp_path / "t"), "s", OaiPmhSource(options), fetch,
                      progress=False)  # fmt: skip
    asked = [parse_qs(urlsplit(r).query).get("set") for r in server.requests if "ListRecords" in r]
    assert asked == [["physics"], None, ["maths"], None]  # a set's pages after the first: tokens
    assert (done.counts["new"], done.counts["repeated_source_key"]) == (2, 2)
    assert [d.source_key for d in ledger.documents()] == ["oai:x:1", "oai:x:2"]
