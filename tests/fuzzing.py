"""Mutation fuzzing for the parsers: real samples changed the way broken files are broken.

Purely random bytes rarely get past a parser's first check, so every input here is a real sample
(or a file the project writes) with a few edits: bytes inserted, deleted, duplicated or repeated
many times, a tag renamed, an element copied, the end cut off, or a poison token put in (a NUL,
a lone surrogate escape, a 5,000-digit number, a BOM, an entity). Each parser's test then checks
that the input ended as documents, recorded skips or one clear one-line error, never anything
else. Every run is derandomized and its example count fixed, so CI time is bounded; `bounded`
asserts the memory a parse may take as a limit (tracemalloc's peak), hypothesis's deadline the
time of one example, `MAX_INPUT` the size of an input.
"""

from __future__ import annotations

import os
import re
import tracemalloc
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from corpusbuilder.errors import UserError
from corpusbuilder.ingest.records import checked
from corpusbuilder.source import Checkpoint, Skipped, SourceDocument

MAX_INPUT = 512 * 1024  # no mutated input is larger: bounded work per example
FUZZ = settings(
    derandomize=True,
    max_examples=int(os.environ.get("CORPUSBUILDER_FUZZ_EXAMPLES", "60")),  # more by hand
    deadline=timedelta(seconds=20),  # a hang or a quadratic parse; ~0.1 s is usual (2 cores)
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
POISON = [
    b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\\ud800", b"\\udfff", b"\xed\xa0\x80", b"\r",
    b"9" * 5000, b"&#0;", b"&#xD800;", b"&amp;", b"&undefined;", b"]]>", b"<![CDATA[x",
    b"<!DOCTYPE d [<!ENTITY e 'x'>]>", b"&e;", b"<?xml version='1.0'?>", b"\xc3", b"\xe2\x80",
    b'"', b"'", b"{", b"[", b"}", b"]", b":", b"- ", b"\t", b"&", b"*a", b"&a ", b"!!python/name:x",
    b"\n", b"<", b">", b"</", b"/>", b"=", b",", b"#", b"%", b"\\",
]  # fmt: skip
_TAG = re.compile(rb"</?([A-Za-z_][\w:.-]*)")


@st.composite
def mutated(draw: st.DrawFn, samples: list[bytes], max_edits: int = 4) -> bytes:
    """One of `samples` with 1 to `max_edits` edits, at most `MAX_INPUT` bytes."""
    data = draw(st.sampled_from(samples))
    for _ in range(draw(st.integers(1, max_edits))):
        data = draw(_edit(data))[:MAX_INPUT]
    return data


@st.composite
def _edit(draw: st.DrawFn, data: bytes) -> bytes:
    n = len(data)
    at = draw(st.integers(0, n))
    span = draw(st.integers(0, min(64, n - at)))
    piece = data[at : at + span]
    kind = draw(st.sampled_from(EDITS))
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
    if kind == "poison":
        return data[:at] + draw(st.sampled_from(POISON)) + data[at:]
    if kind == "delete":
        return data[:at] + data[at + max(span, 1) :]
    if kind == "duplicate":
        to = draw(st.integers(0, n))
        return data[:to] + piece + data[to:]
    if kind == "repeat":  # deep nesting, long fields, many elements
        times = draw(st.sampled_from([2, 50, 500, 5000]))
        return data[:at] + piece[:16] * times + data[at:]
    if kind == "truncate":
        return data[:at]
    if kind == "swap_tags":
        return _swap_tags(draw, data)
    return _copy_element(draw, data)


EDITS = ["insert", "poison", "delete", "duplicate", "repeat", "truncate", "swap_tags", "element"]


def _swap_tags(draw: st.DrawFn, data: bytes) -> bytes:
    """One tag's name replaced by another tag name found in the same document."""
    tags = list(_TAG.finditer(data))
    if len(tags) < 2:
        return data
    target = draw(st.sampled_from(tags))
    name = draw(st.sampled_from(tags)).group(1)
    return data[: target.start(1)] + name + data[target.end(1) :]


def _copy_element(draw: st.DrawFn, data: bytes) -> bytes:
    """The text from one tag to a later one (often a whole element) copied elsewhere."""
    tags = [m.start() for m in _TAG.finditer(data)]
    if len(tags) < 2:
        return data
    first = draw(st.integers(0, len(tags) - 2))
    last = draw(st.integers(first + 1, min(first + 40, len(tags) - 1)))
    to = draw(st.sampled_from(tags))
    return data[:to] + data[tags[first] : tags[last]] + data[to:]


class Tally:
    """What a parser made of its inputs, for the closing table (``FUZZ_REPORT=1``, ``-s``)."""

    def __init__(self) -> None:
        self.counts = {"inputs": 0, "documents": 0, "only skips": 0, "nothing": 0, "error": 0}

    def add(self, items: list, error: Exception | None) -> None:
        kinds = {type(i) for i in items if not isinstance(i, Checkpoint)}
        self.counts["inputs"] += 1
        if error is not None:
            self.counts["error"] += 1
        elif SourceDocument in kinds:
            self.counts["documents"] += 1
        else:
            self.counts["only skips" if kinds else "nothing"] += 1


TALLIES: dict[str, Tally] = {}


def tally(parser: str, items: list, error: Exception | None) -> None:
    TALLIES.setdefault(parser, Tally()).add(items, error)


def outcome(run: Callable[[], list]) -> tuple[list, Exception | None]:
    """The items `run` yields, and the clear error that ended it; anything else fails the test.

    Clear: a `UserError`, or a `ValueError` (how adapters refuse bad input; the CLI shows its
    message as an input error), on one line, and not a bare codec message that names no input.
    """
    items: list = []
    try:
        items.extend(run())
    except (UserError, ValueError) as exc:
        if isinstance(exc, UnicodeError):
            raise
        message = str(exc)
        assert message.strip() and "\n" not in message, f"not one line: {message!r}"
        return items, exc
    return items, None


def assert_storable(items: list) -> None:
    """Every item is a document, a skip with a reason or a checkpoint, and every document passes
    the core's own check (`corpusbuilder.ingest.records.checked`) unchanged in kind."""
    for position, item in enumerate(items):
        assert isinstance(item, SourceDocument | Skipped | Checkpoint), item
        if isinstance(item, Skipped):
            assert item.reason and item.reason.strip(), item
        elif isinstance(item, SourceDocument):
            result = checked(item, position)
            assert isinstance(result, SourceDocument), f"the core had to refuse {result}"


@contextmanager
def bounded(megabytes: int):
    """Fails the test if the block's peak Python allocation passes `megabytes`."""
    tracemalloc.start()
    try:
        yield
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < megabytes * 2**20, f"peak {peak / 2**20:.0f} MiB > {megabytes} MiB"


@contextmanager
def reported():
    """Prints every tally after the block when ``FUZZ_REPORT`` is set (run pytest with ``-s``)."""
    yield
    if os.environ.get("FUZZ_REPORT"):
        for parser, counts in sorted(TALLIES.items()):
            print(f"FUZZ {parser}: " + ", ".join(f"{k} {v}" for k, v in counts.counts.items()))
    TALLIES.clear()
