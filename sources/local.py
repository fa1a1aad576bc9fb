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

A record that cannot be read — not JSON, nested too deep, a number of more than 4,300 digits,
not an object, or ``id``/``text``/``licence``/``url``/``title``/``creator``/``language`` of the
wrong type — is a ``malformed_record`` skip whose detail names the line (or sidecar) and the
field. A JSONL line without a usable id is keyed by its position, ``#line:N``
(`corpusbuilder.records.position_key`); a record whose own id begins with ``#`` is stored with
the ``#`` doubled, so it never takes a position key's place.
"""

from __future__ import annotations

import json
import unicodedata
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import Field

from corpusbuilder.fetch import Fetcher
from corpusbuilder.options import SourceOptions, checked
from corpusbuilder.records import MALFORMED, Malformed, clean_text, position_key, type_name
from corpusbuilder.source import (
    Item,
    LicenceEvidence,
    Skipped,
    SourceAdapter,
    SourceDocument,
    limited,
)


class LocalSource(SourceAdapter):
    name = "local"
    version = "1.0.0"

    class Options(SourceOptions):
        path: str = Field(
            min_length=1, description="a .jsonl file, or a folder of .txt files with .json sidecars"
        )
        licence: str | None = Field(
            None, description="the collection's terms, recorded beside each record's own statement"
        )
        url_prefix: str | None = Field(
            None,
            pattern=r"^https?://",
            description="where the texts are published: a record without `url` gets this + its id",
        )

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        super().__init__(checked(self, config))

    def documents(
        self, fetch: Fetcher, limit: int | None = None, resume: str | None = None
    ) -> Iterator[Item]:
        location = str(self.config["path"])
        is_folder = fetch.is_local(location) and fetch.path_for(location).is_dir()
        items = self._folder(fetch, location) if is_folder else self._jsonl(fetch, location)
        yield from limited(items, limit)

    def _jsonl(self, fetch: Fetcher, location: str) -> Iterator[Item]:
        with fetch.open(location) as stream:
            for number, raw in enumerate(stream, start=1):
                if not raw.strip():
                    continue
                where = f"{fetch.url_for(location)}#line={number}"
                key = position_key("line", number)
                try:
                    record = _parsed(raw)
                except Malformed as exc:
                    yield Skipped(key, MALFORMED, f"{where}: {exc}")
                    continue
                yield self._document(record, record.get("id"), where, key)

    def _folder(self, fetch: Fetcher, location: str) -> Iterator[Item]:
        root = fetch.path_for(location)
        for path_text in fetch.list_dir(location):
            path = Path(path_text)
            if path.suffix != ".txt":
                continue
            key = path.relative_to(root).as_posix()
            sidecar = path.with_suffix(".json")
            try:
                record = _parsed(fetch.read_bytes(str(sidecar))) if sidecar.exists() else {}
            except Malformed as exc:
                yield Skipped(key, MALFORMED, f"{sidecar}: {exc}")
                continue
            try:
                record["text"] = fetch.read_bytes(path_text).decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                yield Skipped(key, "undecodable_text", f"{path}: not UTF-8 ({exc.reason})")
                continue
            yield self._document(record, record.get("id", key), sidecar.as_uri(), key)

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
