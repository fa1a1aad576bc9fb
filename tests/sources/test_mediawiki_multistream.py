"""Multistream dumps read in parts by the workers (issue 11, item 3).

The fixture is the first 30 pages of the real enwiki sample, re-packed here as Wikimedia's
``recompressxml`` packs a dump (`tests.multistream_dumps`), 5 pages a stream instead of 100: 6
streams, then ``</mediawiki>`` in a stream of its own. With ``checkpoint_every: 10`` a part is 2
streams. The ingest of its parts must write the ledger of the same pages read as one stream.
"""

from __future__ import annotations

import bz2
import pickle
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from corpusbuilder.ingest import partitions as ingest_partitions
from corpusbuilder.ingest.fetch import Fetcher, FetchError
from corpusbuilder.ingest.partitions import Parallel, Unread
from corpusbuilder.ledger import Ledger
from corpusbuilder.source import Checkpoint
from sources import mediawiki
from sources.mediawiki import MediaWikiSource
from sources.mediawiki_multistream import IndexMismatch, index_beside
from tests.conftest import shared_path
from tests.multistream_dumps import recompress
from tests.test_ingest_partitions import Engines, _ingest, _state
from tests.test_resume_positions import Interrupted

ENWIKI = "enwiki-pages-articles1-shortened_gensim_part-dev.xml.bz2"
LICENCE = ["CC-BY-SA-3.0", "GFDL-1.3"]
PAGES, PER_STREAM, PART = 30, 5, 10


@dataclass(frozen=True)
class Sample:
    xml: bytes  # the pages as one document
    single: Path  # as one bz2 stream
    dump: Path  # as multistream
    index: Path  # its index, beside it

    def index_lines(self) -> list[bytes]:
        return bz2.decompress(self.index.read_bytes()).splitlines(keepends=True)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Sample:
    folder = tmp_path_factory.mktemp("multistream")
    xml = bz2.decompress(shared_path("mediawiki", ENWIKI).read_bytes())
    ends = [m.end() for m in re.finditer(rb"  </page>\n", xml)]
    xml = xml[: ends[PAGES - 1]] + b"</mediawiki>\n"
    single = folder / "enwiki-sample-pages-articles.xml.bz2"
    single.write_bytes(bz2.compress(xml))
    data, index = recompress(xml, PER_STREAM)
    dump = folder / "enwiki-sample-pages-articles-multistream.xml.bz2"
    dump.write_bytes(data)
    (folder / "enwiki-sample-pages-articles-multistream-index.txt.bz2").write_bytes(
        bz2.compress(index)
    )
    return Sample(xml, single, dump, Path(index_beside(str(dump))))


def _source(dump, **options) -> MediaWikiSource:
    dump = dump if isinstance(dump, list) else str(dump)
    return MediaWikiSource({"dump": dump, "licence": LICENCE, "checkpoint_every": PART, **options})


def test_the_index_beside_a_dump_has_wikimedia_s_name():
    assert index_beside("/d/enwiki-20240601-pages-articles-multistream.xml.bz2") == (
        "/d/enwiki-20240601-pages-articles-multistream-index.txt.bz2"
    )
    split = "enwiki-20240601-pages-articles-multistream3.xml-p151574p311329.bz2"
    assert index_beside(split) == (
        "enwiki-20240601-pages-articles-multistream-index3.txt-p151574p311329.bz2"
    )
    assert index_beside("enwiki-20240601-pages-articles.xml.bz2") is None


def test_the_driver_yields_byte_ranges_and_a_checkpoint_after_each(sample):
    items = list(_source(sample.dump).read(Fetcher(), str(sample.dump), None))
    parts = items[::2]
    assert all(isinstance(p, Unread) for p in parts)
    assert [p.size for p in parts] == [PART] * 3
    lines = sample.index_lines()
    assert [str(p.part.ids[0]) for p in parts] == [x.split(b":")[1].decode() for x in lines[::PART]]
    assert items[1::2] == [Checkpoint(str(p.part.ids[-1])) for p in parts]
    starts = [p.part.start for p in parts]
    assert starts[0] == int(lines[0].split(b":")[0]) > 0  # stream 0 holds only the siteinfo
    assert [p.part.end for p in parts] == [*starts[1:], None]
    assert max(len(pickle.dumps(p)) for p in parts) < 16_000  # no page passes through the driver


def test_parts_on_two_workers_write_the_ledger_of_the_dump_read_as_one_stream(tmp_path, sample):
    serial, parallel = Ledger("sqlite://"), Ledger("sqlite://")
    _ingest(serial, tmp_path, _source(sample.single), Parallel(1), texts="one")
    Engines.opened.clear()
    _ingest(parallel, tmp_path, _source(sample.dump), Engines(2), texts="two")
    assert Engines.opened == [("local", 2)]
    assert len(_state(serial)) == PAGES
    assert {row[3] for row in _state(serial)} == {"ingested", "redirect"}
    multistream = repr(_state(parallel)).replace(sample.dump.as_uri(), sample.single.as_uri())
    assert multistream == repr(_state(serial))  # the same but for the dump's URL in locators


def test_a_part_counts_as_its_pages_when_deciding_to_start_workers(tmp_path, sample, monkeypatch):
    monkeypatch.setattr(ingest_partitions, "INLINE_ITEMS", 40)
    Engines.opened.clear()
    _ingest(Ledger("sqlite://"), tmp_path, _source(sample.dump), Engines(), texts="a")
    assert Engines.opened == []  # 30 pages: parsed here
    monkeypatch.setattr(ingest_partitions, "INLINE_ITEMS", 20)
    _ingest(Ledger("sqlite://"), tmp_path, _source(sample.dump), Engines(), texts="b")
    assert Engines.opened == [("local", None)]  # 3 parts and 3 checkpoints, but 30 pages


@pytest.mark.parametrize(("index_at_first", "every"), [(True, PART), (False, 7)])
def test_an_interrupted_ingest_resumes_after_its_last_checkpoint(
    tmp_path, sample, monkeypatch, index_at_first, every
):
    """With the index, the checkpoint follows a part; a dump first read as one stream (no index
    beside it yet) checkpoints mid-stream, and its parts resume after that very page."""
    dump = tmp_path / sample.dump.name
    shutil.copyfile(sample.dump, dump)
    whole = Ledger("sqlite://")
    _ingest(whole, tmp_path, _source(sample.dump, terms_url="https://t/"), texts="whole")
    if index_at_first:
        shutil.copyfile(sample.index, tmp_path / sample.index.name)
    ledger = Ledger("sqlite://")
    first = _source(dump, terms_url="https://t/", checkpoint_every=every)
    with pytest.raises(KeyboardInterrupt):
        _ingest(ledger, tmp_path, Interrupted(first, 12))
    keys = [d.source_key for d in sorted(whole.documents(), key=lambda d: d.seq)]
    assert ledger.resume_point("s") == keys[every - 1]  # after a part (10), or mid-stream (7)
    shutil.copyfile(sample.index, tmp_path / sample.index.name)
    reads, read_part = [], mediawiki.read_part
    monkeypatch.setattr(
        mediawiki, "read_part", lambda part, limit: reads.append(part) or read_part(part, limit)
    )
    again = _ingest(ledger, tmp_path, _source(dump, terms_url="https://t/"), Parallel(1))
    resumed = [(str(p.ids[0]), p.after) for p in reads]
    assert resumed == [(keys[5], keys[every - 1]), (keys[15], None), (keys[25], None)]
    assert again.counts["seen"] == PAGES - every
    assert _state(ledger) == _state(whole)
    assert ledger.resume_point("s") is None


def _other_ids(lines: list[bytes], sample: Sample) -> list[bytes]:
    return [b"%s:%d:%s" % (o, int(i) + 1, t) for o, i, t in (x.split(b":", 2) for x in lines)]


def _shifted(lines: list[bytes], sample: Sample) -> list[bytes]:
    return [b"%d:%s" % (int(line.split(b":", 1)[0]) + 1, line.split(b":", 1)[1]) for line in lines]


def _of_three_pages_a_stream(lines: list[bytes], sample: Sample) -> list[bytes]:
    return recompress(sample.xml, 3)[1].splitlines(keepends=True)


def _not_an_index(lines: list[bytes], sample: Sample) -> list[bytes]:
    return [b"<mediawiki>\n", *lines]


@pytest.mark.parametrize(
    ("index", "message"),
    [
        (_other_ids, r"the streams from byte 638 hold pages \d+…\d+ \(10\) where the index"),
        (_shifted, "its first stream does not end at byte 639, where the index's first"),
        (_of_three_pages_a_stream, "no bz2 stream starts at byte "),
        (_not_an_index, r"line 1 is not offset:page_id:title"),
    ],
)
def test_an_index_that_does_not_fit_the_dump_stops_the_ingest_saying_so(
    tmp_path, sample, index, message
):
    dump = tmp_path / sample.dump.name
    shutil.copyfile(sample.dump, dump)
    lines = index(sample.index_lines(), sample)
    (tmp_path / sample.index.name).write_bytes(bz2.compress(b"".join(lines)))
    ledger = Ledger("sqlite://")
    with pytest.raises(IndexMismatch, match=message) as raised:
        _ingest(ledger, tmp_path, _source(dump), Parallel(1))
    assert "\n" not in str(raised.value) and "; give the " in str(raised.value)  # what to do
    assert sample.index.name in str(raised.value) and sample.dump.name in str(raised.value)
    assert ledger.runs()[-1].status == "failed"


def test_a_part_that_cannot_be_read_is_a_skip_and_the_next_parts_are_read(tmp_path, sample):
    shutil.copyfile(sample.index, tmp_path / sample.index.name)
    lines = sample.index_lines()
    second, fifth, sixth = (int(lines[n].split(b":")[0]) for n in (PART, 4 * PER_STREAM, 25))
    data = bytearray(sample.dump.read_bytes())
    data[second + 200 : second + 400] = bytes(200)  # inside the second part's first stream
    dump = tmp_path / sample.dump.name
    dump.write_bytes(bytes(data[: sixth + 100]))  # the last part cut in its second stream
    ledger = Ledger("sqlite://")
    done = _ingest(ledger, tmp_path, _source(dump))
    broken = ledger.document(f"s/{dump.as_uri()}#offset-{second}")
    cut = ledger.document(f"s/{dump.as_uri()}#offset-{fifth}")
    assert (broken.reason, cut.reason) == ("malformed_dump", "truncated_dump")
    keys = [x.split(b":")[1].decode() for x in lines]
    ingested = {d.source_key for d in ledger.documents()}
    assert ingested == {*keys[:PART], *keys[20:25], broken.source_key, cut.source_key}
    assert done.counts["seen"] == PART + 1 + PER_STREAM + 1
    assert ledger.resume_point("s") is None


def test_multistream_index_is_checked_against_the_dumps():
    with pytest.raises(Exception, match="one multistream_index per dump"):
        _source(["a.xml.bz2", "b.xml.bz2"], multistream_index=["a-index.txt.bz2"])
    source = _source("https://e.org/x.xml.bz2", multistream_index="x-index.txt.bz2")
    with pytest.raises(FetchError, match="multistream parts are read from a local file"):
        list(source.read(Fetcher(), "https://e.org/x.xml.bz2", None))
