"""Re-ingest an existing Hugging Face dataset (Common Corpus, a Common Pile source, …) row by row.

Licence rationale. Curated open corpora already carry the licence of every row: Common Corpus has
a ``license`` column per document; the Common Pile sources have a ``license`` field in their
``metadata`` column (map it as ``metadata.license``: a dotted name reads a nested field). That
value, mapped as ``columns.licence``, is the item-level evidence and is kept verbatim. The dataset
card's ``license:`` (YAML front matter of its README.md) states the terms of the collection as a
whole — often "cc-by-4.0" for the compilation, not for every row — so it is recorded as
``collection`` evidence beside the row's own statement; ``collection_licence`` in the config
replaces it when the card is wrong or absent. A row with neither is skipped
(``no_licence_evidence``). The adapter decides nothing: licences.yaml resolves the statements.

Config (``config_name`` is what ``datasets`` calls ``name``: the source's own ``name:`` is beside
it in the same mapping, and the dataset card's ``configs:`` list names them ``config_name``)::

    path: PleIAs/common_corpus      # a Hub dataset id, or a local folder or data file
    data_files: ..., config_name: ..., revision: ..., split: train   # to datasets.load_dataset
    columns: {text: text, id: identifier, licence: license, url: metadata.url, title: ...,
              creator: ..., date: ..., language: ...}         # text and id are required
    collection_licence: "CC-BY-4.0"                          # optional; else the card's license:
    checkpoint_every: 10000                                  # rows between resume checkpoints

I/O. A path that exists under the corpus folder (resolved by the fetcher's ``path_for``, never the
current directory), or starts with ``file://``, ``.``, ``/`` or ``~``, is local; anything else is a
Hub dataset id. For Hub datasets ``datasets`` and ``huggingface_hub`` do their own HTTP, which the
fetcher cannot wrap: they honour ``HF_ENDPOINT``, ``HF_TOKEN`` and ``HF_HUB_OFFLINE``, not the
fetcher's cache or rate limit. Rows are streamed (``streaming=True``), never downloaded whole.

A repeated id is yielded as read: ingest keeps the first occurrence (`repeated_source_key`),
across batches and resumed runs alike. A row without an id is keyed by its position, `#row:N`
(`records.position_key`), which no real id can equal.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field

from corpusbuilder.ingest.fetch import Fetcher, FetchError
from corpusbuilder.ingest.records import position_key
from corpusbuilder.options import SourceOptions, StrictOptions, checked
from corpusbuilder.source import (
    Checkpoint,
    Item,
    LicenceEvidence,
    Skipped,
    SourceAdapter,
    SourceDocument,
    limited,
    utc_now,
)

log = logging.getLogger(__name__)

OPTIONAL = ("url", "title", "creator", "date", "language")
CARD_FILE = "README.md"
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(\r?\n|\Z)", re.DOTALL)


def load_dataset(*args: Any, **kwargs: Any) -> Any:
    """`datasets.load_dataset`, imported on first use: `datasets` takes a second to import."""
    import datasets

    return datasets.load_dataset(*args, **kwargs)


def hf_hub_download(*args: Any, **kwargs: Any) -> str:
    """`huggingface_hub.hf_hub_download`, imported on first use (tests replace it)."""
    import huggingface_hub

    return huggingface_hub.hf_hub_download(*args, **kwargs)


def card_licences(card: str) -> list[str]:
    """The ``license:`` entries of a dataset card's YAML front matter; [] if absent or malformed."""
    match = _FRONT_MATTER.match(card.lstrip("\ufeff"))
    if not match:
        return []
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return []
    value = meta.get("license") if isinstance(meta, dict) else None
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if v is not None and str(v).strip()]


@dataclass(frozen=True)
class _Target:
    """Where the rows are: what to pass to `load_dataset`, and how locators name them."""

    load_path: str
    data_files: Any
    base: str  # file:// URI or hf://datasets/<repo>[@revision]
    local_card: Path | None  # None for Hub datasets


def _text_or_none(value: Any) -> str | None:
    """A metadata value as a stripped string; None when missing or blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _value(row: Mapping[str, Any], column: str) -> Any:
    """The row's `column`; a dotted name (``metadata.license``) reads a field of a nested column."""
    if column in row:
        return row[column]
    value: Any = row
    for part in column.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


Column = Annotated[str, Field(min_length=1)]


class Columns(StrictOptions):
    """Which dataset column holds each field; a dotted name reads a nested field."""

    text: Column = Field(description="the text")
    id: Column = Field(description="a stable id, unique in the dataset")
    licence: Column | None = Field(None, description="the row's licence statement")
    url: Column | None = Field(None, description="the origin URL")
    title: Column | None = Field(None, description="the title")
    creator: Column | None = Field(None, description="the author")
    date: Column | None = Field(None, description="the date")
    language: Column | None = Field(None, description="a language hint")


class HfDatasetSource(SourceAdapter):
    """Rows of a Hugging Face dataset, through `datasets` in streaming mode."""

    name = "hf_dataset"
    version = "1.0.0"

    class Options(SourceOptions):
        path: str = Field(min_length=1, description="a Hub dataset id, or a local folder or file")
        columns: Columns = Field(
            description="dataset column of each field: {text: …, id: …, licence: …, url: …}"
        )
        config_name: str | None = Field(
            None, description="the dataset's configuration (subset), `name` in load_dataset"
        )
        revision: str | None = Field(None, description="a Hub branch, tag or commit")
        split: str = Field("train", min_length=1, description="the split to read")
        data_files: str | list[str] | dict[str, str | list[str]] | None = Field(
            None, description="files of a folder or Hub repo to read, as in load_dataset"
        )
        collection_licence: str | None = Field(
            None, description="the collection's terms (default: the card's license:)"
        )
        checkpoint_every: int = Field(10_000, ge=1, description="rows between resume checkpoints")

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        super().__init__(checked(self, config))
        self.path = self.config["path"]
        self.columns = {key: column for key, column in self.config["columns"].items() if column}
        self.split = self.config["split"]
        self.collection_licence = _text_or_none(self.config["collection_licence"])
        self.checkpoint_every = self.config["checkpoint_every"]

    def documents(
        self, fetch: Fetcher, limit: int | None = None, resume: str | None = None
    ) -> Iterator[Item]:
        yield from limited(self._rows_from(fetch, _resume_index(resume)), limit)

    def _rows_from(self, fetch: Fetcher, start: int) -> Iterator[Item]:
        target = self._target(fetch)
        collection = self._collection_evidence(fetch, target)
        dataset = self._open(target)
        if start:
            dataset = dataset.skip(start)
        for index, row in _rows(dataset, start, target.base):
            if index == start:
                self._check_columns(row, target.base)
            yield self._item(index, row, collection, target.base)
            if (index + 1) % self.checkpoint_every == 0:
                yield Checkpoint(str(index + 1))

    def _target(self, fetch: Fetcher) -> _Target:
        data_files = self.config.get("data_files")
        if not _is_local(self.path, fetch):
            revision = self.config.get("revision")
            base = f"hf://datasets/{self.path}" + (f"@{revision}" if revision else "")
            return _Target(self.path, data_files, base, None)
        path = fetch.path_for(self.path).resolve()
        if path.is_file():
            if data_files is not None:
                raise ValueError(f"path {path} is a file; give its folder to use data_files")
            return _Target(str(path.parent), path.name, path.as_uri(), path.parent / CARD_FILE)
        if not path.is_dir():
            raise FetchError(f"{path} does not exist; give a local dataset folder or a Hub id")
        return _Target(str(path), data_files, path.as_uri(), path / CARD_FILE)

    def _open(self, target: _Target) -> Any:
        chosen = {"name": self.config["config_name"], "revision": self.config["revision"]}
        options = {key: value for key, value in chosen.items() if value}
        try:
            return load_dataset(
                target.load_path,
                data_files=target.data_files,
                split=self.split,
                streaming=True,
                **options,
            )
        except Exception as exc:  # datasets raises many types; all mean "cannot open it"
            raise FetchError(
                f"cannot open dataset {self.path!r} split {self.split!r}: {exc}; "
                "check path, data_files, config_name and split"
            ) from exc

    def _collection_evidence(self, fetch: Fetcher, target: _Target) -> tuple[LicenceEvidence, ...]:
        if self.collection_licence:
            locator = "config:hf_dataset.collection_licence"
            return (LicenceEvidence(self.collection_licence, locator, kind="collection"),)
        locator, card = self._read_card(fetch, target)
        retrieved_at = utc_now()
        return tuple(
            LicenceEvidence(statement, f"{locator}#license", "collection", retrieved_at)
            for statement in card_licences(card)
        )

    def _read_card(self, fetch: Fetcher, target: _Target) -> tuple[str, str]:
        """(locator, text) of the dataset card; empty text when it cannot be read."""
        if target.local_card is not None:
            locator = target.local_card.as_uri()
            try:
                return locator, fetch.read_bytes(str(target.local_card)).decode("utf-8", "replace")
            except FetchError:
                return locator, ""  # no card: the folder holds only data files
        from huggingface_hub import constants

        revision = self.config.get("revision")
        locator = f"{constants.ENDPOINT}/datasets/{self.path}/blob/{revision or 'main'}/{CARD_FILE}"
        try:
            path = hf_hub_download(self.path, CARD_FILE, repo_type="dataset", revision=revision)
            return locator, Path(path).read_text(encoding="utf-8", errors="replace")
        except Exception as exc:  # the card is optional evidence: any failure means "none"
            log.warning(
                "dataset card %s unreadable (%s); no collection licence evidence", locator, exc
            )
            return locator, ""

    def _check_columns(self, row: Mapping[str, Any], base: str) -> None:
        absent = {f: c for f, c in self.columns.items() if c.split(".")[0] not in row}
        if absent:
            raise ValueError(
                f"columns {absent} are not in {base}; its columns are: {', '.join(row)}; "
                "fix columns: in the hf_dataset config"
            )

    def _item(
        self,
        index: int,
        row: Mapping[str, Any],
        collection: tuple[LicenceEvidence, ...],
        base: str,
    ) -> Item:
        locator = f"{base}#split={self.split}&row={index}"
        key = _text_or_none(_value(row, self.columns["id"]))
        if key is None:
            return Skipped(
                position_key("row", index), "missing_id", f"{locator}: column id is empty"
            )
        text = _value(row, self.columns["text"])
        if text is not None and not isinstance(text, str):
            return Skipped(key, "bad_text_type", f"text is {type(text).__name__}, not a string")
        if text is None or not text.strip():
            return Skipped(key, "empty_text", f"{locator}: text column is empty")
        evidence = self._item_evidence(row, locator) + collection
        if not evidence:
            return Skipped(key, "no_licence_evidence", "no licence value and no card licence")
        meta = {f: _text_or_none(_value(row, c)) for f, c in self.columns.items() if f in OPTIONAL}
        return SourceDocument(
            source_key=key,
            text=unicodedata.normalize("NFC", text),
            url=meta.get("url") or locator,
            evidence=evidence,
            title=meta.get("title"),
            creator=meta.get("creator"),
            date=meta.get("date"),
            language_hint=meta.get("language"),
        )

    def _item_evidence(self, row: Mapping[str, Any], locator: str) -> tuple[LicenceEvidence, ...]:
        column = self.columns.get("licence")
        value = _value(row, column) if column else None
        if value is None or not str(value).strip():
            return ()
        statement = value if isinstance(value, str) else str(value)
        return (LicenceEvidence(statement, f"{locator}&column={column}", kind="item"),)


def _is_local(path: str, fetch: Fetcher) -> bool:
    if path.startswith(("file://", ".", "/", "~")):
        return True
    return "://" not in path and fetch.path_for(path).exists()


def _resume_index(resume: str | None) -> int:
    if resume is None:
        return 0
    if not resume.isdigit():
        raise ValueError(f"resume {resume!r} is not a row index from an hf_dataset checkpoint")
    return int(resume)


def _rows(dataset: Any, start: int, base: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """(row index, row) pairs; a read error names the row it stopped at."""
    index = start
    iterator = iter(dataset)
    while True:
        try:
            row = next(iterator)
        except StopIteration:
            return
        except Exception as exc:  # pyarrow/fsspec errors of a corrupt or vanished data file
            raise FetchError(f"cannot read {base} at row {index}: {exc}; check its files") from exc
        yield index, row
        index += 1
