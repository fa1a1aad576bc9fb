"""Project Gutenberg: catalog metadata (per-book RDF or ``pg_catalog.csv``), texts from a mirror.

Licence rationale. Project Gutenberg states on every book's catalog record, in ``dcterms:rights``,
"Public domain in the USA." That claim is territorial, so the statement is recorded verbatim as
item evidence with ``jurisdiction="US"``; whether a US-only public-domain claim is enough is the
corpus policy's decision (``licences.yaml``), not this adapter's. The Full Project Gutenberg
License (https://www.gutenberg.org/policy/license.html, appended to every eBook) says in 1.C:
"Nearly all the individual works in the collection are in the public domain in the United
States. If an individual work is unprotected by copyright law in the United States and you are
located in the United States, we do not claim a right to prevent you from copying, distributing,
performing, displaying or creating derivative works based on the work as long as all references
to Project Gutenberg are removed." Hence the header and footer are stripped
(``gutenberg_text``), and 1.D: "The Foundation makes no representations concerning the copyright
status of any work in any country other than the United States."

Books whose rights read "Copyrighted…" (PG publishes a few with the holder's permission), or
whose text opens with ``*** START OF THE COPYRIGHTED PROJECT GUTENBERG EBOOK``, are skipped as
``copyrighted`` with the statement in the detail: PG itself marks them, so this is a catalog fact,
not a licence judgement. ``pg_catalog.csv`` has no rights column; its books carry the 1.C sentence
above as ``collection`` evidence, which a policy may refuse to accept alone — prefer the RDFs.

Config: ``catalog`` — a folder of RDFs (``pg<N>.rdf``, searched recursively), one RDF, or the CSV;
``mirror`` — a folder or URL holding ``<N>/<text>.txt``; ``books`` — optional list of ebook numbers.
In a folder the text is the first of ``<N>-0.txt`` (UTF-8), ``pg<N>.txt``, ``<N>-8.txt``
(Latin-1), ``<N>.txt``, then other ``pg<N>*.txt``, ``<N>*.txt``, ``*.txt`` (by name) that carries
PG's markers; a file without markers is used only when no candidate has them. A text over
``max_document_bytes`` is a ``too_large`` skip, read no further than the limit. From a URL only
PG's usual names are tried (those the RDF lists, if any). RDF folders are read in ascending
ebook number, the CSV in its own (ascending) order; ``resume`` is the last number completed.
A CSV row that cannot be read (a field over csv's 128 KB limit, a ``Text#`` that is no ebook
number) is a ``malformed_metadata`` skip keyed by its first line, ``#line:N``; a line over
``max_document_bytes`` is a ``too_large`` one, never read whole; the rows after it are read.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from pydantic import AfterValidator, Field

from corpusbuilder.ingest.fetch import Fetcher, FetchError, TooLarge
from corpusbuilder.ingest.records import TOO_LARGE, position_key, too_large
from corpusbuilder.options import SourceOptions, checked
from corpusbuilder.source import (
    Checkpoint,
    Item,
    LicenceEvidence,
    Skipped,
    SourceAdapter,
    SourceDocument,
    limited,
)
from sources.gutenberg_text import Cleaned, clean

RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
DCT = "{http://purl.org/dc/terms/}"
PGT = "{http://www.gutenberg.org/2009/pgterms/}"
LICENSE_URL = "https://www.gutenberg.org/policy/license.html"
COLLECTION_STATEMENT = (
    "Nearly all the individual works in the collection are in the public domain in the United"
    " States."
)
TEXT_NAMES = ("{n}-0.txt", "pg{n}.txt", "{n}-8.txt", "{n}.txt")
CHECKPOINT_EVERY = 100
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


def _ebook(value: int | str) -> int:
    if isinstance(value, str) and not value.strip().isdigit():
        raise ValueError(f"{value!r} is not an ebook number; books lists ebook numbers like 1342")
    return int(value)


class GutenbergSource(SourceAdapter):
    name = "gutenberg"
    version = "1.0.0"
    text_edits = "the Project Gutenberg header, licence and footer removed"

    class Options(SourceOptions):
        catalog: str = Field(
            min_length=1, description="a folder of RDFs (pgN.rdf), one RDF, or pg_catalog.csv"
        )
        mirror: str = Field(
            min_length=1, description="the folder or URL holding N/N-0.txt and the like"
        )
        books: list[Annotated[int | str, AfterValidator(_ebook)]] | None = Field(
            None, description="only these ebook numbers (default: every book of the catalog)"
        )

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        super().__init__(checked(self, config))
        books = self.config["books"]
        self.books = {str(b) for b in books} if books is not None else None

    def documents(
        self, fetch: Fetcher, limit: int | None = None, resume: str | None = None
    ) -> Iterator[Item]:
        yield from limited(self._entries(fetch, resume), limit)

    def _entries(self, fetch: Fetcher, resume: str | None) -> Iterator[Item]:
        seen = 0
        for entry in self._catalog(fetch):
            number = entry.number if isinstance(entry, Book) else entry.source_key
            if _done(number, resume) or self._unwanted(number):
                continue
            item = self._item(fetch, entry) if isinstance(entry, Book) else entry
            seen += 1
            yield item
            if seen % CHECKPOINT_EVERY == 0 and number.isdigit():
                yield Checkpoint(number)

    def _unwanted(self, number: str | None) -> bool:
        return self.books is not None and number is not None and number not in self.books

    # -- catalog ---------------------------------------------------------------------------
    def _catalog(self, fetch: Fetcher) -> Iterator[Book | Skipped]:
        location = str(self.config["catalog"])
        if location.lower().endswith(".csv"):
            yield from self._csv(fetch, location)
        elif fetch.is_local(location) and fetch.path_for(location).is_dir():
            files = [f for f in fetch.list_dir(location) if f.lower().endswith(".rdf")]
            numbered = sorted((int(_rdf_number(f) or -1), f) for f in files)
            for _, path in numbered:
                if not self._unwanted(_rdf_number(path)):
                    yield self._rdf(fetch, path)
        else:
            yield self._rdf(fetch, location)

    @staticmethod
    def _rdf(fetch: Fetcher, location: str) -> Book | Skipped:
        try:
            return parse_rdf(fetch.read_bytes(location), fetch.url_for(location))
        except MalformedMetadata as exc:
            key = _rdf_number(location) or PurePosixPath(location).name
            return Skipped(key, "malformed_metadata", str(exc))

    def _csv(self, fetch: Fetcher, location: str) -> Iterator[Book | Skipped]:
        """Each row as a Book; a row that cannot be read (a field over csv's 128 KB limit, a
        bad Text#) is a `malformed_metadata` skip keyed by its first line, a line over
        `max_document_bytes` a `too_large` one, and reading goes on."""
        where, limit = fetch.url_for(location), self.config["max_document_bytes"]
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

    # -- texts -----------------------------------------------------------------------------
    def _item(self, fetch: Fetcher, book: Book) -> Item:
        number = book.number
        if book.kind and book.kind.lower() != "text":
            return Skipped(number, "not_text", f"catalog type is {book.kind!r}")
        for evidence in book.evidence:
            if evidence.statement.strip().lower().startswith("copyrighted"):
                return Skipped(number, "copyrighted", evidence.statement)
        found = self._text(fetch, book)
        if isinstance(found, Skipped):
            return found
        location, text = found
        reason = _text_problem(text)
        if reason:
            return Skipped(number, reason[0], f"{location}: {reason[1]}")
        return SourceDocument(
            source_key=number,
            text=text.text,
            url=f"https://www.gutenberg.org/ebooks/{number}",
            evidence=book.evidence,
            title=book.title,
            creator=book.creator,
            date=book.date,
            language_hint=book.language,
        )

    def _text(self, fetch: Fetcher, book: Book) -> tuple[str, Cleaned] | Skipped:
        """The first candidate with PG markers, else the first readable one."""
        found: list[tuple[str, Cleaned | None]] = []
        limit = self.config["max_document_bytes"]
        for location in self._candidates(fetch, book):
            try:
                data = fetch.read_bytes(location, max_bytes=limit)
            except TooLarge as exc:  # read no further: every candidate is the same book
                return Skipped(
                    book.number, TOO_LARGE, too_large(location, limit, f"it has {exc.size}")
                )
            except FetchError as exc:
                if fetch.is_local(location) or exc.status in (404, 410):
                    continue
                return Skipped(book.number, "fetch_failed", f"{exc}; run again to retry")
            text = clean(data, book.charsets.get(PurePosixPath(location).name) or None)
            if text is not None and text.marked:
                return location, text
            found.append((location, text))
        readable = [(where, text) for where, text in found if text is not None]
        if readable:
            return readable[0]
        if found:
            return Skipped(book.number, "undecodable_text", f"{found[0][0]}: binary (NUL bytes)")
        mirror = self.config["mirror"]
        return Skipped(book.number, "text_missing", f"no text for {book.number} under {mirror}")

    def _candidates(self, fetch: Fetcher, book: Book) -> list[str]:
        """Text locations to try, best first: listed (local) or PG's usual names (remote)."""
        number = book.number
        folder = f"{str(self.config['mirror']).rstrip('/')}/{number}"
        names = [pattern.format(n=number) for pattern in TEXT_NAMES]
        if not fetch.is_local(folder):
            listed = [name for name in names if name in book.charsets]
            return [f"{folder}/{name}" for name in listed or names]
        try:
            files = [Path(f) for f in fetch.list_dir(folder)]
        except FetchError:
            return []
        root = fetch.path_for(folder)
        texts = [f.name for f in files if f.suffix.lower() == ".txt" and f.parent == root]

        def rank(name: str) -> tuple[int, str]:
            if name in names:
                return names.index(name), name
            prefixes = (f"pg{number}", number)
            hit = next((i for i, p in enumerate(prefixes) if name.startswith(p)), 2)
            return len(names) + hit, name

        return [str(root / name) for name in sorted(texts, key=rank)]


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


def _rdf_number(location: str) -> str | None:
    match = re.search(r"(\d+)\.rdf$", location, re.IGNORECASE)
    return match.group(1) if match else None


def _done(number: str, resume: str | None) -> bool:
    """Whether `number` was completed before the checkpoint `resume`."""
    return bool(resume and resume.isdigit() and number.isdigit() and int(number) <= int(resume))


def _text_problem(text: Cleaned) -> tuple[str, str] | None:
    """(reason, detail) when a decoded text cannot be yielded."""
    if text.copyrighted:
        return "copyrighted", "header: *** START OF THE COPYRIGHTED PROJECT GUTENBERG EBOOK"
    if not text.marked and "project gutenberg" in text.text.lower():
        return "boilerplate_unrecognised", "mentions Project Gutenberg but has no known markers"
    if text.mostly_boilerplate:
        left = f"{text.boilerplate:.0%} PG notices in what is" if text.text else "nothing"
        return "boilerplate_only", f"{left} left after removing PG's header and footer"
    if not text.text.strip():
        return "empty_text", f"the file holds no text and no PG markers ({text.encoding})"
    return None
