"""Wikimedia's multistream dumps read in parts, each by a worker that seeks to its own bytes.

The format is the one Wikimedia's dumps write with ``recompressxml --pagesperstream 100
--buildindex`` (operations/dumps/mwbzutils; the dumps' ``XmlMultiStreamDump`` job):
``X-pages-articles-multistream.xml.bz2`` is concatenated bz2 streams, the first holding the XML
up to and including ``</siteinfo>``, each next one 100 ``<page>`` elements, the closing
``</mediawiki>`` after the last page (in a stream of its own when the pages fill the last one);
``X-pages-articles-multistream-index.txt.bz2`` has a line ``offset:page_id:title`` for each
page, where `offset` is the byte at which the stream holding the page starts and `title` is as
escaped in the XML. The parts of a dump split in files (``…-multistream3.xml-p151574p311329.bz2``)
have their own index (``…-multistream-index3.txt-p151574p311329.bz2``).

The driver reads the index as a stream, once, and the first stream (the siteinfo); a part is a
run of whole streams, a byte range that a worker decompresses and parses behind the root element's
start tag. An index that does not fit its dump — the first stream does not end where the index's
first stream starts, no bz2 stream starts at an offset, or a part holds other pages than the index
lists — is an `IndexMismatch`, a one-line error naming both files. Each part keys its pages
apart: a page id found in two parts (never in Wikimedia's dumps) is recorded once, the first, and
counted as a ``repeated_source_key`` by the ingest, not skipped as ``duplicate_page``.
"""

from __future__ import annotations

import bz2
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import chain
from typing import BinaryIO

from corpusbuilder.errors import UserError
from corpusbuilder.source import Skipped
from sources.mediawiki_dump import Page, Site, open_dump, read_pages

INDEX_NAME = re.compile(r"-multistream(\d*)\.xml([^/\\]*\.bz2)$")  # X-multistream3.xml-p1p9.bz2
STREAM_MAGIC = b"BZh"
STREAM_START = re.compile(rb"BZh[1-9](?:1AY&SY|\x17rE8P\x90)")  # a block, or the end of stream
HEADER_LIMIT = 16 << 20  # the first stream holds the siteinfo: a few KB compressed
SITEINFO = re.compile(rb"<siteinfo\b")
FOOTER = b"</mediawiki>"


class IndexMismatch(UserError):
    """The multistream index does not describe its dump."""


def index_beside(dump: str) -> str | None:
    """Wikimedia's name for the index of `dump` (None if `dump` is not named as a multistream
    dump): ``X-multistream[N].xml[-pA].bz2`` → ``X-multistream-index[N].txt[-pA].bz2``."""
    if not INDEX_NAME.search(dump):
        return None
    return INDEX_NAME.sub(r"-multistream-index\1.txt\2", dump)


@dataclass(frozen=True)
class Stream:
    """One bz2 stream of pages: where it starts and the ids of its pages, as the index says."""

    offset: int
    ids: tuple[int, ...]


@dataclass(frozen=True)
class Part:
    """A worker's share of a dump: whole streams from byte `start` to `end` (None: to the end of
    the file, whose last stream closes the root element), behind the root's start tag."""

    path: str
    index: str
    opening: bytes
    site: Site
    start: int = 0
    end: int | None = None
    ids: tuple[int, ...] = ()  # the index's page ids, in order
    first: int = 1  # the position in the dump of the part's first page (1 for the dump's first)
    after: str | None = None  # resume: the pages up to this key were ingested before


def index_streams(lines: Iterable[bytes], index: str, dump: str) -> Iterator[Stream]:
    """The streams an index lists, in order; a line that is not ``offset:id:title`` or an
    offset that goes back is an `IndexMismatch`."""
    offset, ids = None, []
    for number, line in enumerate(lines, start=1):
        at, _, rest = line.partition(b":")
        page, _, title = rest.partition(b":")
        if not (at.isdigit() and page.isdigit() and title.strip()):
            raise IndexMismatch(
                f"{index}: line {number} is not offset:page_id:title ({line[:80]!r}); "
                f"give the multistream index of {dump} (*-multistream-index.txt.bz2)"
            )
        if offset is not None and int(at) != offset:
            if int(at) < offset:
                raise IndexMismatch(
                    f"{index}: line {number} goes back to byte {int(at)}; give the multistream"
                    f" index of {dump}"
                )
            yield Stream(offset, tuple(ids))
            ids = []
        offset = int(at)
        ids.append(int(page))
    if offset is not None:
        yield Stream(offset, tuple(ids))


def read_header(raw: BinaryIO, first: int, index: str, dump: str) -> bytes:
    """The XML of the first stream of `raw`, which must end at byte `first`, where the index's
    first stream starts."""
    data = raw.read(min(first, HEADER_LIMIT))
    decompressor = bz2.BZ2Decompressor()
    try:
        header = decompressor.decompress(data) if data.startswith(STREAM_MAGIC) else None
    except OSError:
        header = None
    if header is None or not decompressor.eof or decompressor.unused_data or len(data) != first:
        raise IndexMismatch(
            f"{index} does not match {dump}: its first stream does not end at byte {first}, "
            "where the index's first stream starts; give the dump's own index, or remove it to "
            "read the dump as one stream"
        )
    return header


def opening_of(header: bytes) -> bytes:
    """What precedes the siteinfo in the first stream: the root element's start tag."""
    found = SITEINFO.search(header)
    return header[: found.start()] if found else header


def parts(streams: Iterable[Stream], size: int, resume: str | None, like: Part) -> Iterator[Part]:
    """Parts `like` the one given, of whole streams holding at least `size` pages each, from
    the stream that holds page `resume` (none if no stream does) or from the first."""
    streams, position = iter(streams), 1
    if resume is not None:
        for stream in streams:
            if resume in map(str, stream.ids):
                streams = chain([stream], streams)
                break
            position += len(stream.ids)
        else:
            return
    run: list[Stream] = []
    for stream in chain(streams, [None]):
        if run and (stream is None or sum(len(s.ids) for s in run) >= size):
            ids = tuple(page for s in run for page in s.ids)
            end = stream.offset if stream else None
            yield replace(like, start=run[0].offset, end=end, ids=ids, first=position, after=resume)
            position, run, resume = position + len(ids), [], None
        if stream is not None:
            run.append(stream)


def read_part(part: Part, max_document_bytes: int) -> Iterator[Page | Skipped]:
    """The pages of `part` (after page `part.after`, when resuming), read from its own bytes;
    a final Skipped(``<dump URL>#offset-<start>``) if they stop being readable."""
    where = f"{part.site.location}#offset-{part.start}"
    with open(part.path, "rb") as raw, bz2.open(_Window(raw, part.start, part.end)) as body:
        xml = _Joined([io.BytesIO(part.opening), body, io.BytesIO(FOOTER if part.end else b"")])
        stream = open_dump(xml, max_document_bytes)  # plain XML, at most a revision's budget
        ids, whole, skipping = [], True, part.after is not None
        for record in read_pages(stream, part.site, part.first, where):
            whole &= isinstance(record, Page)
            ids += [record.id] if isinstance(record, Page) else []
            if not skipping:
                yield record
            skipping = skipping and not (isinstance(record, Page) and record.key == part.after)
    if whole and tuple(ids) != part.ids:
        found = f"pages {_span(ids)} where the index lists {_span(part.ids)}"
        raise IndexMismatch(_mismatch(part, f"the streams from byte {part.start} hold {found}"))


def check_bounds(raw: BinaryIO, part: Part) -> None:
    """Raise `IndexMismatch` unless a bz2 stream starts where `part` starts and ends."""
    for at in (part.start, part.end):
        raw.seek(at or 0)
        if at is not None and not STREAM_START.match(raw.read(10)):
            raise IndexMismatch(_mismatch(part, f"no bz2 stream starts at byte {at}"))


def _span(ids: tuple[int, ...] | list[int]) -> str:
    return f"{ids[0]}…{ids[-1]} ({len(ids)})" if ids else "none"


def _mismatch(part: Part, what: str) -> str:
    return (
        f"{part.index} does not match {part.path}: {what}; give the dump's own index, or "
        "remove it to read the dump as one stream"
    )


class _Window(io.RawIOBase):
    """The bytes of `raw` from `start` to `end` (None: to the end of the file)."""

    def __init__(self, raw: BinaryIO, start: int, end: int | None) -> None:
        super().__init__()
        raw.seek(start)
        self.raw, self.left = raw, None if end is None else end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        wanted = len(buffer) if self.left is None else min(len(buffer), self.left)
        data = self.raw.read(wanted)
        buffer[: len(data)] = data
        if self.left is not None:
            self.left -= len(data)
        return len(data)


class _Joined(io.RawIOBase):
    """The bytes of `parts`, one after the other, each given as soon as read (``read1``): the
    pages before a cut in a stream reach the parser before the error."""

    def __init__(self, parts: list[io.BufferedIOBase]) -> None:
        super().__init__()
        self.parts = parts

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self.parts:
            data = self.parts[0].read1(len(buffer))
            if data:
                buffer[: len(data)] = data
                return len(data)
            self.parts.pop(0)
        return 0
