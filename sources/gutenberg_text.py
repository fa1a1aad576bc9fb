"""Decoding and header/footer stripping of Project Gutenberg plain texts.

PG texts span three decades of conventions. Decoding: a BOM wins; otherwise strict UTF-8 is
tried first (Latin-1 text almost never validates as UTF-8); a declared non-Western charset is
tried next; everything else is read as cp1252, because PG's "ISO-8859-1" files often carry
Windows punctuation (curly quotes, dashes) in 0x80–0x9F, which Latin-1 would turn into invisible
C1 controls. cp1252 equals Latin-1 elsewhere; Latin-1 is the last resort for the five bytes cp1252
leaves undefined.

Stripping removes PG's boilerplate of every era, because PG's licence (section 1.C) lets a
public-domain work be redistributed freely "as long as all references to Project Gutenberg are
removed": the header (up to ``*** START OF THE/THIS PROJECT GUTENBERG EBOOK …`` or, in 1990s
Etexts, ``*END*THE SMALL PRINT! …``), PG production notes opening the body, and the
footer (from ``End of (the) Project Gutenberg …`` or ``*** END OF …`` to the end of the file,
which holds the licence).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

# A header ends after the last of these lines (before any footer line).
_HEADER_END = re.compile(
    r"\*+\s*START OF (THE |THIS )?(COPYRIGHTED )?PROJECT GUTENBERG"
    r"|\*+\s*END\*?\s*THE SMALL PRINT",
    re.IGNORECASE,
)
# A footer starts at the first of these lines after the header.
_FOOTER_START = re.compile(
    r"\*+\s*END OF (THE |THIS )?(COPYRIGHTED )?PROJECT GUTENBERG"
    r"|END OF (THE |THIS )?PROJECT GUTENBERG"
    r"|\*+\s*START\**\s*THE SMALL PRINT"
    r"|(\*+\s*)?START: FULL LICENSE",
    re.IGNORECASE,
)
_COPYRIGHTED = re.compile(r"\*+\s*START OF (THE |THIS )?COPYRIGHTED PROJECT GUTENBERG", re.I)
_CREDITS = re.compile(
    r"(Produced by|E-?text prepared by|This e-?(text|book) was (prepared|produced) by"
    r"|Transcribed by)",
    re.IGNORECASE,
)
_PG = re.compile(r"Project\s+Gutenberg", re.IGNORECASE)
_DECLARED = re.compile(rb"Cha\w*cter set encoding:[ \t]*([\w.:-]+)", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"))
_BOMS += ((codecs.BOM_UTF16_BE, "utf-16-be"),)
_WESTERN = {"ascii", "iso8859-1", "cp1252", "utf-8"}


@dataclass(frozen=True)
class Cleaned:
    """A decoded, normalised text with its boilerplate removed; `marked` says markers were found."""

    text: str
    marked: bool
    copyrighted: bool
    encoding: str


def declared_charset(data: bytes) -> str | None:
    """The header's "Character set encoding:" value (also PG's "Chatacter" typo), if any."""
    match = _DECLARED.search(data[:8192])
    return match.group(1).decode("ascii").lower() if match else None


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _utf8(data: bytes) -> str | None:
    """Strict UTF-8, tolerating a multi-byte sequence cut off at the very end (a truncated file)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
            return data[: exc.start].decode("utf-8")
        return None


def decode(data: bytes, declared: str | None = None) -> tuple[str, str] | None:
    """(text, codec used), or None for binary data (NUL bytes without a UTF-16 BOM)."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            if codec == "utf-8":
                text = _utf8(body)
                return (text, "utf-8-sig") if text is not None else _western(body)
            return body.decode(codec, errors="replace"), codec
    if b"\x00" in data:
        return None
    text = _utf8(data)
    if text is not None:
        return text, "utf-8"
    codec = _codec(declared)
    if codec and codec not in _WESTERN:
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            pass
    return _western(data)


def _western(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _bounds(lines: list[str]) -> tuple[int, int]:
    """(first line of the body, first line of the footer); (0, len) where no marker is found."""
    heads = [i for i, line in enumerate(lines) if _HEADER_END.match(line.lstrip())]
    feet = [i for i, line in enumerate(lines) if _FOOTER_START.match(line.lstrip())]
    first_foot = feet[0] if feet else len(lines)
    start = max((i + 1 for i in heads if i < first_foot), default=0)
    end = min((i for i in feet if i >= start), default=len(lines))
    return start, end


def _drop_credits(lines: list[str]) -> list[str]:
    """Drop the paragraphs opening the body that are PG's production notes: volunteers' credits
    ("Produced by …") or notes naming Project Gutenberg ("this Project Gutenberg edition")."""
    start = 0
    while True:
        first = next((i for i in range(start, len(lines)) if lines[i].strip()), len(lines))
        end = next((i for i in range(first, len(lines)) if not lines[i].strip()), len(lines))
        paragraph = " ".join(lines[first:end])
        if first == end or not (_CREDITS.match(paragraph.lstrip()) or _PG.search(paragraph)):
            return lines[start:]
        start = end


def strip_boilerplate(text: str) -> tuple[str, bool]:
    """(body, whether a header or footer marker was found)."""
    lines = text.split("\n")
    start, end = _bounds(lines)
    body = lines[start:end]
    if start > 0:
        body = _drop_credits(body)
    return "\n".join(body).strip(), (start, end) != (0, len(lines))


def clean(data: bytes, declared: str | None = None) -> Cleaned | None:
    """Decode `data` (`declared` from the catalog or file name), normalise it and strip it."""
    decoded = decode(data, declared_charset(data) or declared)
    if decoded is None:
        return None
    raw, encoding = decoded
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    body, marked = strip_boilerplate(text)
    copyrighted = any(_COPYRIGHTED.match(line.lstrip()) for line in text[:20000].split("\n"))
    return Cleaned(body, marked, copyrighted, encoding)
