"""Multistream dumps written as Wikimedia writes them, for the tests and bench/ingest_scaling.py.

A port of ``recompressxml --pagesperstream N --buildindex`` (wikimedia/operations-dumps-mwbzutils),
which the dumps run on the decompressed ``pages-articles`` XML: it reads the XML line by line; the
first bz2 stream takes the lines up to and including ``</siteinfo>``; then each stream takes lines
until its N-th line that is ``</page>`` or ``</mediawiki>`` (leading spaces ignored), so the
closing ``</mediawiki>`` ends the last page stream, or is a stream of its own when the pages fill
it; and for each page, on seeing ``<page>``, then ``<title>(.+)</title>``, then ``<id>(\\d+)</id>``,
it writes the index line ``offset:id:title``, `offset` being where the current stream starts in
the output and the title left as escaped in the XML.
"""

from __future__ import annotations

import bz2
import re
from pathlib import Path

TITLE = re.compile(rb"<title>(.+)</title>\n")
PAGE_ID = re.compile(rb"<id>([0-9]+)</id>\n")
BLOCK_ENDS = (b"</page>\n", b"</mediawiki>\n")


def recompress(xml: bytes, pages_per_stream: int = 100) -> tuple[bytes, bytes]:
    """The multistream dump and its (uncompressed) index, from a dump's decompressed XML."""
    lines = iter(xml.splitlines(keepends=True))
    header = []
    for line in lines:
        header.append(line)
        if line.lstrip(b" ") == b"</siteinfo>\n":
            break
    out, index = bytearray(bz2.compress(b"".join(header))), []
    stream, blocks, want, title = [], 0, "page", b""
    for line in lines:
        bare = line.lstrip(b" ")
        if want == "page" and bare == b"<page>\n":
            want = "title"
        elif want == "title" and (found := TITLE.fullmatch(bare)):
            want, title = "id", found[1]
        elif want == "id" and (found := PAGE_ID.fullmatch(bare)):
            want = "page"
            index.append(b"%d:%s:%s\n" % (len(out), found[1], title))
        stream.append(line)
        if bare in BLOCK_ENDS:
            blocks += 1
            if blocks % pages_per_stream == 0:
                out += bz2.compress(b"".join(stream))
                stream = []
    if stream:
        out += bz2.compress(b"".join(stream))
    return bytes(out), b"".join(index)


def write_multistream(
    dump: Path, folder: Path, stem: str, pages_per_stream: int = 100
) -> tuple[Path, Path]:
    """`dump` (bz2) re-packed in `folder` under Wikimedia's names,
    ``<stem>-multistream.xml.bz2`` and ``<stem>-multistream-index.txt.bz2``."""
    data, index = recompress(bz2.decompress(dump.read_bytes()), pages_per_stream)
    path = folder / f"{stem}-multistream.xml.bz2"
    index_path = folder / f"{stem}-multistream-index.txt.bz2"
    path.write_bytes(data)
    index_path.write_bytes(bz2.compress(index))
    return path, index_path
