"""The gutenberg adapter's catalog slices (issue 11, item 3): partitions named by ebook-number
ranges, each resumed from its own checkpoint, texts of a local mirror read by the workers; the
documents are those of the catalog read whole."""

from __future__ import annotations

import json
import pickle

import pytest

from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.ingest.partitions import describe
from corpusbuilder.ingest.runner import ingest
from corpusbuilder.ledger import Ledger
from corpusbuilder.source import Checkpoint, SourceDocument, Unparsed
from corpusbuilder.textstore import TextStore
from sources import gutenberg
from sources.gutenberg import GutenbergSource
from tests.conftest import shared_path
from tests.sources.test_gutenberg import QuietHandler, book, pg_text, rdf, serve
from tests.test_ingest_partitions import Engines
from tests.test_resume_positions import Interrupted

CSV = "pg_catalog_excerpt_rows1-29.csv"


def real(**options) -> GutenbergSource:
    """The real samples: RDFs of 1012, 2701, 17489 (with texts), 23962, 30929, 50405 (none)."""
    root = str(shared_path("gutenberg"))
    return GutenbergSource({"catalog": root, "mirror": root, **options})


def keys(items) -> list[str]:
    """The ebook numbers (or skip keys) of `items`, a text left to a worker by its book's."""
    return [
        i.raw.number if isinstance(i, Unparsed) else i.source_key
        for i in items
        if not isinstance(i, Checkpoint)
    ]


def _ingest(ledger, tmp_path, adapter, parallel=None, texts="texts"):
    store = TextStore(tmp_path / texts)
    return ingest(ledger, store, "s", adapter, Fetcher(tmp_path), progress=False,
                  parallel=parallel)  # fmt: skip


def _state(ledger: Ledger) -> list[tuple]:
    """Every row an ingest writes of each document, in `seq` order (times left out)."""
    documents = sorted(ledger.documents(), key=lambda d: d.seq)
    evidence = ledger.evidence(d.doc_id for d in documents)
    return [
        (d.doc_id, d.seq, d.status, d.reason, d.text_sha256, d.url, d.title, d.creator,
         [(e.statement, e.locator, e.kind, e.jurisdiction) for e in evidence[d.doc_id]],
         [(x.outcome, x.reason, x.detail) for x in ledger.decisions(d.doc_id)])
        for d in documents
    ]  # fmt: skip


def test_slices_are_named_by_ebook_numbers_and_hold_their_books():
    adapter, fetch = real(slice_size=10_000), Fetcher()
    names = adapter.partitions(fetch)
    assert names == ["0-9999", "10000-19999", "20000-29999", "30000-39999", "50000-59999"]
    held = {name: keys(adapter.read(fetch, name, None)) for name in names}
    assert held == {
        "0-9999": ["1012", "2701"],
        "10000-19999": ["17489"],
        "20000-29999": ["23962"],
        "30000-39999": ["30929"],
        "50000-59999": ["50405"],
    }  # no 40000-49999: the catalog has no book there
    only = real(slice_size=10_000, books=[2701, 50405]).partitions(fetch)
    assert only == ["0-9999", "50000-59999"]  # the same names, whatever the slices hold
    assert GutenbergSource({"catalog": "c", "mirror": "m"}).partitions(fetch) == ["all"]


def test_the_csv_catalog_is_sliced_by_its_text_numbers(tmp_path):
    catalog = shared_path("gutenberg", CSV)
    book(tmp_path, "11", pg_text("Alice was beginning to get very tired."))
    adapter = GutenbergSource({"catalog": str(catalog), "mirror": str(tmp_path / "mirror"),
                               "slice_size": 10})  # fmt: skip
    fetch = Fetcher()
    assert adapter.partitions(fetch) == ["0-9", "10-19", "20-29"]
    assert keys(adapter.read(fetch, "0-9", None)) == [str(n) for n in range(1, 10)]
    assert keys(adapter.read(fetch, "20-29", None)) == [str(n) for n in range(20, 30)]
    alice = [i for i in adapter.documents(fetch) if isinstance(i, SourceDocument)]
    assert [(d.source_key, d.title) for d in alice] == [("11", "Alice's Adventures in Wonderland")]


def test_a_record_filed_under_no_number_goes_with_the_first_slice_never_dropped(tmp_path):
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "extra.rdf").write_text(rdf("4321", title="Unnumbered"), "utf-8")
    book(tmp_path, "2500", pg_text("Numbered."))
    (tmp_path / "pg_catalog.csv").write_text(
        "Text#,Type,Title\n2500,Text,Numbered\nabc,Text,Broken\n", encoding="utf-8"
    )
    options = {"mirror": str(tmp_path / "mirror"), "slice_size": 1000}
    folder = GutenbergSource({**options, "catalog": str(tmp_path / "cat")})
    assert folder.partitions(Fetcher()) == ["0-999", "2000-2999"]
    first = list(folder.read(Fetcher(), "0-999", None))
    assert keys(first) == ["4321"]  # filed by its file name (none), keyed by its record
    assert first[0].raw.title == "Unnumbered"
    rows = GutenbergSource({**options, "catalog": str(tmp_path / "pg_catalog.csv")})
    assert rows.partitions(Fetcher()) == ["0-999", "2000-2999"]
    [broken] = rows.read(Fetcher(), "0-999", None)
    assert (broken.source_key, broken.reason) == ("#line:3", "malformed_metadata")


def test_a_sliced_ingest_on_two_workers_writes_the_ledger_of_the_whole_catalog(tmp_path):
    whole, sliced = Ledger("sqlite://"), Ledger("sqlite://")
    _ingest(whole, tmp_path, real(), texts="whole")
    Engines.opened.clear()
    done = _ingest(sliced, tmp_path, real(slice_size=10_000), Engines(2), texts="sliced")
    assert Engines.opened == [("local", 2)]  # the texts were read and stripped by two workers
    assert _state(sliced) == _state(whole)
    ingested = sorted(sliced.documents("ingested"), key=lambda d: d.seq)
    assert [d.source_key for d in ingested] == ["1012", "2701", "17489"]
    assert (done.counts["new"], done.counts["skipped:text_missing"]) == (3, 3)


def test_a_local_mirror_leaves_the_text_to_the_workers_a_url_mirror_does_not(tmp_path):
    book(tmp_path, "55", pg_text("Café."))
    adapter = GutenbergSource(
        {"catalog": str(tmp_path / "cat"), "mirror": str(tmp_path / "mirror")}
    )
    [record] = adapter.read(Fetcher(), "all", None)
    assert isinstance(record, Unparsed)  # reading and stripping the text is the costly part
    shipped = pickle.loads(pickle.dumps(record))  # as the pool ships it to a worker
    assert shipped.parse(shipped.raw).text == "Café."
    server = serve(QuietHandler, tmp_path / "mirror")
    try:
        mirror = f"http://127.0.0.1:{server.server_port}"
        remote = GutenbergSource({"catalog": str(tmp_path / "cat"), "mirror": mirror})
        fetch = Fetcher(min_interval=0, max_attempts=1, respect_robots=False)
        [item] = remote.read(fetch, "all", None)
    finally:
        server.shutdown()
        server.server_close()
    assert isinstance(item, SourceDocument) and item.text == "Café."  # one fetcher keeps pace


def test_an_ingest_stopped_in_a_slice_resumes_there(tmp_path, monkeypatch):
    monkeypatch.setattr(gutenberg, "CHECKPOINT_EVERY", 1)
    whole = Ledger("sqlite://")
    _ingest(whole, tmp_path, real(), texts="whole")
    ledger = Ledger("sqlite://")
    with pytest.raises(KeyboardInterrupt):
        _ingest(ledger, tmp_path, Interrupted(real(slice_size=10_000), 2))
    state = {"done": [], "partition": "0-9999", "at": "1012"}
    assert json.loads(ledger.resume_point("s")) == state  # in 0-9999, after 1012
    reads, read = [], GutenbergSource.read
    monkeypatch.setattr(
        GutenbergSource, "read", lambda self, *args: reads.append(args[1:]) or read(self, *args)
    )
    again = _ingest(ledger, tmp_path, real(slice_size=10_000))
    assert reads == [("0-9999", "1012"), ("10000-19999", None), ("20000-29999", None),
                     ("30000-39999", None), ("50000-59999", None)]  # fmt: skip
    assert describe(again.resumed_from) == "0 of its partitions done; 0-9999 from 1012"
    assert again.counts["seen"] == 5  # 1012 is not read again
    assert _state(ledger) == _state(whole)
    assert ledger.resume_point("s") is None


def test_without_slices_or_with_one_the_checkpoint_is_the_last_ebook_number(monkeypatch):
    monkeypatch.setattr(gutenberg, "CHECKPOINT_EVERY", 2)
    for adapter in (real(), real(slice_size=100_000)):
        items = list(adapter.documents(Fetcher()))
        checkpoints = [i.value for i in items if isinstance(i, Checkpoint)]
        assert checkpoints == ["2701", "23962", "50405"]  # as before partitions existed
        assert keys(adapter.documents(Fetcher(), resume="2701")) == ["17489", "23962", "30929",
                                                                    "50405"]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "gutenberg: slice_size: must be >= 1, not 0"),
        ("1000", 'gutenberg: slice_size: must be a whole number, not "1000"'),
        (2.5, "gutenberg: slice_size: must be a whole number, not 2.5"),
    ],
)
def test_a_bad_slice_size_is_refused_with_what_to_give(value, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        GutenbergSource({"catalog": "c", "mirror": "m", "slice_size": value})


def test_slices_too_many_for_a_checkpoint_are_refused_before_any_book(monkeypatch):
    monkeypatch.setattr(gutenberg, "MAX_PARTITIONS", 2)  # 1000 in use: PG has ~75,000 books
    catalog = str(shared_path("gutenberg", CSV))
    adapter = GutenbergSource({"catalog": catalog, "mirror": "m", "slice_size": 10})
    with pytest.raises(ValueError) as caught:
        next(adapter.documents(Fetcher()))
    assert str(caught.value) == (
        "slice_size 10 cuts the catalog into 3 slices, and a source has at most 2 partitions"
        " (each checkpoint names those done): take a larger slice_size"
    )
