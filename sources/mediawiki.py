"""MediaWiki XML dumps (Wikipedia, Wikisource, any wiki): the latest revision of each page as text.

Licence rationale. A dump carries no licence field: the terms are the wiki's. Wikipedia's
(https://en.wikipedia.org/wiki/Wikipedia:Copyrights): "Text of Wikipedia is copyrighted
(automatically, under the Berne Convention) by Wikipedia editors and contributors and is formally
licensed to the public under one or several liberal licenses. Most of Wikipedia's text […] is
co-licensed under the Creative Commons Attribution-ShareAlike 4.0 International License (CC BY-SA)
and the GNU Free Documentation License (GFDL)" — CC BY-SA 3.0 before June 2023. The operator states
the terms in ``licence`` (one statement or a list such as ``["CC-BY-SA-3.0", "GFDL-1.3"]``); each
becomes a ``collection`` evidence located at ``terms_url`` if given, else honestly at
``<dump URL>#config:licence``. The policy, not this adapter, judges them. CC BY-SA attribution may
be a link to the page history, which lists the authors, so ``creator`` is "<sitename>
contributors; history: <…index.php?title=X&action=history>": it travels with the text into the
attribution file, while an evidence locator says where the licence was read.

Skips: ``non_content_namespace`` (outside ``namespaces``, default [0]), ``redirect``,
``unsupported_content_model`` (e.g. wikibase JSON), ``disambiguation`` (a top-level template in
``disambiguation_templates``), ``empty_text``. A dump that stops being readable (malformed XML,
truncated or corrupt archive, dropped connection) ends with one ``Skipped(<dump URL>,
"truncated_dump" | "malformed_dump")`` after the pages already yielded: those were complete and
stay valid, the rest cannot be reached (a stream cannot be re-synchronised), and the ledger keeps
the reason instead of losing the run. mwxml/expat read export schemas 0.4–0.11 in UTF-8 or UTF-16
with a BOM; bz2, gzip and xz are recognised by magic bytes. Other config: ``wiki_url`` (default
from siteinfo ``<base>``), ``index_url`` (default ``<host>/w/index.php``), ``checkpoint_every``.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import re
import unicodedata
import urllib.parse
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from http.client import IncompleteRead
from typing import Any, BinaryIO
from xml.etree.ElementTree import ParseError

import mwxml
from mwparserfromhell.parser import ParserError
from mwxml.element_iterator import ElementIterator
from mwxml.errors import MalformedXML

from corpusbuilder.fetch import Fetcher
from corpusbuilder.source import (
    Checkpoint,
    Item,
    LicenceEvidence,
    Skipped,
    SourceAdapter,
    SourceDocument,
)
from sources.wikitext import WikitextCleaner

DISAMBIGUATION_TEMPLATES = (
    *("disambig", "disambiguation", "dab", "disamb", "hndis", "geodis", "homonymie"),
    *("begriffsklärung", "desambiguación", "disambigua", "неоднозначность", "пояснение"),
)
TITLE_SAFE = ";@$!*(),/~:"  # what MediaWiki leaves unescaped in titles (wfUrlencode)
MEDIA_NAMESPACES = (-2, 6, 14)  # Media, File, Category
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


@dataclass(frozen=True)
class _Context:
    """What every page of one run shares: URLs, cleaner, evidence, language."""

    site: Site
    wiki_url: str
    index_url: str | None
    cleaner: WikitextCleaner
    evidence: tuple[LicenceEvidence, ...]


class MediaWikiSource(SourceAdapter):
    """Pages of a MediaWiki XML dump; see the module docstring for config and skips."""

    name = "mediawiki"
    version = "1.0.0"

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        self.dump = self.config.get("dump")
        if not isinstance(self.dump, str) or not self.dump.strip():
            raise ValueError("mediawiki source: set 'dump' to the path or URL of the XML dump")
        self.licences = _licences(self.config.get("licence"))
        self.namespaces = _namespaces(self.config.get("namespaces", [0]))
        templates = self.config.get("disambiguation_templates", DISAMBIGUATION_TEMPLATES)
        self.disambiguation = _template_pattern(templates)
        self.checkpoint_every = int(self.config.get("checkpoint_every", 1000))
        if self.checkpoint_every < 1:
            raise ValueError("mediawiki source: 'checkpoint_every' is a number of pages, >= 1")

    def documents(
        self, fetch: Fetcher, limit: int | None = None, resume: str | None = None
    ) -> Iterator[Item]:
        location = fetch.url_for(self.dump)
        with fetch.open(self.dump) as raw:
            records = read_dump(open_dump(raw), location)
            site = next(records)
            if isinstance(site, Skipped):
                yield site
                return
            context = self._context(site, location)
            yield from self._items(records, context, limit, resume)

    def _items(
        self, records: Iterator, context: _Context, limit: int | None, resume: str | None
    ) -> Iterator[Item]:
        produced, resuming = 0, resume is not None
        for count, record in enumerate(records, start=1):
            if isinstance(record, Skipped):
                yield record
                return
            if resuming:
                resuming = str(record.id) != resume
                continue
            item = self._item(record, context)
            yield item
            produced += isinstance(item, SourceDocument)
            if limit is not None and produced >= limit:
                return
            if count % self.checkpoint_every == 0:
                yield Checkpoint(str(record.id))
        if resuming:
            yield Skipped(context.site.location, "resume_point_not_found", f"page id {resume}")

    def _item(self, page: Page, context: _Context) -> SourceDocument | Skipped:
        key = str(page.id)
        skip = self._skip_before_parsing(page)
        if skip:
            return Skipped(key, *skip)
        template = self.disambiguation.search(page.text)
        if template:
            return Skipped(key, "disambiguation", f"template {template.group(0).strip()}}}}}")
        try:
            text = unicodedata.normalize("NFC", context.cleaner.clean(page.text))
        except ParserError as exc:
            return Skipped(key, "unparsable_wikitext", str(exc))
        if not text:
            return Skipped(key, "empty_text", "no text left after removing markup")
        return self._document(page, text, context)

    def _skip_before_parsing(self, page: Page) -> tuple[str, str] | None:
        """Skips decided from page metadata alone, before the costly parse."""
        if page.namespace not in self.namespaces:
            return "non_content_namespace", f"namespace {page.namespace}: {page.title}"
        if page.redirect is not None:
            return "redirect", f"redirect to {page.redirect}"
        if page.model not in (None, "wikitext"):
            return "unsupported_content_model", f"content model {page.model}"
        if not (page.text or "").strip():
            return "empty_text", "the latest revision has no text (empty or deleted)"
        return None

    def _document(self, page: Page, text: str, context: _Context) -> SourceDocument:
        quoted = urllib.parse.quote(page.title.replace(" ", "_"), safe=TITLE_SAFE)
        url = context.wiki_url + quoted
        if context.index_url:
            history = f"{context.index_url}?title={quoted}&action=history"
        else:
            history = f"{url}?action=history"
        return SourceDocument(
            source_key=str(page.id),
            text=text,
            url=url,
            evidence=context.evidence,
            title=unicodedata.normalize("NFC", page.title),
            creator=f"{context.site.name or 'Wiki'} contributors; history: {history}",
            date=page.timestamp,
            language_hint=context.site.language,
        )

    def _context(self, site: Site, location: str) -> _Context:
        wiki_url = self.config.get("wiki_url") or site.article_base()
        if not wiki_url:
            raise ValueError(
                f"{location} has no <base> in its siteinfo; set wiki_url (e.g. "
                "https://en.wikipedia.org/wiki/) in the mediawiki source config"
            )
        if not wiki_url.endswith(("/", "=")):
            wiki_url += "/"
        locator = self.config.get("terms_url") or f"{location}#config:licence"
        evidence = tuple(
            LicenceEvidence(statement=s, locator=locator, kind="collection") for s in self.licences
        )
        media = [site.namespaces[n] for n in MEDIA_NAMESPACES if n in site.namespaces]
        return _Context(
            site=site,
            wiki_url=wiki_url,
            index_url=self.config.get("index_url") or _index_url(wiki_url),
            cleaner=WikitextCleaner(media, site.namespaces.values()),
            evidence=evidence,
        )


def _template_pattern(names: Iterable[str]) -> re.Pattern:
    """``{{Name`` or ``{{template:name |`` for any of `names`; spaces match underscores."""
    alternatives = "|".join(r"[ _]+".join(map(re.escape, n.split())) for n in names if n.strip())
    if not alternatives:
        return re.compile(r"(?!)")  # an empty list: no page is a disambiguation page
    return re.compile(rf"\{{\{{\s*(?:template\s*:\s*)?(?:{alternatives})\s*(?=[|}}])", re.I)


def _index_url(wiki_url: str) -> str | None:
    """``index.php`` of a wiki: before ``?title=``, or ``/w/index.php`` for ``/wiki/`` paths."""
    if "?title=" in wiki_url:
        return wiki_url.split("?", 1)[0]
    if wiki_url.endswith("/wiki/"):
        return wiki_url.removesuffix("/wiki/") + "/w/index.php"
    return None


def _namespaces(value: Any) -> frozenset[int]:
    try:
        return frozenset(int(n) for n in value)
    except (TypeError, ValueError):
        raise ValueError(
            f"mediawiki source: 'namespaces' is {value!r}; give a list of namespace numbers, "
            "e.g. [0] for articles (see the dump's <namespaces>)"
        ) from None


def _licences(value: Any) -> tuple[str, ...]:
    statements = [value] if isinstance(value, str) else list(value or [])
    if not statements or not all(isinstance(s, str) and s.strip() for s in statements):
        raise ValueError(
            "mediawiki source: set 'licence' to the wiki's terms, e.g. 'CC-BY-SA-4.0' or "
            "['CC-BY-SA-3.0', 'GFDL-1.3'] (see the wiki's copyright page)"
        )
    return tuple(statements)


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
