"""The gutenberg adapter on PG's real catalog records and texts, plus fixtures the tests write."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.source import Checkpoint, Skipped, SourceDocument
from sources import gutenberg_catalog
from sources.gutenberg import GutenbergSource
from sources.gutenberg_text import clean, decode
from tests.conftest import shared_path

PD_US = "Public domain in the USA."
HEADER_2021 = (
    "The Project Gutenberg eBook of {title}\r\n\r\nThis ebook is for the use of anyone anywhere"
    " in the United States.\r\n\r\n*** START OF THE PROJECT GUTENBERG EBOOK {title} ***\r\n\r\n"
)
FOOTER_2021 = (
    "\r\n\r\n*** END OF THE PROJECT GUTENBERG EBOOK {title} ***\r\n\r\nSTART: FULL LICENSE\r\n"
    "THE FULL PROJECT GUTENBERG LICENSE\r\nProject Gutenberg-tm electronic works\r\n"
)


def rdf(number: str, rights: str = PD_US, kind: str = "Text", title: str = "A Book") -> str:
    """A minimal catalog RDF in PG's 2009 pgterms vocabulary."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:dcterms="http://purl.org/dc/terms/"
  xmlns:pgterms="http://www.gutenberg.org/2009/pgterms/"
  xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <pgterms:ebook rdf:about="ebooks/{number}">
    <dcterms:title>{title}</dcterms:title>
    <dcterms:rights>{rights}</dcterms:rights>
    <dcterms:language><rdf:Description><rdf:value>en</rdf:value></rdf:Description>
    </dcterms:language>
    <dcterms:type><rdf:Description><rdf:value>{kind}</rdf:value></rdf:Description></dcterms:type>
  </pgterms:ebook>
</rdf:RDF>
"""


def book(root: Path, number: str, body: bytes | None, record: str | None = None) -> None:
    """Write `<root>/cat/pg<N>.rdf` and, if given, the text `<root>/mirror/<N>/<N>-0.txt`."""
    (root / "cat").mkdir(exist_ok=True)
    (root / "cat" / f"pg{number}.rdf").write_text(record or rdf(number), encoding="utf-8")
    if body is not None:
        (root / "mirror" / number).mkdir(parents=True, exist_ok=True)
        (root / "mirror" / number / f"{number}-0.txt").write_bytes(body)


def pg_text(body: str, title: str = "A BOOK", encoding: str = "utf-8") -> bytes:
    text = HEADER_2021.format(title=title) + body + FOOTER_2021.format(title=title)
    return text.encode(encoding)


def run(config: dict, fetch: Fetcher | None = None) -> dict[str, SourceDocument | Skipped]:
    items = GutenbergSource(config).documents(fetch or Fetcher())
    return {i.source_key: i for i in items if not isinstance(i, Checkpoint)}


@pytest.fixture(scope="module")
def samples() -> dict[str, SourceDocument | Skipped]:
    root = str(shared_path("gutenberg"))
    return run({"catalog": root, "mirror": root})


# -- the real samples -------------------------------------------------------------------------
def test_real_catalog_yields_books_with_text_and_skips_rdf_only_ones(samples):
    docs = sorted(k for k, v in samples.items() if isinstance(v, SourceDocument))
    assert docs == ["1012", "17489", "2701"]
    missing = {k: v.reason for k, v in samples.items() if isinstance(v, Skipped)}
    assert missing == {"23962": "text_missing", "30929": "text_missing", "50405": "text_missing"}


def test_evidence_is_the_verbatim_rights_statement_limited_to_the_us(samples):
    moby = samples["2701"]
    [evidence] = moby.evidence
    assert evidence.statement == PD_US
    assert evidence.locator.startswith("file://")
    assert evidence.locator.endswith("/2701/pg2701.rdf#dcterms:rights")
    assert (evidence.kind, evidence.jurisdiction) == ("item", "US")
    assert moby.url == "https://www.gutenberg.org/ebooks/2701"
    assert (moby.title, moby.creator) == ("Moby Dick; Or, The Whale", "Melville, Herman")
    assert (moby.date, moby.language_hint) == ("2001-07-01", "en")


def test_moby_dick_uses_the_pg_named_2021_edition_of_the_two_variants(samples):
    text = samples["2701"].text
    assert text.startswith("MOBY-DICK;\n\nor, THE WHALE.")  # pg2701_modern-header.txt (cp1252)
    assert "Call me Ishmael." in text and "\u2019" in text  # cp1252 0x92 → ’
    assert text.endswith("only found another orphan.")
    other = shared_path("gutenberg", "2701", "2701_raw_c-w-fixture.txt").read_bytes()
    older = clean(other).text  # the 2010s-header variant, a near-duplicate left unread
    assert older.startswith("MOBY DICK; OR THE WHALE") and older.endswith("another\norphan.")
    assert "PROJECT GUTENBERG" not in older and "\r" not in older


def test_latin1_french_and_bom_utf8_italian_are_decoded(samples):
    french, italian = samples["17489"].text, samples["1012"].text
    assert french.startswith("Victor Hugo\n\nLES MISÉRABLES")
    assert french.endswith("Sa tombe ressembla à son lit.")
    assert samples["17489"].language_hint == "fr"
    assert italian.startswith("LA DIVINA COMMEDIA\n  di Dante Alighieri")
    assert "Nel mezzo del cammin di nostra vita" in italian and "è" in italian
    for doc in (samples["17489"], samples["1012"], samples["2701"]):
        assert "\r" not in doc.text and "\ufeff" not in doc.text
        assert not any("\x80" <= ch <= "\x9f" for ch in doc.text), doc.source_key


def test_no_header_or_licence_boilerplate_remains(samples):
    for key in ("1012", "17489", "2701"):
        text = samples[key].text
        for phrase in (
            "PROJECT GUTENBERG",
            "Project Gutenberg-tm",
            "Project Gutenberg™",
            "FULL LICENSE",
            "gutenberg.org",
            "This file should be named",
        ):
            assert phrase not in text, f"{key}: {phrase!r} left in"


def test_frankenstein_cp1252_with_an_indented_2021_end_marker(tmp_path):
    (tmp_path / "pg84.rdf").write_text(rdf("84"), encoding="utf-8")
    mirror = str(shared_path("gutenberg"))
    doc = run({"catalog": str(tmp_path / "pg84.rdf"), "mirror": mirror})["84"]
    assert doc.text.startswith("Frankenstein;\n\nor, the Modern Prometheus")
    assert doc.text.endswith("lost in darkness and distance.")
    assert "\u201c" in doc.text and "\u201d" in doc.text and "\u2014" in doc.text
    assert "Project Gutenberg" not in doc.text


@pytest.mark.parametrize("number", ["10089", "33956"])
def test_close_to_the_c_w_gutenberg_reference(tmp_path, number):
    (tmp_path / f"pg{number}.rdf").write_text(rdf(number), encoding="utf-8")
    folder = shared_path("gutenberg", number)
    ours = run({"catalog": str(tmp_path), "mirror": str(folder.parent)})[number].text
    reference = (folder / f"{number}_clean_by_c-w-strip_headers.txt").read_text("utf-8")
    reference = reference.replace("\r\n", "\n").strip()
    assert ours == reference  # c-w/gutenberg's strip_headers output, CRLF → LF, trimmed


# -- catalog variants -------------------------------------------------------------------------
def test_catalog_csv_gives_metadata_and_collection_evidence(tmp_path):
    catalog = shared_path("gutenberg", "pg_catalog_excerpt_rows1-29.csv")
    (tmp_path / "11").mkdir()
    (tmp_path / "11" / "pg11.txt").write_bytes(pg_text("Alice was beginning to get very tired."))
    items = run({"catalog": str(catalog), "mirror": str(tmp_path)})
    alice = items.pop("11")
    assert alice.text == "Alice was beginning to get very tired."
    assert (alice.title, alice.creator) == (
        "Alice's Adventures in Wonderland",
        "Carroll, Lewis, 1832-1898",
    )
    assert (alice.date, alice.language_hint) == ("2008-06-27", "en")
    [evidence] = alice.evidence
    assert evidence.statement == gutenberg_catalog.COLLECTION_STATEMENT
    assert (evidence.kind, evidence.jurisdiction) == ("collection", "US")
    assert evidence.locator == "https://www.gutenberg.org/policy/license.html"
    assert len(items) == 28 and {i.reason for i in items.values()} == {"text_missing"}


def test_csv_rows_that_are_not_texts_or_not_numbered_are_skipped(tmp_path):
    catalog = tmp_path / "pg_catalog.csv"
    catalog.write_text(
        "Text#,Type,Issued,Title,Language,Authors\n"
        "9001,Sound,2004-01-01,An audio book,en,\nabc,Text,,Broken,en,\n",
        encoding="utf-8",
    )
    items = run({"catalog": str(catalog), "mirror": str(tmp_path)})
    assert items["9001"].reason == "not_text" and "Sound" in items["9001"].detail
    assert items["#line:3"].reason == "malformed_metadata"
    assert items["#line:3"].detail.endswith("#line=3: Text# 'abc' is not an ebook number")


def test_a_csv_that_is_not_the_pg_catalog_is_a_clear_error(tmp_path):
    (tmp_path / "other.csv").write_text("id,name\n1,x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="Text# column"):
        run({"catalog": str(tmp_path / "other.csv"), "mirror": str(tmp_path)})


def test_copyrighted_rights_are_skipped_with_the_statement(tmp_path):
    statement = "Copyrighted. Read the copyright notice inside this book for details."
    book(tmp_path, "7", pg_text("In copyright."), rdf("7", rights=statement))
    skipped = run({"catalog": str(tmp_path / "cat"), "mirror": str(tmp_path / "mirror")})["7"]
    assert (skipped.reason, skipped.detail) == ("copyrighted", statement)


def test_malformed_or_foreign_rdf_is_skipped(tmp_path):
    book(tmp_path, "5", b"text", rdf("5")[:300])
    book(
        tmp_path, "6", b"text", "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'/>"
    )
    book(tmp_path, "8", b"text", '<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    items = run({"catalog": str(tmp_path / "cat"), "mirror": str(tmp_path / "mirror")})
    assert {k: v.reason for k, v in items.items()} == dict.fromkeys("568", "malformed_metadata")
    assert "not well-formed" in items["5"].detail and "pg5.rdf" in items["5"].detail
    assert "pgterms:ebook" in items["6"].detail


def test_non_text_type_books_and_limit_resume_filters(tmp_path):
    book(tmp_path, "3", pg_text("Three."))
    book(tmp_path, "20", None, rdf("20", kind="Sound"))
    book(tmp_path, "100", pg_text("A hundred."))
    config = {"catalog": str(tmp_path / "cat"), "mirror": str(tmp_path / "mirror")}
    items = list(GutenbergSource(config).documents(Fetcher()))
    assert [(i.source_key, type(i).__name__) for i in items] == [
        ("3", "SourceDocument"),
        ("20", "Skipped"),
        ("100", "SourceDocument"),
    ]
    assert items[1].reason == "not_text"
    limited = list(GutenbergSource(config).documents(Fetcher(), limit=1))
    assert [i.source_key for i in limited] == ["3"]
    resumed = list(GutenbergSource(config).documents(Fetcher(), resume="20"))
    assert [i.source_key for i in resumed] == ["100"]
    only = list(GutenbergSource({**config, "books": ["100"]}).documents(Fetcher()))
    assert [i.source_key for i in only] == ["100"]


def test_config_errors_say_what_to_give():
    with pytest.raises(ValueError, match=r"^gutenberg: catalog: required: a folder of RDFs"):
        GutenbergSource({"mirror": "m"})
    with pytest.raises(ValueError, match=r"books\[0\]: 'moby' is not an ebook number"):
        GutenbergSource({"catalog": "c", "mirror": "m", "books": ["moby"]})


# -- texts: eras, encodings, failures ---------------------------------------------------------
def test_wrongly_declared_and_truncated_encodings_still_decode():
    latin1 = "Character set encoding: UTF-8\r\n\r\nLes misérables".encode("latin-1")
    assert clean(latin1).text.endswith("Les misérables")
    truncated = "Dante è qui".encode()[:-1] + "è".encode()[:1]
    assert decode(truncated) == ("Dante è qu", "utf-8")
    assert decode("“quoted”".encode("cp1252")) == ("\u201cquoted\u201d", "cp1252")
    assert decode(b"\x81 stray") == ("\x81 stray", "latin-1")  # 0x81 is undefined in cp1252


def test_text_failures_are_reasoned_skips(tmp_path):
    book(tmp_path, "1", b"PK\x03\x04\x00\x00 a zip file")
    book(tmp_path, "2", pg_text("   \r\n"))
    book(tmp_path, "3", b"   \r\n")
    book(tmp_path, "4", b"A Project Gutenberg text with a header we do not know.")
    book(tmp_path, "9", pg_text("x").replace(b"START OF THE", b"START OF THE COPYRIGHTED"))
    items = run({"catalog": str(tmp_path / "cat"), "mirror": str(tmp_path / "mirror")})
    reasons = {k: v.reason for k, v in items.items()}
    assert reasons == {
        "1": "undecodable_text",
        "2": "boilerplate_only",
        "3": "empty_text",
        "4": "boilerplate_unrecognised",
        "9": "copyrighted",
    }


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        """Keep the test output clean."""


class BrokenHandler(QuietHandler):
    def do_GET(self) -> None:
        self.send_error(503, "down for maintenance")


def serve(handler_class, folder: Path) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(handler_class, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


@pytest.mark.parametrize("handler", [QuietHandler, BrokenHandler])
def test_text_from_an_http_mirror(tmp_path, handler):
    """A 404 moves on to PG's next usual name; a server failure is a retryable skip."""
    book(tmp_path, "55", None)
    (tmp_path / "mirror" / "55").mkdir(parents=True)
    (tmp_path / "mirror" / "55" / "55-8.txt").write_bytes(pg_text("Café.", encoding="latin-1"))
    server = serve(handler, tmp_path / "mirror")
    try:
        mirror = f"http://127.0.0.1:{server.server_port}"
        config = {"catalog": str(tmp_path / "cat"), "mirror": mirror, "books": [55]}
        fetch = Fetcher(min_interval=0, max_attempts=1, respect_robots=False)
        item = run(config, fetch)["55"]
    finally:
        server.shutdown()
        server.server_close()
    if handler is QuietHandler:
        assert item.text == "Café."
    else:
        assert (item.reason, "HTTP 503" in item.detail) == ("fetch_failed", True)


def test_jurisdiction_is_recorded_only_for_a_us_limited_statement():
    record = rdf("42", rights="Public domain worldwide.").encode()
    [evidence] = gutenberg_catalog.parse_rdf(record, "file:///cat/pg42.rdf").evidence
    assert (evidence.statement, evidence.jurisdiction) == ("Public domain worldwide.", None)
    assert evidence.locator == "file:///cat/pg42.rdf#dcterms:rights"
