"""A document over `max_document_bytes` is a `too_large` skip in every adapter (issue 8, item 2).

Memory is bounded by configuration, not by the input: a JSONL line, a text file or a wiki page
over the limit is skipped with its location, read in bounded chunks where the format allows.
"""

from __future__ import annotations

import json

import pytest

from corpusbuilder.config_errors import ConfigError
from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.ingest.runner import ingest
from corpusbuilder.ledger import Ledger
from corpusbuilder.source import LicenceEvidence, Skipped, SourceAdapter, SourceDocument
from corpusbuilder.textstore import TextStore
from sources.gutenberg import GutenbergSource
from sources.local import LocalSource
from sources.mediawiki import MediaWikiSource
from tests.helpers import peak_allocated
from tests.sources.test_gutenberg import pg_text, rdf
from tests.sources.test_mediawiki import LICENCE, dump_xml, page

MB = 2**20


def _record(key: str, text: str) -> str:
    return json.dumps({"id": key, "text": text, "licence": "CC0-1.0"}) + "\n"


def _outcomes(items) -> dict[str, str]:
    return {i.source_key: i.reason if isinstance(i, Skipped) else "document" for i in items}


def _detail(items, key: str) -> str:
    return next(i.detail for i in items if i.source_key == key)


def test_a_jsonl_line_over_the_limit_is_skipped_without_being_read_whole(tmp_path):
    path = tmp_path / "t.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(_record("a", "small"))
        handle.write('{"id": "huge", "licence": "CC0-1.0", "text": "')  # one 16 MB line
        for _ in range(16):
            handle.write("x" * MB)
        handle.write('"}\n')
        handle.write(_record("b", "small too"))
    adapter = LocalSource(
        {"path": str(path), "url_prefix": "https://e.org/", "max_document_bytes": MB}
    )
    items, peak = peak_allocated(lambda: list(adapter.documents(Fetcher())))
    assert peak < 4 * MB  # bounded by the limit and the read chunk, not by the 16 MB line
    assert _outcomes(items) == {"a": "document", "#line:2": "too_large", "b": "document"}
    size = len('{"id": "huge", "licence": "CC0-1.0", "text": ""}\n') + 16 * MB
    assert _detail(items, "#line:2") == (
        f"{path.as_uri()}#line=2: the line has {size} bytes, over max_document_bytes"
        f" ({MB}); raise it to keep such documents"
    )


def test_a_line_of_exactly_the_limit_is_read(tmp_path):
    line = _record("a", "x" * 100)
    (tmp_path / "t.jsonl").write_text(line, encoding="utf-8")
    limit = len(line) - 1  # the line without its newline
    adapter = LocalSource(
        {"path": "t.jsonl", "url_prefix": "https://e.org/", "max_document_bytes": limit}
    )
    assert _outcomes(adapter.documents(Fetcher(tmp_path))) == {"a": "document"}
    smaller = LocalSource({**adapter.config, "max_document_bytes": limit - 1})
    assert _outcomes(smaller.documents(Fetcher(tmp_path))) == {"#line:1": "too_large"}


def test_a_text_file_over_the_limit_is_skipped_in_a_folder(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "big.txt").write_text("y" * 5000, encoding="utf-8")
    (tmp_path / "in" / "small.txt").write_text("small", encoding="utf-8")
    options = {"path": "in", "licence": "CC0-1.0", "url_prefix": "https://e.org/"}
    items = list(LocalSource({**options, "max_document_bytes": 1000}).documents(Fetcher(tmp_path)))
    assert _outcomes(items) == {"big.txt": "too_large", "small.txt": "document"}
    assert _detail(items, "big.txt").startswith(
        f"{tmp_path / 'in' / 'big.txt'}: it has more than 1000 bytes, over max_document_bytes"
    )


def test_a_gutenberg_text_over_the_limit_is_skipped_with_its_file(tmp_path):
    for number, words in (("1", 10), ("2", 5000)):
        (tmp_path / "cat").mkdir(exist_ok=True)
        (tmp_path / "cat" / f"pg{number}.rdf").write_text(rdf(number), encoding="utf-8")
        (tmp_path / "mirror" / number).mkdir(parents=True)
        text = pg_text("Call me Ishmael. " * words)
        (tmp_path / "mirror" / number / f"{number}-0.txt").write_bytes(text)
    config = {"catalog": str(tmp_path / "cat"), "mirror": str(tmp_path / "mirror")}
    items = list(GutenbergSource({**config, "max_document_bytes": 10_000}).documents(Fetcher()))
    assert _outcomes(items) == {"1": "document", "2": "too_large"}
    location = tmp_path / "mirror" / "2" / "2-0.txt"
    assert _detail(items, "2").startswith(f"{location}: it has more than 10000 bytes")


def test_a_wiki_page_over_the_limit_is_skipped_and_the_next_page_is_read(tmp_path):
    dump = tmp_path / "dump.xml"
    big = "Un texte. " * 20_000  # 200 KB of wikitext
    dump.write_text(dump_xml(page(1, "Grand", big), page(2, "Petit", "Un petit texte.")))
    adapter = MediaWikiSource({"dump": str(dump), "licence": LICENCE, "max_document_bytes": 50_000})
    items = list(adapter.documents(Fetcher()))
    assert _outcomes(items) == {"1": "too_large", "2": "document"}
    assert _detail(items, "1") == (
        "page 'Grand': its latest revision has 200000 characters, over max_document_bytes"
        " (50000); raise it to keep such documents"
    )


class Big(SourceAdapter):
    """An adapter without a bound of its own (like oai_pmh and hf_dataset): the core's applies."""

    name, version = "big", "0"

    def documents(self, fetch, limit=None, resume=None):
        evidence = (LicenceEvidence("CC0-1.0", "https://e.org/#rights"),)
        for key, text in (("a", "é" * 600), ("b", "é" * 400), ("c", "x" * 2000)):
            yield SourceDocument(key, text, f"https://e.org/{key}", evidence)


def test_the_core_skips_a_text_over_the_source_s_limit_in_utf8_bytes(tmp_path):
    ledger = Ledger("sqlite://")
    adapter = Big({"max_document_bytes": 1000})
    result = ingest(ledger, TextStore(tmp_path), "s", adapter, Fetcher(), progress=False)
    assert (result.counts["new"], result.counts["skipped:too_large"]) == (1, 2)
    assert [(d.doc_id, d.reason) for d in ledger.documents()] == [
        ("s/a", "too_large"),
        ("s/b", "ingested"),
        ("s/c", "too_large"),
    ]  # fmt: skip  (600 é are 1,200 bytes; 400 are 800)
    [decision] = ledger.decisions("s/a")
    assert decision.detail == (
        "https://e.org/a: the text has 600 characters, over max_document_bytes (1000);"
        " raise it to keep such documents"
    )


@pytest.mark.parametrize("value", [0, -1, "1MB"])
def test_the_limit_must_be_a_positive_number_of_bytes(value):
    with pytest.raises(ConfigError, match="max_document_bytes"):
        LocalSource({"path": "t.jsonl", "max_document_bytes": value})
