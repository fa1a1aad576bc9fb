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

Config: ``catalog`` — a folder of RDFs (``pg<N>.rdf``, searched recursively), one RDF, or the CSV
(``gutenberg_catalog`` reads both);
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

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from corpusbuilder.ingest.fetch import Fetcher, FetchError, TooLarge
from corpusbuilder.ingest.records import TOO_LARGE, too_large
from corpusbuilder.options import SourceOptions, checked
from corpusbuilder.source import (
    Checkpoint,
    Item,
    Skipped,
    SourceAdapter,
    SourceDocument,
    limited,
)
from sources.gutenberg_catalog import Book, rdf_number, read_csv, read_rdf
from sources.gutenberg_text import Cleaned, clean

TEXT_NAMES = ("{n}-0.txt", "pg{n}.txt", "{n}-8.txt", "{n}.txt")
CHECKPOINT_EVERY = 100


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
            yield from read_csv(fetch, location, self.config["max_document_bytes"])
        elif fetch.is_local(location) and fetch.path_for(location).is_dir():
            files = [f for f in fetch.list_dir(location) if f.lower().endswith(".rdf")]
            numbered = sorted((int(rdf_number(f) or -1), f) for f in files)
            for _, path in numbered:
                if not self._unwanted(rdf_number(path)):
                    yield read_rdf(fetch, path)
        else:
            yield read_rdf(fetch, location)

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
