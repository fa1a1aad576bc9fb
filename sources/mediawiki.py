"""MediaWiki XML dumps (Wikipedia, Wikisource, any wiki): the latest revision of each page as text.

Licence rationale. A dump carries no licence field: the terms are the wiki's. Wikipedia's
(https://en.wikipedia.org/wiki/Wikipedia:Copyrights): "Text of Wikipedia is copyrighted
(automatically, under the Berne Convention) by Wikipedia editors and contributors and is formally
licensed to the public under one or several liberal licenses. Most of Wikipedia's text […] is
co-licensed under the Creative Commons Attribution-ShareAlike 4.0 International License (CC BY-SA)
and the GNU Free Documentation License (GFDL)" — CC BY-SA 3.0 before June 2023. The operator states
the terms in ``licence`` (one statement or a list such as ``["CC-BY-SA-3.0", "GFDL-1.3"]``). A
list means dual licensing — the reader may choose any — so it becomes one ``collection`` evidence
"CC-BY-SA-3.0 OR GFDL-1.3", located at ``terms_url`` if given, else honestly at
``<dump URL>#config:licence``. The policy, not this adapter, judges them. CC BY-SA attribution may
be a link to the page history, which lists the authors, so ``creator`` is "<sitename>
contributors; history: <…index.php?title=X&action=history>": it travels with the text into the
attribution file, while an evidence locator says where the licence was read.

Skips: ``non_content_namespace`` (outside ``namespaces``, default [0]), ``redirect``,
``unsupported_content_model`` (e.g. wikibase JSON), ``disambiguation`` (a top-level template in
``disambiguation_templates``), ``empty_text``, ``too_large`` (over ``max_document_bytes``; see
``mediawiki_dump`` for a revision too large to read at all). A page is keyed by its ``<id>``, or
by its title in a dump without ids; one that cannot be keyed is skipped as ``malformed_page``
(no title) or ``duplicate_page`` (an earlier page has its key) under ``<dump URL>#page-<n>``,
never dropped.
A dump without ``<siteinfo>`` needs ``wiki_url``; its namespace names are MediaWiki's canonical
ones plus ``namespace_names``. A dump that stops being readable (malformed XML,
truncated or corrupt archive, dropped connection) ends with one ``Skipped(<dump URL>,
"truncated_dump" | "malformed_dump")`` after the pages already yielded: those were complete and
stay valid, the rest cannot be reached (a stream cannot be re-synchronised), and the ledger keeps
the reason instead of losing the run. mwxml/expat read export schemas 0.4–0.11 in UTF-8 or UTF-16
with a BOM; bz2, gzip and xz are recognised by magic bytes. Other config: ``wiki_url`` (default
from siteinfo ``<base>``), ``index_url`` (default ``<host>/w/index.php``), ``checkpoint_every``.

Partitions. ``dump`` may list several dump files (a wiki's ``pages-articles1…N``): each is a
partition with its own checkpoint, and one that cannot be opened is an ``unreadable_partition``
skip while the others are ingested. The reader decides the metadata skips; the wikitext parse,
the costly part, runs in the engine's workers (`_PageParser`).

Multistream dumps. A local dump with Wikimedia's multistream index beside it
(``X-multistream.xml.bz2`` and ``X-multistream-index.txt.bz2``; or ``multistream_index`` in the
config) is read in parts of whole bz2 streams, at least ``checkpoint_every`` pages each, with a
checkpoint after each part: the driver reads the index and the siteinfo, and each worker seeks,
decompresses and parses its own part (`sources.mediawiki_multistream`). The documents are those
of reading the dump as one stream; a part that stops being readable ends with its skip, keyed
``<dump URL>#offset-<byte>``, and the next parts are read; an index that does not fit the dump
stops the ingest with a one-line error.
"""

from __future__ import annotations

import io
import re
import unicodedata
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Annotated, Any

from mwparserfromhell.parser import ParserError
from pydantic import AfterValidator, Field, model_validator

from corpusbuilder.ingest.fetch import Fetcher, FetchError
from corpusbuilder.ingest.partitions import PartitionedSource, PartitionNames, Unread
from corpusbuilder.ingest.records import TOO_LARGE, over_limit, too_large
from corpusbuilder.licences import alternatives
from corpusbuilder.options import SourceOptions, checked
from corpusbuilder.source import (
    Checkpoint,
    Item,
    LicenceEvidence,
    Skipped,
    SourceDocument,
    Unparsed,
)
from sources.mediawiki_dump import Page, Site, open_dump, read_dump
from sources.mediawiki_multistream import (
    FOOTER,
    IndexMismatch,
    Part,
    check_bounds,
    index_beside,
    index_streams,
    opening_of,
    parts,
    read_header,
    read_part,
)
from sources.wikitext import WikitextCleaner

DISAMBIGUATION_TEMPLATES = (
    *("disambig", "disambiguation", "dab", "disamb", "hndis", "geodis", "homonymie"),
    *("begriffsklärung", "desambiguación", "disambigua", "неоднозначность", "пояснение"),
)
TITLE_SAFE = ";@$!*(),/~:"  # what MediaWiki leaves unescaped in titles (wfUrlencode)
MEDIA_NAMESPACES = (-2, 6, 14)  # Media, File, Category


@dataclass(frozen=True)
class _Context:
    """What every page of one dump shares: URLs, cleaner, evidence, language."""

    site: Site
    wiki_url: str
    index_url: str | None
    cleaner: WikitextCleaner
    evidence: tuple[LicenceEvidence, ...]


@dataclass(frozen=True)
class _PageParser:
    """What a page becomes: a skip decided from its metadata (cheap, in the reader), else a
    document or skip from its wikitext (`__call__`, the costly parse, in the engine's workers).
    Pure and picklable: a worker receives it with each chunk of pages."""

    namespaces: frozenset[int]
    disambiguation: re.Pattern
    max_bytes: int
    context: _Context

    def triage(self, page: Page) -> Skipped | Unparsed:
        skip = self._skip_before_parsing(page)
        return Skipped(page.key, *skip) if skip else Unparsed(self, page)

    def __call__(self, page: Page) -> SourceDocument | Skipped:
        key = page.key
        template = self.disambiguation.search(page.text)
        if template:
            return Skipped(key, "disambiguation", f"template {template.group(0).strip()}}}}}")
        try:
            text = unicodedata.normalize("NFC", self.context.cleaner.clean(page.text))
        except ParserError as exc:
            return Skipped(key, "unparsable_wikitext", str(exc))
        if not text:
            return Skipped(key, "empty_text", "no text left after removing markup")
        return self._document(page, text)

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
        if over_limit(page.text, self.max_bytes):
            size = f"its latest revision has {len(page.text)} characters"
            return TOO_LARGE, too_large(f"page {page.title!r}", self.max_bytes, size)
        return None

    def _document(self, page: Page, text: str) -> SourceDocument:
        context = self.context
        quoted = urllib.parse.quote(page.title.replace(" ", "_"), safe=TITLE_SAFE)
        url = context.wiki_url + quoted
        if context.index_url:
            history = f"{context.index_url}?title={quoted}&action=history"
        else:
            history = f"{url}?action=history"
        return SourceDocument(
            source_key=page.key,
            text=text,
            url=url,
            evidence=context.evidence,
            title=unicodedata.normalize("NFC", page.title),
            creator=f"{context.site.name or 'Wiki'} contributors; history: {history}",
            date=page.timestamp,
            language_hint=context.site.language,
        )


@dataclass(frozen=True)
class _PartReader:
    """What a worker makes of a multistream part: its pages, triaged (pure and picklable)."""

    parser: _PageParser

    def __call__(self, part: Part) -> Iterator[Skipped | Unparsed]:
        for record in read_part(part, self.parser.max_bytes):
            yield record if isinstance(record, Skipped) else self.parser.triage(record)


def _statements(value: str | list[str]) -> str | list[str]:
    statements = [value] if isinstance(value, str) else value
    if not statements or not all(s.strip() for s in statements):
        raise ValueError(
            "give the wiki's terms, e.g. CC-BY-SA-4.0 or [CC-BY-SA-3.0, GFDL-1.3]"
            " (see the wiki's copyright page)"
        )
    return value


class MediaWikiSource(PartitionedSource):
    """Pages of MediaWiki XML dumps; see the module docstring for config and skips."""

    name = "mediawiki"
    version = "1.0.0"
    text_edits = "rendered from wikitext as plain text: templates, tables, references removed"

    class Options(SourceOptions):
        dump: PartitionNames = Field(
            description="path or URL of the XML dump (bz2, gz, xz), or a list of dump files"
        )
        licence: Annotated[str | list[str], AfterValidator(_statements)] = Field(
            description="the wiki's terms, e.g. [CC-BY-SA-3.0, GFDL-1.3] (collection evidence)"
        )
        terms_url: str | None = Field(None, description="where the terms are stated (locator)")
        namespaces: list[int] = Field([0], description="namespace numbers to keep ([0]: articles)")
        namespace_names: dict[str, int] = Field(
            {},
            description="namespace names → numbers where the dump has no <siteinfo>, e.g."
            " {Fichier: 6, Catégorie: 14}; MediaWiki's canonical English names are known",
        )
        disambiguation_templates: list[str] = Field(
            list(DISAMBIGUATION_TEMPLATES), description="templates marking disambiguation pages"
        )
        wiki_url: str | None = Field(None, description="article base URL (default: siteinfo)")
        index_url: str | None = Field(None, description="index.php URL (default: from wiki_url)")
        checkpoint_every: int = Field(1000, ge=1, description="pages between resume checkpoints")
        multistream_index: PartitionNames | None = Field(
            None,
            description="a multistream dump's index (one per dump, in order); default:"
            " Wikimedia's name beside a local dump (X-multistream-index.txt.bz2), if there",
        )

        @model_validator(mode="after")
        def _one_index_per_dump(self) -> MediaWikiSource.Options:
            dumps = self.dump if isinstance(self.dump, list) else [self.dump]
            indexes = self.multistream_index
            if isinstance(indexes, list) and len(indexes) != len(dumps):
                raise ValueError("give one multistream_index per dump, in the order of dump")
            return self

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        super().__init__(checked(self, config))
        dump = self.config["dump"]
        self.dumps = [dump] if isinstance(dump, str) else list(dump)
        licence = self.config["licence"]
        self.licences = (licence,) if isinstance(licence, str) else tuple(licence)
        self.namespaces = frozenset(self.config["namespaces"])
        self.disambiguation = _template_pattern(self.config["disambiguation_templates"])
        self.checkpoint_every = self.config["checkpoint_every"]

    def partitions(self, fetch: Fetcher) -> list[str]:
        return self.dumps

    def read(
        self, fetch: Fetcher, partition: str, resume: str | None
    ) -> Iterator[Item | Unparsed | Unread]:
        index = self._index_of(fetch, partition)
        if index is not None:
            yield from self._parts(fetch, partition, index, resume)
            return
        location = fetch.url_for(partition)
        with fetch.open(partition) as raw:
            stream = open_dump(raw, self.config["max_document_bytes"])
            records = read_dump(stream, location, self.config["namespace_names"])
            site = next(records)
            if isinstance(site, Skipped):
                yield site
                return
            yield from self._items(records, self._parser(site, location), resume)

    def _index_of(self, fetch: Fetcher, dump: str) -> str | None:
        """The multistream index of `dump`: the configured one, else Wikimedia's name beside a
        local dump if that file is there; None to read the dump as one stream."""
        given = self.config["multistream_index"]
        if given is None:
            beside = index_beside(dump)
            found = beside and fetch.is_local(dump) and fetch.path_for(beside).is_file()
            return beside if found else None
        if not fetch.is_local(dump):
            raise FetchError(
                f"{dump}: multistream parts are read from a local file; download the dump and"
                " its index, or leave out multistream_index to stream it"
            )
        return given if isinstance(given, str) else given[self.dumps.index(dump)]

    def _parts(
        self, fetch: Fetcher, dump: str, index: str, resume: str | None
    ) -> Iterator[Item | Unread]:
        """The parts of a multistream dump, each followed by a checkpoint at its last page."""
        location, names, found = fetch.url_for(dump), self.config["namespace_names"], False
        with fetch.open(index) as raw:
            streams = index_streams(io.BufferedReader(open_dump(raw)), index, dump)
            first = next(streams, None)
            if first is None:
                raise IndexMismatch(f"{index} lists no page; give the multistream index of {dump}")
            with fetch.open(dump) as compressed:
                header = read_header(compressed, first.offset, index, dump)
                site = next(read_dump(open_dump(io.BytesIO(header + FOOTER)), location, names))
                if isinstance(site, Skipped):
                    yield site
                    return
                reader = _PartReader(self._parser(site, location))
                like = Part(str(fetch.path_for(dump)), index, opening_of(header), site)
                for part in parts(chain([first], streams), self.checkpoint_every, resume, like):
                    check_bounds(compressed, part)
                    found = True
                    yield Unread(reader, part, len(part.ids))
                    yield Checkpoint(str(part.ids[-1]))
        if resume is not None and not found:
            yield Skipped(location, "resume_point_not_found", f"page key {resume}")

    def _parser(self, site: Site, location: str) -> _PageParser:
        max_bytes = self.config["max_document_bytes"]
        context = self._context(site, location)
        return _PageParser(self.namespaces, self.disambiguation, max_bytes, context)

    def _items(
        self, records: Iterator, parser: _PageParser, resume: str | None
    ) -> Iterator[Item | Unparsed]:
        location, resuming = parser.context.site.location, resume is not None
        for count, record in enumerate(records, start=1):
            if isinstance(record, Skipped) and record.source_key == location:
                yield record  # the dump stopped being readable: nothing follows
                return
            if resuming:
                resuming = not (isinstance(record, Page) and record.key == resume)
                continue
            yield record if isinstance(record, Skipped) else parser.triage(record)
            if count % self.checkpoint_every == 0 and isinstance(record, Page):
                yield Checkpoint(record.key)
        if resuming:
            yield Skipped(location, "resume_point_not_found", f"page key {resume}")

    def _context(self, site: Site, location: str) -> _Context:
        wiki_url = self.config.get("wiki_url") or site.article_base()
        if not wiki_url:
            raise ValueError(
                f"{location} has no {'<base> in its ' if site.described else ''}<siteinfo>; "
                "set wiki_url (e.g. "
                "https://en.wikipedia.org/wiki/) in the mediawiki source config"
            )
        if not wiki_url.endswith(("/", "=")):
            wiki_url += "/"
        locator = self.config.get("terms_url") or f"{location}#config:licence"
        # each listed licence is on offer: one statement "A OR B", the reader chooses
        statement = alternatives(self.licences)
        evidence = (LicenceEvidence(statement=statement, locator=locator, kind="collection"),)
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
