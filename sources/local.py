"""Local texts: a JSONL file, or a folder of UTF-8 text files with JSON metadata sidecars.

Licence rationale: a local collection has no terms of its own, so every document must carry the
statement under which its author or publisher released it — the JSONL ``licence`` field or the
sidecar's ``licence`` — and that statement enters the ledger verbatim as item evidence. A
``licence`` key in the adapter config is the collection's terms ("all these texts are CC0-1.0")
and is recorded as collection evidence. The adapter never judges a statement; ``licences.yaml``
does.

JSONL: one object a line with ``id`` and ``text`` (required), ``licence``, ``url``, ``title``,
``creator``, ``date``, ``language``. Folder: ``name.txt`` with ``name.json`` beside it holding the
same keys except ``text`` (the id defaults to the path inside the folder).

``path`` may list several files or folders: each is a partition with its own checkpoint, and
one that cannot be read is an ``unreadable_partition`` skip while the others are ingested.
Checkpoints are positions: every ``checkpoint_every`` records, ``line N at byte B`` (the last
JSONL line done and the offset after it) or ``file <path>`` (the last text file done, in the
folder's sorted order); a resumed ingest seeks there instead of reading from the start. A JSONL
line or text file over ``max_document_bytes`` is a ``too_large`` skip, read in bounded chunks
and never held whole. Local files are read in parts by the engine's workers
(`sources.local_parts`): the driver only counts line ends or lists the folder, so on a cluster
the workers need the files at the same path. A JSONL file at a URL is read here, line by line,
and its lines parsed in the workers.

A record that cannot be read — not JSON, nested too deep, a number of more than 4,300 digits,
not an object, or ``id``/``text``/``licence``/``url``/``title``/``creator``/``language`` of the
wrong type — is a ``malformed_record`` skip whose detail names the line (or sidecar) and the
field. A JSONL line without a usable id is keyed by its position, ``#line:N``
(`corpusbuilder.ingest.records.position_key`), or ``#<path>:line:N`` when ``path`` lists several; a
record whose own id begins with ``#`` is stored with the ``#`` doubled, so it never takes a
position key's place.
"""

from __future__ import annotations

import bisect
import json
import logging
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import Field

from corpusbuilder.ingest.fetch import Fetcher, TooLarge
from corpusbuilder.ingest.partitions import PartitionedSource, PartitionNames, Unread
from corpusbuilder.ingest.records import (
    MALFORMED,
    TOO_LARGE,
    Malformed,
    clean_text,
    position_key,
    too_large,
    type_name,
)
from corpusbuilder.options import SourceOptions, checked
from corpusbuilder.source import (
    Checkpoint,
    Item,
    LicenceEvidence,
    Skipped,
    SourceDocument,
    Unparsed,
)
from sources.local_parts import (
    Line,
    LinePart,
    file_position,
    grouped,
    line_parts,
    line_position,
    lines,
    read_part,
    skip_to,
)

log = logging.getLogger(__name__)


class LocalSource(PartitionedSource):
    name = "local"
    version = "1.0.0"

    class Options(SourceOptions):
        path: PartitionNames = Field(
            description="a .jsonl file, or a folder of .txt files with .json sidecars; or a list"
            " of them (partitions, each with its own checkpoint)"
        )
        licence: str | None = Field(
            None, description="the collection's terms, recorded beside each record's own statement"
        )
        url_prefix: str | None = Field(
            None,
            pattern=r"^https?://",
            description="where the texts are published: a record without `url` gets this + its id",
        )
        checkpoint_every: int = Field(
            1000, ge=1, description="records between resume checkpoints (a line or file position)"
        )

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        super().__init__(checked(self, config))

    def partitions(self, fetch: Fetcher) -> list[str]:
        path = self.config["path"]
        return [path] if isinstance(path, str) else list(path)

    def read(
        self, fetch: Fetcher, partition: str, resume: str | None
    ) -> Iterator[Item | Unparsed | Unread]:
        if fetch.is_local(partition) and fetch.path_for(partition).is_dir():
            return self._folder(fetch, partition, file_position(resume))
        several = len(self.partitions(fetch)) > 1  # line numbers repeat from file to file
        kind = f"{partition}:line" if several else "line"
        return self._jsonl(fetch, partition, line_position(resume), kind)

    def _jsonl(
        self, fetch: Fetcher, location: str, start: tuple[int, int], kind: str
    ) -> Iterator[Item | Unparsed | Unread]:
        url = fetch.url_for(location)
        stream = fetch.open(location)
        try:
            if not skip_to(stream, start[1]):
                log.warning("%s changed since the interrupted ingest: reading it again", url)
                stream.close()
                stream, start = fetch.open(location), (0, 0)
            if fetch.is_local(location):  # the workers read the lines; here, only their ends
                reader = partial(self._part, url=url, kind=kind)
                yield from self._parts(stream, str(fetch.path_for(location)), start, reader)
            else:
                yield from self._streamed(stream, start, partial(self._line, url=url, kind=kind))
        finally:
            stream.close()

    def _parts(
        self, stream: BinaryIO, path: str, start: tuple[int, int], reader: Callable
    ) -> Iterator[Item | Unread]:
        every = self.config["checkpoint_every"]
        for part in line_parts(stream, path, *start, every):
            yield Unread(reader, part, part.last - part.after)
            if part.last % every == 0:
                yield Checkpoint(f"line {part.last} at byte {part.end}")

    def _streamed(
        self, stream: BinaryIO, start: tuple[int, int], parse: Callable
    ) -> Iterator[Item | Unparsed]:
        """The lines of a JSONL file at a URL, read here and parsed in the workers."""
        every = self.config["checkpoint_every"]
        for line in lines(stream, *start, self.config["max_document_bytes"]):
            if _holds_a_record(line):
                yield Unparsed(parse, line)
            if line.number % every == 0:
                yield Checkpoint(f"line {line.number} at byte {line.end}")

    def _part(self, part: LinePart, url: str, kind: str) -> Iterator[Item]:
        """The records of a part of a local JSONL file (in a worker)."""
        for line in read_part(part, self.config["max_document_bytes"]):
            if _holds_a_record(line):
                yield self._line(line, url, kind)

    def _line(self, line: Line, url: str, kind: str = "line") -> Item:
        where, key = f"{url}#line={line.number}", position_key(kind, line.number)
        if line.data is None:
            limit = self.config["max_document_bytes"]
            return Skipped(
                key, TOO_LARGE, too_large(where, limit, f"the line has {line.size} bytes")
            )
        try:
            record = _parsed(line.data)
        except Malformed as exc:
            return Skipped(key, MALFORMED, f"{where}: {exc}")
        return self._document(record, record.get("id"), where, key)

    def _folder(self, fetch: Fetcher, location: str, done: str | None) -> Iterator[Item | Unread]:
        """Parts of the folder's text files, each read by a worker; here, only their sizes."""
        root, every = fetch.path_for(location), self.config["checkpoint_every"]
        texts = [Path(p) for p in fetch.list_dir(location) if p.endswith(".txt")]
        keys = [path.relative_to(root).as_posix() for path in texts]
        before = 0 if done is None else bisect.bisect_right(keys, done)  # list_dir sorts
        files = zip(texts[before:], keys[before:], strict=True)
        for part in grouped(((file, _size(file[0])) for file in files), before, every):
            yield Unread(self._files, tuple(part.records), len(part.records))
            if part.last % every == 0:
                yield Checkpoint(f"file {part.records[-1][1]}")

    def _files(self, files: tuple[tuple[Path, str], ...]) -> Iterator[Item]:
        """The documents of a part of a folder (in a worker)."""
        fetch = Fetcher()  # local paths only: nothing of the driver's fetcher is needed
        for path, key in files:
            yield self._file(fetch, path, key)

    def _file(self, fetch: Fetcher, path: Path, key: str) -> Item:
        sidecar, limit = path.with_suffix(".json"), self.config["max_document_bytes"]
        try:
            if sidecar.exists():
                record = _parsed(fetch.read_bytes(str(sidecar), max_bytes=limit))
            else:
                record = {}
            record["text"] = fetch.read_bytes(str(path), max_bytes=limit).decode("utf-8-sig")
        except TooLarge as exc:
            return Skipped(key, TOO_LARGE, too_large(exc.location, limit, f"it has {exc.size}"))
        except Malformed as exc:
            return Skipped(key, MALFORMED, f"{sidecar}: {exc}")
        except UnicodeDecodeError as exc:
            return Skipped(key, "undecodable_text", f"{path}: not UTF-8 ({exc.reason})")
        return self._document(record, record.get("id", key), sidecar.as_uri(), key)

    def _document(self, record: dict, key: Any, where: str, position: str) -> Item:
        if key in (None, ""):
            return Skipped(position, "missing_id", f"{where}: no `id`")
        if isinstance(key, bool) or not isinstance(key, str | int):
            return Skipped(position, MALFORMED, f"{where}: `id` is {type_name(key)}, not str")
        key = str(key)
        problem = _wrong_types(record)
        if problem:
            return Skipped(key, MALFORMED, f"{where}: {problem}")
        text = record.get("text")
        if text is None or not text.strip():
            return Skipped(key, "empty_text", f"{where}: `text` is missing or blank")
        evidence = self._evidence(record, where)
        if not evidence:
            return Skipped(key, "missing_licence", f"{where}: no `licence` statement")
        prefix = self.config.get("url_prefix")
        url = record.get("url") or (prefix and prefix + urllib.parse.quote(_valid(key)))
        if not url:  # a local path is no origin a reader of the release can visit
            detail = f"{where}: no `url`, and the source sets no `url_prefix:`"
            return Skipped(key, "missing_url", detail)
        return SourceDocument(
            source_key=key,
            text=unicodedata.normalize("NFC", text),
            url=str(url),
            evidence=evidence,
            title=record.get("title"),
            creator=record.get("creator"),
            date=None if record.get("date") is None else str(record["date"]),
            language_hint=record.get("language"),
        )

    def _evidence(self, record: dict, where: str) -> tuple[LicenceEvidence, ...]:
        found = []
        if record.get("licence"):
            found.append(LicenceEvidence(str(record["licence"]), f"{where}/licence", "sidecar"))
        if self.config.get("licence"):
            locator = "corpus.yaml#sources/licence"
            found.append(LicenceEvidence(str(self.config["licence"]), locator, "collection"))
        return tuple(found)


STRING_FIELDS = ("text", "licence", "url", "title", "creator", "language")


def _size(path: Path) -> int:
    """The size of a text file, to weigh a part; one that cannot be read is said so by the
    worker reading it."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _holds_a_record(line: Line) -> bool:
    """A blank line is no record: it is passed over, as a JSONL reader does."""
    return line.data is None or bool(line.data.strip())


def _valid(key: str) -> str:
    """`key` as the ledger stores it (valid Unicode, NFC), so a URL made from it can be quoted."""
    return unicodedata.normalize("NFC", clean_text(key))


def _parsed(raw: bytes) -> dict:
    """One JSON object from `raw`; `Malformed` naming the problem for anything else.

    Python's json raises RecursionError for a value nested too deep and ValueError for a number
    of more than 4,300 digits: both are a malformed record, never a crash.
    """
    try:
        record = json.loads(raw.decode("utf-8-sig"))
    except RecursionError:
        raise Malformed("nested too deep to read") from None
    except ValueError as exc:  # also UnicodeDecodeError and JSONDecodeError
        raise Malformed(str(exc)) from None
    if not isinstance(record, dict):
        raise Malformed(f"not an object but a {type_name(record)}")
    return record


def _wrong_types(record: dict) -> str | None:
    """What is wrong with the types of `record`'s fields, if anything."""
    for name in STRING_FIELDS:
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            return f"`{name}` is {type_name(value)}, not str"
    date = record.get("date")
    if date is not None and (isinstance(date, bool) or not isinstance(date, str | int | float)):
        return f"`date` is {type_name(date)}, not str or number"
    return None
