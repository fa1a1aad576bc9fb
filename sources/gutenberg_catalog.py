"""Project Gutenberg's catalog: per-book RDF records and ``pg_catalog.csv`` rows, as `Book`s.

An RDF carries the book's ``dcterms:rights`` statement, recorded verbatim as item evidence; the
CSV has no rights column, so its books carry the collection statement of PG's licence (1.C).
A record that cannot be read is a `Skipped`, never an error that stops the catalog: an RDF
that is not well-formed or not an ebook record is ``malformed_metadata`` keyed by its ebook
number; a CSV row that cannot be read (a field over csv's 128 KB limit, a ``Text#`` that is no
ebook number) is ``malformed_metadata`` keyed by its first line, ``#line:N``, and a line over
the document limit a ``too_large`` one, never read whole; the rows after it are read.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.ingest.records import TOO_LARGE, position_key, too_large
from corpusbuilder.source import LicenceEvidence, Skipped

RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
DCT = "{http://purl.org/dc/terms/}"
PGT = "{http://www.gutenberg.org/2009/pgterms/}"
LICENSE_URL = "https://www.gutenberg.org/policy/license.html"
COLLECTION_STATEMENT = (
    "Nearly all the individual works in the collection are in the public domain in the United"
    " States."
)
NOT_UTF8 = re.compile("[\udc80-\udcff]")  # bytes kept by errors="surrogateescape"
MAX_EBOOK_DIGITS = 9  # PG's numbers have 5 digits; more is a broken row, not a book


class MalformedMetadata(ValueError):
    """A catalog record that cannot be read."""


@dataclass(frozen=True)
class Book:
    """What the catalog says about one ebook."""

    number: str
    evidence: tuple[LicenceEvidence, ...]
    title: str | None = None
    creator: str | None = None
    date: str | None = None
    language: str | None = None
    kind: str | None = None  # "Text", "Sound", …
    charsets: dict[str, str] = field(default_factory=dict)  # text file → declared charset or ""


def _one_line(value: str | None) -> str | None:
    return " ".join(value.split()) if value and value.strip() else None


def parse_rdf(data: bytes, locator: str) -> Book:
    """A `Book` from a PG catalog RDF read at `locator`; MalformedMetadata says what is wrong."""
    try:
        root = SafeET.fromstring(data)
    except (SafeET.ParseError, DefusedXmlException, LookupError) as exc:  # Lookup: encoding
        raise MalformedMetadata(f"{locator}: not well-formed RDF/XML ({exc})") from exc
    ebook = root.find(f"{PGT}ebook")
    about = (
        re.fullmatch(r"ebooks/([0-9]{1,9})", ebook.get(f"{RDF}about", ""))
        if ebook is not None
        else None
    )
    if ebook is None or about is None:
        raise MalformedMetadata(f"{locator}: no <pgterms:ebook rdf:about='ebooks/N'>")
    rights = [e.text for e in ebook.findall(f"{DCT}rights") if e.text and e.text.strip()]
    where = f"{locator}#dcterms:rights"
    value = f"{RDF}Description/{RDF}value"
    agents = ebook.findall(f"{DCT}creator/{PGT}agent")  # not translators or illustrators
    creators = [_one_line(a.findtext(f"{PGT}name")) for a in agents]
    return Book(
        number=about.group(1),
        evidence=tuple(LicenceEvidence(r, where, "item", jurisdiction=_us(r)) for r in rights),
        title=_one_line(ebook.findtext(f"{DCT}title")),
        creator="; ".join(c for c in creators if c) or None,
        date=_one_line(ebook.findtext(f"{DCT}issued")),
        language=_one_line(ebook.findtext(f"{DCT}language/{value}")),
        kind=_one_line(ebook.findtext(f"{DCT}type/{value}")),
        charsets=_charsets(ebook),
    )


def read_rdf(fetch: Fetcher, location: str) -> Book | Skipped:
    """The `Book` of the RDF at `location`, or a ``malformed_metadata`` skip saying why not."""
    try:
        return parse_rdf(fetch.read_bytes(location), fetch.url_for(location))
    except MalformedMetadata as exc:
        key = rdf_number(location) or PurePosixPath(location).name
        return Skipped(key, "malformed_metadata", str(exc))


def rdf_number(location: str) -> str | None:
    """The ebook number an RDF's file name gives (``pg2701.rdf`` → 2701), if any."""
    match = re.search(r"(\d+)\.rdf$", location, re.IGNORECASE)
    return match.group(1) if match else None


def _us(statement: str) -> str | None:
    """The jurisdiction "US" when the statement limits itself to the USA ("… in the USA.")."""
    return "US" if re.search(r"\b(USA\b|U\.S\.|United States\b)", statement) else None


def _charsets(ebook: Any) -> dict[str, str]:
    """File name → declared charset ("" if none) of the plain-text files the RDF lists."""
    found = {}
    for item in ebook.iter(f"{PGT}file"):
        name = PurePosixPath(item.get(f"{RDF}about", "")).name
        for fmt in item.iter(f"{RDF}value"):
            match = re.match(r"text/plain(;\s*charset=([\w.:-]+))?", fmt.text or "")
            if match and name.endswith(".txt"):
                found[name] = (match.group(2) or "").lower()
    return found


def _csv_book(row: dict[str, str | None]) -> Book:
    number = (row.get("Text#") or "").strip()
    if any(NOT_UTF8.search(value) for value in row.values() if isinstance(value, str)):
        raise MalformedMetadata("the row is not UTF-8; PG's pg_catalog.csv is UTF-8")
    if len(number) > MAX_EBOOK_DIGITS:
        raise MalformedMetadata(f"Text# has {len(number)} characters, not an ebook number")
    if not (number.isascii() and number.isdigit()):
        raise MalformedMetadata(f"Text# {number!r} is not an ebook number")
    evidence = LicenceEvidence(
        COLLECTION_STATEMENT, LICENSE_URL, kind="collection", jurisdiction="US"
    )
    language = (row.get("Language") or "").split(";")[0]
    return Book(
        number=number,
        evidence=(evidence,),
        title=_one_line(row.get("Title")),
        creator=_one_line(row.get("Authors")),
        date=_one_line(row.get("Issued")),
        language=_one_line(language),
        kind=_one_line(row.get("Type")),
    )


def read_csv(fetch: Fetcher, location: str, limit: int) -> Iterator[Book | Skipped]:
    """Each row of PG's ``pg_catalog.csv`` as a Book; a row that cannot be read (a field over
    csv's 128 KB limit, a bad Text#) is a `malformed_metadata` skip keyed by its first line, a
    line over `limit` characters a `too_large` one, and reading goes on."""
    where = fetch.url_for(location)
    with fetch.open(location) as stream:
        text = io.TextIOWrapper(stream, "utf-8-sig", errors="surrogateescape", newline="")
        lines = _Lines(text, limit)
        rows = csv.DictReader(lines)  # a byte that is not UTF-8 fails its row, not the file
        try:
            header = rows.fieldnames or []
        except (csv.Error, LineTooLong):
            header = []
        if "Text#" not in header:
            raise ValueError(f"{location} has no Text# column; give PG's pg_catalog.csv")
        while True:
            line = lines.number + 1
            try:
                yield _csv_book(next(rows))
            except StopIteration:
                return
            except (csv.Error, MalformedMetadata) as exc:  # csv drops the rest of the line
                detail = f"{where}#line={line}: {exc}"
                yield Skipped(position_key("line", line), "malformed_metadata", detail)
            except LineTooLong as exc:
                detail = too_large(f"{where}#line={lines.number}", limit, str(exc))
                yield Skipped(position_key("line", lines.number), TOO_LARGE, detail)


class LineTooLong(Exception):
    """A catalog line over the limit; the message says its length."""


class _Lines:
    """The physical lines of a text stream for `csv`, none read past `limit` characters: a
    longer one is read on in chunks, dropped, and raises `LineTooLong` once; the next call goes
    on with the line after it. `number` is the last line read."""

    def __init__(self, text: io.TextIOBase, limit: int) -> None:
        self.text, self.limit, self.number = text, limit, 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.text.readline(self.limit + 1)
        if not line:
            raise StopIteration
        self.number += 1
        if len(line) <= self.limit or line.endswith("\n"):
            return line
        size = len(line)
        while line and not line.endswith("\n"):
            line = self.text.readline(1 << 20)
            size += len(line)
        raise LineTooLong(f"the line has {size} characters")
