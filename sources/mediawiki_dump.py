"""Reading a MediaWiki XML dump as a stream: compression, siteinfo, latest revision per page.

Kept apart from the adapter so the adapter decides only what a page becomes; this layer only
turns bytes into `Site` and `Page` records, ending with a `Skipped` when the bytes stop being
readable (see `sources.mediawiki` for the reasons and the licence rationale).
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from http.client import IncompleteRead
from typing import BinaryIO
from xml.etree.ElementTree import ParseError

import mwxml
from mwxml.element_iterator import ElementIterator
from mwxml.errors import MalformedXML

from corpusbuilder.source import Skipped

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
TRUNCATION_CODES = frozenset({3, 5, 6})  # expat: no element found, unclosed token, partial char
READ_ERRORS = (ParseError, MalformedXML, EOFError, OSError, zlib.error, lzma.LZMAError, ValueError)
READ_ERRORS += (IncompleteRead,)  # an HTTP body cut short (not an OSError)
TEXT_REDIRECT = re.compile(r"\s*#\s*redirect\s*:?\s*\[\[([^\]|#]*)", re.I)  # schemas < 0.7
DBNAME = re.compile(r"([a-z]{2,3}(?:_[a-z]+)*)wik[a-z]+")


@dataclass(frozen=True)
class Site:
    """The dump's ``<siteinfo>`` and root language."""

    location: str
    name: str | None
    base: str | None
    language: str | None
    namespaces: dict[int, str]

    def article_base(self) -> str | None:
        """``https://en.wikipedia.org/wiki/`` from ``<base>`` (the main page's URL)."""
        if not self.base:
            return None
        if "?title=" in self.base:
            return self.base.split("?title=", 1)[0] + "?title="
        return self.base.rsplit("/", 1)[0] + "/"


@dataclass(frozen=True)
class Page:
    """A page with its latest revision only."""

    id: int
    title: str
    namespace: int
    redirect: str | None
    text: str | None
    model: str | None
    timestamp: str | None


class _Stream(io.RawIOBase):
    """Reads `source`, serving `head` (bytes already read) first; notes reaching the end."""

    def __init__(self, source: BinaryIO, head: bytes = b"") -> None:
        super().__init__()
        self.source, self.head, self.at_eof = source, head, False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.head:
            data, self.head = self.head[: len(buffer)], self.head[len(buffer) :]
        else:
            data = self.source.read(len(buffer))
            self.at_eof = self.at_eof or not data
        buffer[: len(data)] = data
        return len(data)


def open_dump(raw: BinaryIO) -> _Stream:
    """The XML bytes of a plain, bz2, gzip or xz dump, recognised by magic bytes."""
    head = raw.read(6)
    stream = _Stream(raw, head)
    if head.startswith(b"BZh"):
        return _Stream(bz2.open(stream))
    if head.startswith(b"\x1f\x8b"):
        return _Stream(gzip.open(stream))
    if head.startswith(b"\xfd7zXZ"):
        return _Stream(lzma.open(stream))
    if head.startswith(b"7z\xbc\xaf"):
        raise ValueError("7z dumps cannot be streamed; recompress: 7z x -so X.7z | bzip2 > X.bz2")
    return stream


def read_dump(stream: _Stream, location: str) -> Iterator[Site | Page | Skipped]:
    """The site, then each page; a final Skipped if the dump stops being readable."""
    try:
        root = ElementIterator.from_file(stream)
        if root.tag != "mediawiki":
            raise MalformedXML(f"the root element is <{root.tag}>, not <mediawiki>")
        dump = mwxml.Dump.from_element(root)
        site = _site(dump.site_info, root.attr(XML_LANG), location)
        yield site
        for page in dump.pages:
            latest = _latest(page, site)
            del root.element[:]  # read pages: else the root keeps ~90 bytes per page
            yield latest
    except READ_ERRORS as exc:
        truncated = isinstance(exc, EOFError | ConnectionError | TimeoutError | IncompleteRead)
        truncated |= stream.at_eof and getattr(exc, "code", None) in TRUNCATION_CODES
        reason = "truncated_dump" if truncated else "malformed_dump"
        yield Skipped(location, reason, f"{type(exc).__name__}: {exc}"[:2000])


def _site(info: mwxml.SiteInfo, lang: str | None, location: str) -> Site:
    dbname = DBNAME.fullmatch(info.dbname or "")
    language = lang or (dbname.group(1).replace("_", "-") if dbname else None)
    namespaces = {ns.id: ns.name or "" for ns in info.namespaces or []}
    return Site(location, info.name, info.base, language, namespaces)


def _latest(page: mwxml.Page, site: Site) -> Page:
    """The page's latest revision (by timestamp, then id); older ones are read and dropped."""
    best = None
    for revision in page:
        if best is None or _order(revision) >= _order(best):
            best = revision
    text = best.text if best else None
    redirect = page.redirect
    if redirect is None and text and (match := TEXT_REDIRECT.match(text)):
        redirect = match.group(1).strip()
    title, prefix = page.title, site.namespaces.get(page.namespace)
    if page.namespace and prefix and not title.startswith(prefix + ":"):
        title = f"{prefix}:{title}"  # schemas without <ns>: mwxml strips the prefix
    stamp = str(best.timestamp) if best and best.timestamp else None
    model = best.model if best else None
    return Page(page.id, title, page.namespace, redirect, text, model, stamp)


def _order(revision: mwxml.Revision) -> tuple[str, int]:
    return (str(revision.timestamp or ""), revision.id or 0)
