"""Reading a MediaWiki XML dump as a stream: compression, siteinfo, latest revision per page.

Kept apart from the adapter so the adapter decides only what a page becomes; this layer only
turns bytes into `Site` and `Page` records, ending with a `Skipped` when the bytes stop being
readable (see `sources.mediawiki` for the reasons and the licence rationale).

Every page gets a key unique within the dump, so that none is lost as a repeat in the ledger: its
``<id>``, or its title where the dump has no ids (a title is unique within a wiki). A page that
cannot be keyed — no readable title, or a key an earlier page already has — is a `Skipped` keyed
by its position, ``<dump URL>#page-<n>``. A dump without ``<siteinfo>`` is read too: namespace
names then come from MediaWiki's canonical ones and the caller's.

Memory is bounded by the caller's `max_document_bytes`, whatever the compression ratio: the
decompressed stream is read in chunks, and one revision may take at most `xml_budget` bytes of
XML (its text escaped, ``&quot;`` being 6 bytes for 1). A revision larger than that ends the
dump with a ``too_large`` skip keyed by the dump (a stream cannot skip the rest of an element);
a smaller one over the limit is the adapter's per-page ``too_large`` skip.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import re
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http.client import IncompleteRead
from typing import BinaryIO
from xml.etree.ElementTree import ParseError

import mwxml
from mwxml.element_iterator import ElementIterator
from mwxml.errors import MalformedXML

from corpusbuilder.source import Skipped
from sources.wikitext import normalise_name

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
TRUNCATION_CODES = frozenset({3, 5, 6})  # expat: no element found, unclosed token, partial char
READ_ERRORS = (ParseError, MalformedXML, EOFError, OSError, zlib.error, lzma.LZMAError, ValueError)
READ_ERRORS += (IncompleteRead,)  # an HTTP body cut short (not an OSError)
READ_ERRORS += (LookupError, AssertionError)  # an unknown declared encoding; mwxml's asserts
TEXT_REDIRECT = re.compile(r"\s*#\s*redirect\s*:?\s*\[\[([^\]|#]*)", re.I)  # schemas < 0.7
DBNAME = re.compile(r"([a-z]{2,3}(?:_[a-z]+)*)wik[a-z]+")
# Names every MediaWiki accepts whatever its language (NamespaceInfo's canonical names).
CANONICAL_NAMESPACES = {
    **{-2: "Media", -1: "Special", 1: "Talk", 2: "User", 3: "User talk", 4: "Project"},
    **{5: "Project talk", 6: "File", 7: "File talk", 8: "MediaWiki", 9: "MediaWiki talk"},
    **{10: "Template", 11: "Template talk", 12: "Help", 13: "Help talk", 14: "Category"},
    15: "Category talk",
}
CANONICAL_ALIASES = {"Image": 6, "Image talk": 7}
PAGE_HEADER_ERRORS = (AttributeError, TypeError, ValueError)  # mwxml on a missing title, bad id
BITMAP_LIMIT = 1 << 28  # page ids below it are remembered in a bitmap (32 MB at most)
XML_INFLATION = 6  # the most bytes XML takes for one byte of text (&quot;)
XML_SLACK = 1 << 20  # a revision's other elements and the parser's read-ahead (16 KiB)


def xml_budget(max_document_bytes: int) -> int:
    """The most bytes of XML one revision of at most `max_document_bytes` can take."""
    return XML_INFLATION * max_document_bytes + XML_SLACK


class RevisionTooLarge(Exception):
    """One revision's XML passed its budget: the dump cannot be read on."""


@dataclass(frozen=True)
class Site:
    """The dump's ``<siteinfo>`` (`described`) and root language, or what stands in for them."""

    location: str
    name: str | None
    base: str | None
    language: str | None
    namespaces: dict[int, str]  # number → the dump's name (or the configured/canonical one)
    prefixes: dict[str, int]  # every known name, normalised → number
    described: bool = True

    def article_base(self) -> str | None:
        """``https://en.wikipedia.org/wiki/`` from ``<base>`` (the main page's URL)."""
        if not self.base:
            return None
        if "?title=" in self.base:
            return self.base.split("?title=", 1)[0] + "?title="
        return self.base.rsplit("/", 1)[0] + "/"

    def namespace_of(self, title: str) -> int:
        """The namespace a title's prefix names (``Fichier:X`` → 6); 0 when none does."""
        prefix, colon, _ = title.partition(":")
        return self.prefixes.get(normalise_name(prefix), 0) if colon else 0


@dataclass(frozen=True)
class Page:
    """A page with its latest revision only; `key` is unique within the dump."""

    key: str
    id: int | None
    title: str
    namespace: int
    redirect: str | None
    text: str | None
    model: str | None
    timestamp: str | None


class _Stream(io.RawIOBase):
    """Reads `source`, serving `head` (bytes already read) first; notes reaching the end.

    With a `budget`, more than that many bytes read since the last `mark` raise
    `RevisionTooLarge`, so nothing — however well compressed — is read on past it.
    """

    def __init__(self, source: BinaryIO, head: bytes = b"", budget: int | None = None) -> None:
        super().__init__()
        self.source, self.head, self.at_eof = source, head, False
        self.budget, self.since_mark, self.label = budget, 0, "the dump's header"

    def mark(self, label: str) -> None:
        """Count the bytes read from here on, for the element `label` names."""
        self.since_mark, self.label = 0, label[:300]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.head:
            data, self.head = self.head[: len(buffer)], self.head[len(buffer) :]
        else:
            data = self.source.read(len(buffer))
            self.at_eof = self.at_eof or not data
        buffer[: len(data)] = data
        self.since_mark += len(data)
        if self.budget is not None and self.since_mark > self.budget:
            raise RevisionTooLarge(
                f"{self.label}: a revision holds more than {self.budget} bytes of XML"
            )
        return len(data)


def open_dump(raw: BinaryIO, max_document_bytes: int | None = None) -> _Stream:
    """The XML bytes of a plain, bz2, gzip or xz dump, recognised by magic bytes, decompressed
    as they are read; a revision may take `xml_budget(max_document_bytes)` of them at most."""
    head = raw.read(6)
    budget = None if max_document_bytes is None else xml_budget(max_document_bytes)
    stream = _Stream(raw, head)
    for magic, opener in ((b"BZh", bz2.open), (b"\x1f\x8b", gzip.open), (b"\xfd7zXZ", lzma.open)):
        if head.startswith(magic):
            return _Stream(opener(stream), budget=budget)
    if head.startswith(b"7z\xbc\xaf"):
        raise ValueError("7z dumps cannot be streamed; recompress: 7z x -so X.7z | bzip2 > X.bz2")
    stream.budget = budget
    return stream


def read_dump(
    stream: _Stream, location: str, names: Mapping[str, int] | None = None
) -> Iterator[Site | Page | Skipped]:
    """The site, then each page (or a page's Skipped); a final Skipped(`location`) if the dump
    stops being readable. `names` (namespace name → number) add to the dump's own names."""
    return _read(stream, location, lambda root: _records(root, location, names or {}, stream.mark))


def read_pages(stream: _Stream, site: Site, first: int, where: str) -> Iterator[Page | Skipped]:
    """The pages of a part of a dump whose `site` was read before (a multistream dump's part:
    its root element and pages), numbered from `first`; a final Skipped(`where`) if the part
    stops being readable."""

    def pages(root: ElementIterator) -> Iterator:
        return _records(root, site.location, {}, stream.mark, site, first - 1)

    return _read(stream, where, pages)


def _read(
    stream: _Stream, location: str, records: Callable[[ElementIterator], Iterator]
) -> Iterator:
    """`records` of the root element, then a Skipped(`location`) if the XML stops being
    readable."""
    try:
        root = ElementIterator.from_file(stream)
        if root.tag != "mediawiki":
            raise MalformedXML(f"the root element is <{root.tag}>, not <mediawiki>")
        yield from records(root)
    except RevisionTooLarge as exc:
        detail = f"{exc}; the rest of the dump cannot be reached (raise max_document_bytes)"
        yield Skipped(location, "too_large", detail)
    except READ_ERRORS as exc:
        truncated = isinstance(exc, EOFError | ConnectionError | TimeoutError | IncompleteRead)
        truncated |= stream.at_eof and getattr(exc, "code", None) in TRUNCATION_CODES
        reason = "truncated_dump" if truncated else "malformed_dump"
        yield Skipped(location, reason, f"{type(exc).__name__}: {exc}"[:2000])


def _records(
    root: ElementIterator,
    location: str,
    names: Mapping[str, int],
    mark: Callable[[str], None],
    site: Site | None = None,
    position: int = 0,
) -> Iterator:
    """The site (unless given: then only pages), then each page, counted from `position`."""
    keys = _Keys()
    lang = root.attr(XML_LANG)
    for element in root:
        mark(f"<{element.tag}> after page {position}")
        if element.tag == "siteinfo" and site is None:
            site = _site(mwxml.SiteInfo.from_element(element), lang, location, names)
            yield site
        elif element.tag == "page":
            if site is None:
                site = _site(None, lang, location, names)
                yield site
            position += 1
            yield _page(element, site, keys, position, mark)
        elif element.tag != "logitem":
            raise MalformedXML(f"unexpected <{element.tag}> in <mediawiki>")
        del root.element[:]  # read pages: else the root keeps ~90 bytes per page
    if site is None:
        yield _site(None, lang, location, names)


def _site(
    info: mwxml.SiteInfo | None, lang: str | None, location: str, names: Mapping[str, int]
) -> Site:
    own = {ns.id: ns.name or "" for ns in (info.namespaces or [])} if info else {}
    numbers = {**CANONICAL_NAMESPACES, **{n: name for name, n in names.items()}, **own}
    known = {**CANONICAL_ALIASES, **{v: k for k, v in CANONICAL_NAMESPACES.items()}, **names}
    known.update({name: n for n, name in own.items()})
    prefixes = {normalise_name(name): n for name, n in known.items() if name}
    if info is None:
        return Site(location, None, None, lang, numbers, prefixes, described=False)
    dbname = DBNAME.fullmatch(info.dbname or "")
    language = lang or (dbname.group(1).replace("_", "-") if dbname else None)
    return Site(location, info.name, info.base, language, own or numbers, prefixes)


def _page(
    element: ElementIterator, site: Site, keys: _Keys, position: int, mark: Callable[[str], None]
) -> Page | Skipped:
    """The page at `position` (1 for the first), keyed; a Skipped if it cannot be keyed."""
    where = f"{site.location}#page-{position}"
    try:
        page = mwxml.Page.from_element(element)  # no namespace map: titles keep their prefix
    except PAGE_HEADER_ERRORS as exc:
        detail = f"page {position}: unreadable <title>, <ns> or <id> ({type(exc).__name__}: {exc})"
        return Skipped(where, "malformed_page", detail[:2000])
    title = (page.title or "").strip()
    if not title:
        return Skipped(where, "malformed_page", f"page {position} (id {page.id}) has no title")
    key = str(page.id) if page.id is not None else title
    if not keys.add(key):
        return Skipped(where, "duplicate_page", f"{key!r} is the key of an earlier page")
    mark(f"page {position} ({title!r})")
    return _latest(page, key, title, site, mark)


def _latest(page: mwxml.Page, key: str, title: str, site: Site, mark: Callable) -> Page:
    """The page's latest revision (by timestamp, then id); older ones are read and dropped."""
    best = None
    for revision in page:
        mark(f"a revision after {revision.id} of page {title!r}")
        if best is None or _order(revision) >= _order(best):
            best = revision
    text = best.text if best else None
    redirect = page.redirect
    if redirect is None and text and (match := TEXT_REDIRECT.match(text)):
        redirect = match.group(1).strip()
    namespace = page.namespace or site.namespace_of(title)  # schemas < 0.6 have no <ns>
    stamp = str(best.timestamp) if best and best.timestamp else None
    model = best.model if best else None
    return Page(key, page.id, title, namespace, redirect, text, model, stamp)


def _order(revision: mwxml.Revision) -> tuple[str, int]:
    return (str(revision.timestamp or ""), revision.id or 0)


class _Keys:
    """The keys given so far in one dump. Numeric ones (page ids, dense in a real dump) are bits
    in a bytearray — ~10 MB for all of English Wikipedia's, where a set would take gigabytes —
    others (titles of pages without ``<id>``) are in a set."""

    def __init__(self) -> None:
        self.bits = bytearray()
        self.others: set[str] = set()

    def add(self, key: str) -> bool:
        """Remember `key`; False if it was given before."""
        number = int(key) if key.isascii() and key.isdigit() else None
        if number is None or str(number) != key or number >= BITMAP_LIMIT:
            new = key not in self.others
            self.others.add(key)
            return new
        byte, bit = divmod(number, 8)
        if byte >= len(self.bits):
            self.bits.extend(bytes(max(byte + 1 - len(self.bits), len(self.bits))))
        new = not self.bits[byte] >> bit & 1
        self.bits[byte] |= 1 << bit
        return new
