"""Partitioned sources: parts read and parsed in the engine's workers, each partition resumable.

An adapter that derives from `PartitionedSource` names its partitions (dump files, input files,
catalog slices, OAI-PMH sets and date ranges) and gives a cheap reader of each, which leaves the
costly work to the workers in one of two ways. It may yield `Unread` parts — lines of a local
JSONL file, files of a folder, bz2 streams of a multistream dump — found without reading their
records (line ends counted, a folder listed, an index read): a worker reads and parses each part
itself, so no record passes through the driver. Or, for what can only be read from its start (a
dump that is one bz2 stream, a file at a URL), it reads the records here and yields the costly
ones `Unparsed` (wikitext to text, JSON to a document, a book's text stripped), parsed in the
workers, `CHUNK` a task. The engine (`corpusbuilder.engines`) answers in order, with a bounded
window of tasks in flight: the driver sees the very items, in the very order, of a serial run, so
every `seq` and decision is the same with any number of workers, and it holds no more than that
window of any partition, however large. The window runs across partitions: the workers read the
first parts of the next partition while the driver writes the last of one. OAI-PMH sets and date
ranges are network-bound and read here, one request at a time.

Each partition has its own checkpoint. With one partition the checkpoint is the adapter's own
position, as before partitions existed; with several it is a JSON object naming the partitions
done and the position in the current one. The ledger is written in the order of a serial run,
so what an interrupted ingest committed is always whole partitions and the start of the next one
(whatever the workers had read ahead is read again): a resumed ingest skips the done ones,
restarts the current one from its position and the others from their start. With several
partitions, one that fails to read — in its reader here, or in a worker reading one of its parts
— is an `unreadable_partition` skip keyed ``#partition:<n>`` after the items it yielded, the
parts of it read ahead are dropped, and the others are ingested; with one, its error is the
source's, as always.
"""

from __future__ import annotations

import json
import os
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from itertools import chain
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from corpusbuilder.engines import Engine, open_engine
from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.ingest.records import position_key
from corpusbuilder.source import Checkpoint, Item, Skipped, SourceAdapter, Unparsed, limited

UNREADABLE = "unreadable_partition"
CHUNK = 16  # records a worker parses per task: enough to amortise the trip, and balanced
INLINE_ITEMS = 1000  # a source this small is parsed in this process when no worker count is set
# The most partitions an adapter cuts its source into by itself (catalog slices, date ranges):
# a checkpoint names every partition done, and one is written every few hundred records.
MAX_PARTITIONS = 1000
NonEmpty = Annotated[str, Field(min_length=1)]


def _distinct(value: str | list[str]) -> str | list[str]:
    if isinstance(value, list) and len(set(value)) < len(value):
        raise ValueError("each partition once: the list names one twice")
    return value


# An adapter option naming one partition (a file, a set), or a list of them.
PartitionNames = Annotated[
    NonEmpty | Annotated[list[NonEmpty], Field(min_length=1)], AfterValidator(_distinct)
]


class PartitionedSource(SourceAdapter):
    """An adapter whose source splits into partitions, each read by `read` from its own
    checkpoint; `documents` is the serial composition, for callers without an engine."""

    @abstractmethod
    def partitions(self, fetch: Fetcher) -> list[str]:
        """The partitions' names, in ingest order (stable: checkpoints name them)."""

    @abstractmethod
    def read(
        self, fetch: Fetcher, partition: str, resume: str | None
    ) -> Iterator[Item | Unparsed | Unread]:
        """The items of `partition` from `resume` (a Checkpoint value it yielded): costly
        records as `Unparsed`, or parts that a worker reads itself as `Unread`."""

    def documents(
        self, fetch: Fetcher, limit: int | None = None, resume: str | None = None
    ) -> Iterator[Item]:
        yield from limited(_closed(parsed(partition_items(self, fetch, resume), self, None)), limit)


@dataclass(frozen=True)
class Unread:
    """A part of a partition that a worker reads itself: `read(part)` gives its items, costly
    ones `Unparsed`. Both pickle small (a byte range, not bytes); `size` is about how many
    records it holds, so that a small source is still parsed in the driver."""

    read: Callable[[Any], Iterable[Item | Unparsed]]
    part: Any
    size: int


@dataclass(frozen=True)
class Parallel:
    """Where an ingest parses: on corpus.yaml's engine with `workers` (None: every core, and
    only for a source of more than `INLINE_ITEMS` items: a small one starts no pool, no Ray)."""

    workers: int | None = None
    engine: str = "local"
    address: str | None = None

    def open(self, adapter: SourceAdapter) -> AbstractContextManager[Engine]:
        workers = self.workers or os.cpu_count() or 1
        preload = [type(adapter).__module__]
        return open_engine(self.engine, workers, address=self.address, preload=preload)

    def inline_items(self) -> int:
        """How many items to read before starting workers: a small source never starts any."""
        return INLINE_ITEMS if self.workers is None else 0


def source_items(
    adapter: SourceAdapter,
    fetch: Fetcher,
    limit: int | None,
    resume: str | None,
    parallel: Parallel | None,
) -> Iterator[Item]:
    """What an ingest records of `adapter`: a partitioned one's items parsed on `parallel`'s
    engine (in this process without one), any other's `documents`."""
    if not isinstance(adapter, PartitionedSource):
        yield from adapter.documents(fetch, limit=limit, resume=resume)
        return
    items = parsed(partition_items(adapter, fetch, resume), adapter, parallel)
    yield from limited(_closed(items), limit)


def parse(item: Item | Unparsed) -> Item:
    return item.parse(item.raw) if isinstance(item, Unparsed) else item


def parse_all(item: Item | Unparsed | Unread) -> list[Item]:
    """The items `item` stands for, parsed: an `Unread` part's are read first."""
    if isinstance(item, Unread):
        return [parse(record) for record in item.read(item.part)]
    return [parse(item)]


def parse_chunk(chunk: list[Item | Unparsed | Unread]) -> list[Item]:
    """What a worker does: read the parts and parse the costly records of one chunk, pass the
    rest through."""
    return [done for item in chunk for done in parse_all(item)]


def parsed(
    items: Iterable[Item | Unparsed], adapter: SourceAdapter, parallel: Parallel | None
) -> Iterator[Item]:
    """`items` parsed, in order: in chunks on the engine, or here for a small source. Reading
    runs ahead of parsing: a reader's error is raised once every item before it is given."""
    reader = _Reader(items)
    records = iter(reader)
    head = _head(records, parallel.inline_items()) if parallel else []
    if parallel is None or sum(map(_size, head)) < parallel.inline_items():
        for item in chain(head, records):
            yield from parse_all(item)
    else:
        with parallel.open(adapter) as engine:
            for chunk in engine.map_batches(parse_chunk, _chunks(chain(head, records))):
                yield from chunk
    if reader.error is not None:
        raise reader.error


def _size(item: Item | Unparsed | Unread) -> int:
    return item.size if isinstance(item, Unread) else 1


def _head(records: Iterator, size: int) -> list:
    """The first records, up to `size` of them (a part counting as the records it holds)."""
    head, held = [], 0
    while held < size and (record := next(records, None)) is not None:
        head.append(record)
        held += _size(record)
    return head


class _Reader:
    """`items` until the first error, which is kept for the caller to raise in its turn."""

    def __init__(self, items: Iterable) -> None:
        self.items, self.error = items, None

    def __iter__(self) -> Iterator:
        try:
            yield from self.items
        except Exception as exc:  # Ctrl-C is not deferred: it stops the ingest at once
            self.error = exc


def _chunks(items: Iterator) -> Iterator[list]:
    """`CHUNK` records a task, and each `Unread` part a task of its own."""
    chunk = []
    for item in items:
        if isinstance(item, Unread):
            if chunk:
                yield chunk
            yield [item]
            chunk = []
            continue
        chunk.append(item)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def partition_items(
    adapter: PartitionedSource, fetch: Fetcher, resume: str | None
) -> Iterator[Item | Unparsed | Unread]:
    """Every partition's items from its checkpoint, with checkpoints that name the partition."""
    names = adapter.partitions(fetch)
    if len(names) == 1:  # the adapter's own position, as before partitions existed
        yield from adapter.read(fetch, names[0], resume)
        return
    done, current, position = _position(resume)
    finished: list[str] = []
    for number, name in enumerate(names, start=1):
        if name in done:
            finished.append(name)
            continue
        start = position if name == current else None
        for item in _guarded(adapter, fetch, name, start, number):
            if isinstance(item, Checkpoint):
                item = Checkpoint(_checkpoint(finished, name, item.value))
            elif isinstance(item, Unread):  # read in a worker: its failure is the partition's
                item = replace(item, read=_GuardedRead(item.read, name, number))
            yield item
        finished.append(name)
        yield PartitionDone(_checkpoint(finished, None, None))


@dataclass(frozen=True)
class PartitionDone(Checkpoint):
    """The checkpoint after the last item of a partition (of several)."""


def _guarded(
    adapter: PartitionedSource, fetch: Fetcher, name: str, resume: str | None, number: int
) -> Iterator[Item | Unparsed | Unread]:
    """The items of partition `name` (the `number`-th), then an `unreadable_partition` skip if
    reading them failed."""
    try:
        yield from adapter.read(fetch, name, resume)
    except Exception as exc:  # recorded, and the other partitions are read
        yield _unreadable(name, number, exc)


@dataclass(frozen=True)
class _GuardedRead:
    """The reader of a part of partition `name` (the `number`-th of several): a failure, in a
    worker or here, ends the part with the partition's `unreadable_partition` skip."""

    read: Callable[[Any], Iterable[Item | Unparsed]]
    name: str
    number: int

    def __call__(self, part: Any) -> Iterator[Item | Unparsed]:
        try:
            yield from self.read(part)
        except Exception as exc:  # recorded, and the other partitions are read
            yield _unreadable(self.name, self.number, exc)


def _unreadable(name: str, number: int, exc: Exception) -> Skipped:
    detail = f"partition {name}: {type(exc).__name__}: {exc}"[:2000]
    return Skipped(position_key("partition", number), UNREADABLE, detail)


def _closed(items: Iterable[Item]) -> Iterator[Item]:
    """`items` but those of a partition after its `unreadable_partition` skip: the parts of it
    that the workers read ahead of a part that failed."""
    failed = False
    for item in items:
        if failed and not isinstance(item, PartitionDone):
            continue
        failed = isinstance(item, Skipped) and item.reason == UNREADABLE
        yield item


def _checkpoint(done: list[str], current: str | None, position: str | None) -> str:
    return json.dumps({"done": done, "partition": current, "at": position}, ensure_ascii=False)


def describe(resume: str | None) -> str | None:
    """A checkpoint as a reader says it: several partitions' JSON state in words ("1 of its
    partitions done; b.jsonl from line 5 at byte 60"), a one-partition position as it is."""
    done, current, position = _position(resume)
    if not done and current is None:
        return resume
    said = [f"{len(done)} of its partitions done"]
    if current is not None:
        said.append(f"{current} from {position}" if position else f"{current} from its start")
    return "; ".join(said)


def _position(resume: str | None) -> tuple[set[str], str | None, str | None]:
    """(partitions done, the current one, its position) of a checkpoint of `_checkpoint`."""
    if resume is None:
        return set(), None, None
    try:
        state = json.loads(resume)
        return set(state["done"]), state["partition"], state["at"]
    except (ValueError, TypeError, KeyError):  # a position of a one-partition run: start over
        return set(), None, None
