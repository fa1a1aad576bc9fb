"""Every parser fuzzed with mutated real samples: documents, recorded skips or one clear line.

Inputs are the real files of ../shared/data (and the demo's texts.jsonl) with a few edits each
(`tests.fuzzing.mutated`). Whatever the input, the adapter yields documents and skips with a
reason that the core stores as they are, or ends with one `UserError` line after them; where
the input can be counted independently (JSONL lines, CSV rows, records of a page that parses,
pages of a dump that parses) nothing is dropped without a skip. Memory is asserted by a limit
(`tests.fuzzing.bounded`), the input size by `MAX_INPUT`.
"""

from __future__ import annotations

import bz2
import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings

from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.project import Project
from corpusbuilder.source import Checkpoint, SourceDocument
from sources.gutenberg import GutenbergSource
from sources.local import LocalSource
from sources.mediawiki import MediaWikiSource
from sources.oai_pmh import OaiPmhSource
from tests.conftest import SHARED_DATA, shared_path
from tests.fuzzing import FUZZ, assert_storable, bounded, mutated, outcome, reported, tally
from tests.helpers import write_corpus

DEMO_TEXTS = Path(__file__).resolve().parents[2] / "corpusbuilder" / "demo" / "texts.jsonl"


def _real(*parts: str) -> bytes:
    """A real sample, or b"" where ../shared/data is absent (the test then skips)."""
    path = SHARED_DATA.joinpath(*parts)
    return path.read_bytes() if path.is_file() else b""


@pytest.fixture(scope="module", autouse=True)
def _report():
    shared_path()  # skips the module, with the reason, where the samples are absent
    with reported():
        yield


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _items(found: list) -> list:
    return [i for i in found if not isinstance(i, Checkpoint)]


# -- local JSONL -----------------------------------------------------------------------------

JSONL = [
    DEMO_TEXTS.read_bytes(),
    b'{"id": "a", "text": "t", "licence": "CC0-1.0", "url": "https://e.org/a",'
    b' "title": "T", "creator": "C", "date": 2024, "language": "en"}\n',
]


@FUZZ
@given(data=mutated(JSONL))
def test_local_jsonl(folder, data) -> None:
    path = folder / "texts.jsonl"
    path.write_bytes(data)
    source = LocalSource({"path": str(path)})
    with bounded(megabytes=64):
        found, error = outcome(lambda: source.documents(Fetcher(min_interval=0)))
    tally("local JSONL", found, error)
    assert error is None, error
    assert_storable(found)
    lines = [line for line in io.BytesIO(data) if line.strip()]
    assert len(_items(found)) == len(lines), "a line ended neither as a document nor as a skip"


@settings(FUZZ, max_examples=max(FUZZ.max_examples // 3, 1))  # a whole ingest each: fewer
@given(data=mutated(JSONL))
def test_local_jsonl_through_the_ingest_loses_no_line(folder, data) -> None:
    """End to end: every non-blank line is a document, a skip or a counted repeat in the ledger."""
    corpus = folder / f"corpus-{len(list(folder.glob('corpus-*')))}"
    project = Project.open(write_corpus(corpus, []), progress=False)
    (corpus / "texts.jsonl").write_bytes(data)
    _, error = outcome(lambda: [project.ingest("t")])
    assert error is None, error
    lines = sum(1 for line in io.BytesIO(data) if line.strip())
    [run] = [r for r in project.ledger.runs() if r.kind == "ingest"]
    assert run.status == "completed" and run.counts.get("seen", 0) == lines
    recorded = sum(count for *_, count in project.ledger.funnel())
    assert recorded + run.counts.get("repeated_source_key", 0) == lines


# -- OAI-PMH ---------------------------------------------------------------------------------

OAI = [
    _real("oai", "arxiv", "ListRecords_arXiv_physics-hep-ex_2017-12-14.xml"),
    _real("oai", "hal", "ListRecords_oai_dc_tel-02955615v1_with_resumptionToken.xml"),
    _real("oai", "sickle_anonymized", "ListRecords.xml"),
    _real("oai", "dspace_eur_2003", "fake1_00002.xml"),
    _real("oai", "hal", "GetRecord_xml-tei_tel-01238742v1.xml")
    .replace(b"<GetRecord", b"<ListRecords")
    .replace(b"</GetRecord>", b"</ListRecords>"),
]


class Served(Fetcher):
    """A fetcher answering from memory: the real Identify, the fuzzed first page, and the real
    noRecordsMatch for whatever token the fuzzed page names (so every harvest ends)."""

    def __init__(self, page: bytes) -> None:
        super().__init__(min_interval=0, max_attempts=1)
        self.answers = {
            "Identify": _real("oai", "sickle_anonymized", "Identify.xml"),
            "ListRecords": page,
        }

    def open(self, location, params=None):
        query = parse_qs(urlsplit(self.url_for(location, params)).query)
        if "resumptionToken" in query:
            return io.BytesIO(_real("oai", "sickle_anonymized", "noRecordsMatch.xml"))
        return io.BytesIO(self.answers[query["verb"][0]])


@FUZZ
@given(data=mutated(OAI))
def test_oai_pmh_list_records(data) -> None:
    prefix = "arXiv" if b"arXiv.org" in data[:2000] else "oai_dc"
    source = OaiPmhSource({"base_url": "http://repository.test/oai", "metadata_prefix": prefix})
    with bounded(megabytes=64):
        found, error = outcome(lambda: source.documents(Served(data)))
    tally("OAI-PMH ListRecords", found, error)
    assert_storable(found)
    records = _records_if_well_formed(data)
    if records is not None and error is None:
        assert len(_items(found)) == records, "a record ended neither as a document nor a skip"


def _records_if_well_formed(data: bytes) -> int | None:
    """The number of records of a well-formed ListRecords page (None: not one)."""
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, LookupError):  # LookupError: an unknown declared encoding
        return None
    listing = [e for e in root if e.tag.endswith("}ListRecords")]
    if len(listing) != 1 or any(e.tag.endswith("}error") for e in root):
        return None
    return sum(1 for e in listing[0] if e.tag.rsplit("}", 1)[-1] == "record")


# -- Project Gutenberg -----------------------------------------------------------------------

RDFS = [_real("gutenberg", n, f"pg{n}.rdf") for n in ("2701", "17489", "1012", "23962", "30929")]
CATALOG = [_real("gutenberg", "pg_catalog_excerpt_rows1-29.csv")]
TEXT = (
    b"The Project Gutenberg eBook of A Test\r\n\r\n*** START OF THE PROJECT GUTENBERG EBOOK A"
    b" TEST ***\r\n\r\nIt was a quiet morning in the harbour, and the boats lay still.\r\n\r\n"
    b"*** END OF THE PROJECT GUTENBERG EBOOK A TEST ***\r\n"
)


def _mirror(folder: Path, numbers: list[str]) -> Path:
    mirror = folder / "mirror"
    for number in numbers:
        (mirror / number).mkdir(parents=True, exist_ok=True)
        (mirror / number / f"{number}-0.txt").write_bytes(TEXT)
    return mirror


@FUZZ
@given(data=mutated(RDFS))
def test_gutenberg_rdf(folder, data) -> None:
    (folder / "pg1.rdf").write_bytes(data)
    mirror = _mirror(folder, ["2701", "17489", "1012", "23962", "30929"])
    source = GutenbergSource({"catalog": str(folder / "pg1.rdf"), "mirror": str(mirror)})
    with bounded(megabytes=64):
        found, error = outcome(lambda: source.documents(Fetcher(min_interval=0)))
    tally("Gutenberg RDF", found, error)
    assert error is None, error
    assert_storable(found)
    assert len(_items(found)) == 1, "one RDF is one book: a document or a skip"


@FUZZ
@given(data=mutated(CATALOG))
def test_gutenberg_catalog_csv(folder, data) -> None:
    (folder / "pg_catalog.csv").write_bytes(data)
    mirror = _mirror(folder, ["1", "2"])  # the other books are `text_missing` skips: quicker
    source = GutenbergSource({"catalog": str(folder / "pg_catalog.csv"), "mirror": str(mirror)})
    with bounded(megabytes=64):
        found, error = outcome(lambda: source.documents(Fetcher(min_interval=0)))
    tally("Gutenberg catalog CSV", found, error)
    assert_storable(found)
    rows = _csv_rows(data)
    if error is None and rows is not None:
        assert len(_items(found)) == rows, "a catalog row ended neither as a book nor a skip"


def _csv_rows(data: bytes) -> int | None:
    """The data rows of a CSV that Python reads without error (None: it does not)."""
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    except (UnicodeDecodeError, csv.Error):
        return None
    return sum(1 for row in rows[1:] if row) if rows and "Text#" in rows[0] else None


TEXTS = [
    _real("gutenberg", "84", "pg84_modern-header.txt")[:3000]
    + _real("gutenberg", "84", "pg84_modern-header.txt")[-20000:],
    _real("gutenberg", "17489", "17489-8.txt")[:3000]
    + _real("gutenberg", "17489", "17489-8.txt")[-20000:],
    _real("gutenberg", "1012", "1012-0.txt")[:3000]
    + _real("gutenberg", "1012", "1012-0.txt")[-20000:],
]
ONE_ROW = b"Text#,Type,Issued,Title,Language,Authors\n7,Text,2001-01-01,T,en,A\n"


@FUZZ
@given(data=mutated(TEXTS))
def test_gutenberg_text(folder, data) -> None:
    (folder / "one.csv").write_bytes(ONE_ROW)
    (folder / "texts" / "7").mkdir(parents=True, exist_ok=True)
    (folder / "texts" / "7" / "7-0.txt").write_bytes(data)
    source = GutenbergSource({"catalog": str(folder / "one.csv"), "mirror": str(folder / "texts")})
    with bounded(megabytes=64):
        found, error = outcome(lambda: source.documents(Fetcher(min_interval=0)))
    tally("Gutenberg text", found, error)
    assert error is None, error
    assert_storable(found)
    assert len(_items(found)) == 1


# -- MediaWiki -------------------------------------------------------------------------------


def _first_pages(dump: bytes, count: int) -> bytes:
    """The dump cut after its `count`-th page and closed again: small enough to mutate."""
    end = 0
    for _ in range(count):
        end = dump.index(b"</page>", end) + len(b"</page>")
    return dump[:end] + b"\n</mediawiki>\n"


def _decompressed(name: str) -> bytes:
    data = _real("mediawiki", name)
    return bz2.decompress(data) if data else b"<mediawiki></mediawiki>"


DUMPS = [
    _real("mediawiki", "mwxml_dump_export-0.8_synthetic.xml"),
    _first_pages(_decompressed("enwiki-pages-articles1-shortened_gensim_part-dev.xml.bz2"), 4)
    if SHARED_DATA.is_dir()
    else b"",
    _decompressed("bgwiki-latest-pages-articles-shortened.xml.bz2")[:40000],
]


@FUZZ
@given(data=mutated(DUMPS))
def test_mediawiki_dump(folder, data) -> None:
    (folder / "dump.xml").write_bytes(data)
    source = MediaWikiSource(
        {"dump": str(folder / "dump.xml"), "licence": "CC-BY-SA-3.0", "wiki_url": "https://w.test/"}
    )
    with bounded(megabytes=96):
        found, error = outcome(lambda: source.documents(Fetcher(min_interval=0)))
    tally("MediaWiki XML", found, error)
    assert error is None, error
    assert_storable(found)
    pages, items = _pages_if_well_formed(data), _items(found)
    if pages is None:
        return
    if items and items[-1].source_key == (folder / "dump.xml").as_uri():  # stopped reading:
        assert items[-1].reason == "malformed_dump" and len(items) - 1 <= pages  # says so
    else:
        assert len(items) == pages, "a page ended neither as a document nor a skip"


def _pages_if_well_formed(data: bytes) -> int | None:
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, LookupError):  # LookupError: an unknown declared encoding
        return None
    return sum(1 for e in root if e.tag.rsplit("}", 1)[-1] == "page")


def test_a_catalog_row_that_is_not_utf8_is_a_skip_and_the_next_rows_are_read(tmp_path) -> None:
    """Found by fuzzing: one byte that is not UTF-8 was a UnicodeDecodeError for the catalog."""
    (tmp_path / "pg_catalog.csv").write_bytes(
        b"Text#,Type,Issued,Title,Language,Authors\n"
        b"1,Text,1971-12-01,Caf\xe9,en,A\n"
        b"2,Text,1972-12-01,Bill of Rights,en,B\n"
    )
    mirror = _mirror(tmp_path, ["2"])
    source = GutenbergSource({"catalog": str(tmp_path / "pg_catalog.csv"), "mirror": str(mirror)})
    first, second = source.documents(Fetcher(min_interval=0))
    assert (first.source_key, first.reason) == ("#line:2", "malformed_metadata")
    assert first.detail.endswith("#line=2: the row is not UTF-8; PG's pg_catalog.csv is UTF-8")
    assert (second.source_key, second.title) == ("2", "Bill of Rights")


UNKNOWN_ENCODING = b'<?xml version="1.0" encoding="TF-8"?>'  # found by fuzzing: a LookupError


def test_an_oai_page_declaring_an_unknown_encoding_is_salvaged_record_by_record() -> None:
    real = _real("oai", "sickle_anonymized", "ListRecords.xml")
    page = UNKNOWN_ENCODING + real[real.index(b"?>") + 2 :]
    source = OaiPmhSource({"base_url": "http://repository.test/oai"})
    found = _items(source.documents(Served(page)))
    assert found == _items(source.documents(Served(real)))  # every record, as if declared UTF-8
    assert len(found) == real.count(b"<record>")
    assert any(isinstance(i, SourceDocument) for i in found)


def test_an_rdf_declaring_an_unknown_encoding_is_a_malformed_metadata_skip(tmp_path) -> None:
    rdf = _real("gutenberg", "2701", "pg2701.rdf")
    (tmp_path / "pg2701.rdf").write_bytes(UNKNOWN_ENCODING + rdf[rdf.index(b"?>") + 2 :])
    source = GutenbergSource({"catalog": str(tmp_path / "pg2701.rdf"), "mirror": str(tmp_path)})
    [skip] = source.documents(Fetcher(min_interval=0))
    assert (skip.source_key, skip.reason) == ("2701", "malformed_metadata")
    assert "not well-formed RDF/XML (unknown encoding: TF-8)" in skip.detail


@pytest.mark.parametrize(
    ("edit", "detail"),
    [
        (lambda dump: UNKNOWN_ENCODING + dump, "LookupError: unknown encoding: TF-8"),
        (lambda dump: dump.replace(b"</namespaces>", b"<x/></namespaces>"), "AssertionError"),
    ],
    ids=["unknown encoding", "stranger in <namespaces>"],
)
def test_a_dump_mwxml_cannot_read_is_a_malformed_dump_skip(tmp_path, edit, detail) -> None:
    """Found by fuzzing: expat's LookupError and mwxml's ``assert False`` escaped the adapter."""
    dump = edit(_real("mediawiki", "mwxml_dump_export-0.8_synthetic.xml"))
    (tmp_path / "dump.xml").write_bytes(dump)
    source = MediaWikiSource(
        {"dump": str(tmp_path / "dump.xml"), "licence": "CC-BY-SA-3.0", "wiki_url": "https://w/"}
    )
    [skip] = source.documents(Fetcher(min_interval=0))
    assert (skip.source_key, skip.reason) == ((tmp_path / "dump.xml").as_uri(), "malformed_dump")
    assert skip.detail.startswith(detail)
