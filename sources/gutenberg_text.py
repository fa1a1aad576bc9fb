"""Decoding and header/footer stripping of Project Gutenberg plain texts.

PG texts span three decades of conventions. Decoding: a BOM wins; otherwise strict UTF-8 is
tried first (Latin-1 text almost never validates as UTF-8); a declared non-Western charset is
tried next; everything else is read as cp1252, because PG's "ISO-8859-1" files often carry
Windows punctuation (curly quotes, dashes) in 0x80–0x9F, which Latin-1 would turn into invisible
C1 controls. cp1252 equals Latin-1 elsewhere; Latin-1 is the last resort for the five bytes cp1252
leaves undefined.

Stripping removes PG's boilerplate of every era, because PG's licence (section 1.C) lets a
public-domain work be redistributed freely "as long as all references to Project Gutenberg are
removed". The body starts after the last header marker and ends at the first footer marker after
it. Header markers: ``*** START OF THE/THIS PROJECT GUTENBERG EBOOK …`` (2000s–today, also
``***START OF``) and the end of the 1990s "small print" (``*END*THE SMALL PRINT! FOR PUBLIC
DOMAIN ETEXTS*Ver.04.29.93*END*``, ``*END THE SMALL PRINT! …``, ``["Small Print" V.…]``) when it
comes before any closing line — a 1990s Etext has no START line, its header *is* the small
print. Footer markers: ``*** END OF …``, ``START: FULL LICENSE``, the start of a small print that
follows the body (``***START**THE SMALL PRINT!**…``, 2000–2004 eBooks), and the closing line,
in English or in the book's language (``End of (the) Project Gutenberg …``, ``Ende dieses
Projekt Gutenberg Etextes …``, ``Fin du Projet Gutenberg …``, ``Fine del Progetto Gutenberg …``,
``Fin del Proyecto Gutenberg …``). PG production notes opening the body go too. What is left may
still be mostly boilerplate (a header variant no marker names): `Cleaned.mostly_boilerplate`
lets the adapter skip it rather than release PG's notices as a book.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

# Where the body may start (after the last of these before the footer) …
_HEADER_END = re.compile(
    r"\*+\s*START OF (THE |THIS )?(COPYRIGHTED )?PROJECT GUTENBERG",
    re.IGNORECASE,
)
_SMALL_PRINT_END = re.compile(
    r"\**\s*END[*\s]*THE SMALL PRINT|[^\n]*SMALL PRINT[^\n]*\*END\*|\[\"Small Print\" V\.",
    re.IGNORECASE,
)
# … and where it ends (the first of these after the start).
_CLOSING = re.compile(
    r"\*+\s*END OF (THE |THIS )?(COPYRIGHTED )?PROJECT GUTENBERG"
    r"|(\*+\s*)?START: FULL LICEN[CS]E"
    r"|(THE\s+)?(END|ENDE|FIN|FINE|FINAL)\s+([^\W\d_]+\s+){0,3}?"
    r"(PRO(JECT|JEKT|JET|GETTO|YECTO|JECTO|JETO)\s+GUTENBER|E-?TEXT)",
    re.IGNORECASE,
)
_SMALL_PRINT_START = re.compile(r"\**\s*START\W*THE SMALL PRINT", re.IGNORECASE)
_COPYRIGHTED = re.compile(r"\*+\s*START OF (THE |THIS )?COPYRIGHTED PROJECT GUTENBERG", re.I)
_CREDITS = re.compile(
    r"(Produced by|E-?text prepared by|This e-?(text|book) was (prepared|produced) by"
    r"|Transcribed by)",
    re.IGNORECASE,
)
_PG = re.compile(r"Project\s+Gutenberg", re.IGNORECASE)
# Words of PG's notices (not of books): a paragraph holding one is counted as boilerplate.
_NOTICE = re.compile(
    r"Project\s+Gutenberg|Gutenberg-tm|\be-?(texts?|books?)\b|small print|gutenberg\.(org|net)"
    r"|\bdonations?\b|\bFTP\b|Michael S\. Hart",
    re.IGNORECASE,
)
MOSTLY = 0.5  # share of the kept characters in notice paragraphs above which nothing is a book
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

    @property
    def boilerplate(self) -> float:
        """Share of the text's characters in paragraphs naming PG, etexts, donations…; 1.0 if
        nothing is left."""
        paragraphs = [p for p in re.split(r"\n\s*\n", self.text) if p.strip()]
        total = sum(len(p) for p in paragraphs)
        notices = sum(len(p) for p in paragraphs if _NOTICE.search(p))
        return notices / total if total else 1.0

    @property
    def mostly_boilerplate(self) -> bool:
        """Markers were found and what they left is empty or mostly PG's notices."""
        return self.marked and self.boilerplate > MOSTLY


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


def _lines(lines: list[str], pattern: re.Pattern) -> list[int]:
    return [i for i, line in enumerate(lines) if pattern.match(line.lstrip())]


def _bounds(lines: list[str]) -> tuple[int, int]:
    """(first line of the body, first line of the footer); (0, len) where no marker is found.

    The end of a small print opens the body only before any closing line: after one it ends a
    small print that follows the body. A small print's start closes the body only after a header
    marker: before one it opens the 1990s header that the small print's end closes.
    """
    closings = _lines(lines, _CLOSING)
    first_closing = closings[0] if closings else len(lines)
    heads = _lines(lines, _HEADER_END)
    heads += [i for i in _lines(lines, _SMALL_PRINT_END) if i < first_closing]
    feet = closings + _lines(lines, _SMALL_PRINT_START)
    first_head = min(heads, default=-1)
    first_foot = min((i for i in feet if i > first_head), default=len(lines))
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
