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
(``gutenberg_catalog`` reads both); ``mirror`` — a folder or URL holding ``<N>/<text>.txt``;
``books`` — optional list of ebook numbers. In a folder the text is the first of ``<N>-0.txt``
(UTF-8), ``pg<N>.txt``, ``<N>-8.txt`` (Latin-1), ``<N>.txt``, then other ``pg<N>*.txt``,
``<N>*.txt``, ``*.txt`` (by name) that carries PG's markers; a file without markers is used only
when no candidate has them. A text over ``max_document_bytes`` is a ``too_large`` skip, read no
further than the limit. From a URL only PG's usual names are tried (those the RDF lists, if any).
RDF folders are read in ascending ebook number, the CSV in its own (ascending) order; a
checkpoint every 100 books holds the last number completed.

Partitions. ``slice_size: N`` cuts the catalog into slices of ebook numbers — ``0-999``,
``1000-1999``, … for 1000 — each a partition with its own checkpoint. Only the slices that hold a
catalog record are listed, and their names come from the numbers, never from how many books were
found, so a checkpoint names the same slices however the catalog grows. A record filed under no
number (a CSV row whose ``Text#`` cannot be read, an RDF not named ``pg<N>.rdf``) goes with slice
``0-…``; an RDF is filed under its file name's number, read before the file is parsed. Each
slice reads the catalog again (a folder is listed again and only its slice's RDFs are parsed; the
CSV is read through). A ``slice_size`` that cuts the catalog into more than 1000 slices is
refused before any book is read: each checkpoint names the slices done. Without ``slice_size``
the catalog is one partition, and its checkpoint is the last number completed, as before
partitions existed.

Texts. From a local mirror, finding, reading, decoding and stripping a book's text — the costly
part of a book — runs in the engine's workers (`_Texts` in an `Unparsed` record); the driver parses
the catalog and decides the skips it alone gives (``not_text``, ``copyrighted``). From a URL the
driver reads the texts itself, so that one fetcher keeps the host's pace (robots.txt, the
interval between requests), which workers with fetchers of their own would multiply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from corpusbuilder.ingest.fetch import Fetcher, FetchError, TooLarge
from corpusbuilder.ingest.partitions import MAX_PARTITIONS, PartitionedSource
from corpusbuilder.ingest.records import TOO_LARGE, too_large
from corpusbuilder.options import SourceOptions, checked
from corpusbuilder.source import Checkpoint, Item, Skipped, SourceDocument, Unparsed
from sources.gutenberg_catalog import Book, rdf_number, read_csv, read_rdf
from sources.gutenberg_text import Cleaned, clean

TEXT_NAMES = ("{n}-0.txt", "pg{n}.txt", "{n}-8.txt", "{n}.txt")
CHECKPOINT_EVERY = 100
WHOLE = "all"  # the one partition of a catalog that is not sliced


def _ebook(value: int | str) -> int:
    if isinstance(value, str) and not value.strip().isdigit():
        raise ValueError(f"{value!r} is not an ebook number; books lists ebook numbers like 1342")
    return int(value)


class GutenbergSource(PartitionedSource):
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
        slice_size: int | None = Field(
            None,
            ge=1,
            description="ebook numbers per partition: 1000 gives 0-999, 1000-1999, …, each"
            " resumed alone (default: the whole catalog, one partition)",
        )

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        super().__init__(checked(self, config))
        books = self.config["books"]
        self.books = {str(b) for b in books} if books is not None else None

    def partitions(self, fetch: Fetcher) -> list[str]:
        """The slices that hold a wanted catalog record, named by their ebook numbers."""
        size = self.config["slice_size"]
        if size is None:
            return [WHOLE]
        starts = {int(number or 0) // size * size for number, _ in self._filed(fetch)}
        if len(starts) > MAX_PARTITIONS:
            raise ValueError(
                f"slice_size {size} cuts the catalog into {len(starts)} slices, and a source has"
                f" at most {MAX_PARTITIONS} partitions (each checkpoint names those done): take a"
                " larger slice_size"
            )
        return [f"{start}-{start + size - 1}" for start in sorted(starts)]

    def read(self, fetch: Fetcher, partition: str, resume: str | None) -> Iterator[Item | Unparsed]:
        """The books of slice `partition` after ebook number `resume`; texts from a local
        mirror are left to the workers."""
        within, seen = _within(partition), 0
        texts = _Texts(str(self.config["mirror"]), self.config["max_document_bytes"], fetch)
        for filed, record in self._filed(fetch):
            if not within(filed):
                continue
            entry = read_rdf(fetch, record) if isinstance(record, str) else record
            number = entry.number if isinstance(entry, Book) else entry.source_key
            if _done(number, resume) or self._unwanted(number):
                continue
            seen += 1
            yield self._item(entry, texts) if isinstance(entry, Book) else entry
            if seen % CHECKPOINT_EVERY == 0 and number.isdigit():
                yield Checkpoint(number)

    def _unwanted(self, number: str | None) -> bool:
        return self.books is not None and number is not None and number not in self.books

    def _filed(self, fetch: Fetcher) -> Iterator[tuple[str | None, Book | Skipped | str]]:
        """Each catalog record with the number it is filed under (None: it has none): a CSV
        row read, an RDF as its location, parsed only by the slice that reads it."""
        location = str(self.config["catalog"])
        if location.lower().endswith(".csv"):
            for row in read_csv(fetch, location, self.config["max_document_bytes"]):
                number = row.number if isinstance(row, Book) else None
                if not self._unwanted(number or row.source_key):
                    yield number, row
        elif fetch.is_local(location) and fetch.path_for(location).is_dir():
            files = [f for f in fetch.list_dir(location) if f.lower().endswith(".rdf")]
            for _, path in sorted((int(rdf_number(f) or -1), f) for f in files):
                if not self._unwanted(rdf_number(path)):
                    yield rdf_number(path), path
        else:
            yield rdf_number(location), location

    @staticmethod
    def _item(book: Book, texts: _Texts) -> Item | Unparsed:
        """A skip the catalog gives, else the book's text: found here from a URL, by a worker
        from a local mirror."""
        number = book.number
        if book.kind and book.kind.lower() != "text":
            return Skipped(number, "not_text", f"catalog type is {book.kind!r}")
        for evidence in book.evidence:
            if evidence.statement.strip().lower().startswith("copyrighted"):
                return Skipped(number, "copyrighted", evidence.statement)
        return Unparsed(texts, book) if texts.fetch.is_local(texts.mirror) else texts(book)


@dataclass(frozen=True)
class _Texts:
    """A book's text from the mirror, found, read, decoded and stripped (`__call__`). Pure and
    picklable, so a worker may run it; its fetcher reads local files there, never a URL."""

    mirror: str
    max_bytes: int
    fetch: Fetcher

    def __call__(self, book: Book) -> SourceDocument | Skipped:
        number = book.number
        found = self._text(book)
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

    def _text(self, book: Book) -> tuple[str, Cleaned] | Skipped:
        """The first candidate with PG markers, else the first readable one."""
        found: list[tuple[str, Cleaned | None]] = []
        fetch, limit = self.fetch, self.max_bytes
        for location in self._candidates(book):
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
        where = self.mirror
        return Skipped(book.number, "text_missing", f"no text for {book.number} under {where}")

    def _candidates(self, book: Book) -> list[str]:
        """Text locations to try, best first: listed (local) or PG's usual names (remote)."""
        number, fetch = book.number, self.fetch
        folder = f"{self.mirror.rstrip('/')}/{number}"
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


def _within(partition: str) -> Callable[[str | None], bool]:
    """Whether a record filed under a number (None: none, filed with 0) is in `partition`."""
    if partition == WHOLE:
        return lambda number: True
    low, high = (int(bound) for bound in partition.split("-"))
    return lambda number: low <= int(number or 0) <= high


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
