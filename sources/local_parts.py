"""A local source's files read in parts, each part by an engine's worker.

The driver only finds where the parts begin — it counts the line ends of a JSONL file, reading
at memory speed and keeping no line, or lists a folder's files — and a worker reads and parses
its own part: no record passes through the driver, only the documents they become. A part is
whole lines (or files), at most `PART_RECORDS` of them and about `PART_BYTES`, and never runs
past a multiple of ``checkpoint_every``, so the checkpoints are those of a serial read and a
resumed ingest starts where the serial one would. A JSONL line is read in bounded chunks
wherever it is read (`lines`), so a line over ``max_document_bytes`` is never held whole.
The positions the checkpoints hold are read here too (`line_position`, `file_position`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, TypeVar

from corpusbuilder.ingest.fetch import FetchError

PART_RECORDS = 256  # lines or files a task: enough to amortise the trip to a worker
PART_BYTES = 4 << 20  # and about this many bytes, so a window of parts stays small in memory
CHUNK = 1 << 20  # bytes read at once, scanning a file or reading on through a long line
Record = TypeVar("Record")
LINE_POSITION = re.compile(r"line (\d+) at byte (\d+)")
log = logging.getLogger(__name__)


def line_position(resume: str | None) -> tuple[int, int]:
    """(line, byte offset after it) of a ``line N at byte B`` checkpoint; (0, 0) for none."""
    if resume is None:
        return 0, 0
    match = LINE_POSITION.fullmatch(resume)
    if match is None:  # the source's path was changed from a folder: start again
        log.warning("%r is no JSONL position: reading the file from its start", resume)
        return 0, 0
    return int(match.group(1)), int(match.group(2))


def file_position(resume: str | None) -> str | None:
    """The last file done of a ``file <path>`` checkpoint."""
    if resume is None:
        return None
    if not resume.startswith("file "):  # the source's path was changed from a file
        log.warning("%r is no folder position: reading the folder from its start", resume)
        return None
    return resume.removeprefix("file ")


@dataclass(frozen=True)
class Line:
    """One JSONL line: its number, the byte offset after it, its bytes (None: over the limit)."""

    number: int
    end: int
    data: bytes | None
    size: int


@dataclass(frozen=True)
class LinePart:
    """Lines `after` + 1 … `last` of the local file `path`: bytes `start` to `end`."""

    path: str
    after: int
    start: int
    last: int
    end: int


def lines(stream: BinaryIO, number: int, end: int, limit: int) -> Iterator[Line]:
    """The lines after line `number`, which ends at byte `end`, none read past `limit` bytes:
    a longer one is read on in chunks and given as its size alone."""
    while raw := stream.readline(limit + 1):
        number, end, size = number + 1, end + len(raw), len(raw)
        if len(raw) <= limit or raw.endswith(b"\n"):
            yield Line(number, end, raw, size)
            continue
        while raw and not raw.endswith(b"\n"):
            raw = stream.readline(CHUNK)
            end, size = end + len(raw), size + len(raw)
        yield Line(number, end, None, size)


def skip_to(stream: BinaryIO, offset: int) -> bool:
    """Move `stream` to `offset`; False if no line ends just before it (the file changed)."""
    if offset == 0:
        return True
    if stream.seekable():
        stream.seek(offset - 1)
        return stream.read(1) == b"\n"
    left, last = offset, b""  # a stream from a URL: read up to the offset
    while left and (chunk := stream.read(min(left, CHUNK))):
        left, last = left - len(chunk), chunk[-1:]
    return last == b"\n"


def line_parts(
    stream: BinaryIO, path: str, number: int, end: int, every: int
) -> Iterator[LinePart]:
    """The parts of the lines of `stream` after line `number`, which ends at byte `end` (where
    `stream` stands), found without keeping a line."""
    start = end
    for group in grouped(_sized(_line_ends(stream, end), end), number, every):
        end = group.records[-1]
        yield LinePart(path, group.last - len(group.records), start, group.last, end)
        start = end


def read_part(part: LinePart, limit: int) -> Iterator[Line]:
    """The lines of `part`, read from its own bytes (in a worker); a file that no longer has
    them there is a FetchError."""
    with open(part.path, "rb") as stream:
        stream.seek(part.start)
        for line in lines(stream, part.after, part.start, limit):
            if line.end > part.end:
                break
            yield line
            if line.end == part.end and line.number == part.last:
                return
    raise FetchError(
        f"{part.path} changed while it was read: lines {part.after + 1}-{part.last} are no"
        f" longer at bytes {part.start}-{part.end}; ingest it again"
    )


@dataclass(frozen=True)
class Group:
    """Records of one part, and the number of its last record in the whole file or folder."""

    records: list
    last: int


def grouped(records: Iterable[tuple[Record, int]], number: int, every: int) -> Iterator[Group]:
    """`records` (each with its size in bytes), numbered from `number` + 1, in parts: at most
    `PART_RECORDS`, about `PART_BYTES` (the record that reaches it closes the part), and none
    across a multiple of `every`."""
    part, size = [], 0
    for record, bytes_ in records:
        part.append(record)
        number, size = number + 1, size + bytes_
        if len(part) == PART_RECORDS or size >= PART_BYTES or number % every == 0:
            yield Group(part, number)
            part, size = [], 0
    if part:
        yield Group(part, number)


def _sized(ends: Iterator[int], start: int) -> Iterator[tuple[int, int]]:
    """Each line's end offset with its size, from the offsets after each line."""
    for end in ends:
        yield end, end - start
        start = end


def _line_ends(stream: BinaryIO, offset: int) -> Iterator[int]:
    """The byte offset after each line of `stream` (standing at `offset`), the last line's
    even without its newline."""
    at = last = offset
    while block := stream.read(CHUNK):
        found = block.find(b"\n")
        while found >= 0:
            last = at + found + 1
            yield last
            found = block.find(b"\n", found + 1)
        at += len(block)
    if at > last:
        yield at
