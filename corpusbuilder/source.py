"""The contributor contract: what a source adapter yields.

An adapter *reports* what it found — the text, where it came from and the licence statements it
read, verbatim — and never decides whether a licence is acceptable: `licences.yaml` does that.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from corpusbuilder.ingest.fetch import Fetcher


def utc_now() -> datetime:
    """The one clock of the project: timezone-aware UTC, never naive."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class LicenceEvidence:
    """One licence statement as found, with where and how it was read.

    `statement` is verbatim (never normalised); `locator` names the document and field it was read
    from (e.g. ``https://www.gutenberg.org/ebooks/2701.rdf#dcterms:rights``); `kind` says how it was
    established: ``item`` (stated on the item itself), ``collection`` (the terms of the whole
    collection or wiki), ``sidecar`` (a metadata file supplied with the texts).
    `jurisdiction` records a territorial limit of the claim ("US" for "Public domain in the USA.").
    """

    statement: str
    locator: str
    kind: str = "item"
    retrieved_at: datetime = field(default_factory=utc_now)
    jurisdiction: str | None = None


@dataclass(frozen=True)
class SourceDocument:
    """A text an adapter found, with its origin and licence evidence."""

    source_key: str
    text: str
    url: str
    evidence: tuple[LicenceEvidence, ...]
    title: str | None = None
    creator: str | None = None
    date: str | None = None
    language_hint: str | None = None


@dataclass(frozen=True)
class Skipped:
    """An item the adapter saw but could not or would not yield; `reason` is a snake_case code."""

    source_key: str
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class Checkpoint:
    """A resume point (e.g. an OAI-PMH resumptionToken): everything yielded before it is complete.

    The ingest stores it after committing what came before; a resumed run passes it back as
    `resume` to `documents`.
    """

    value: str


Item = SourceDocument | Skipped | Checkpoint


@dataclass(frozen=True)
class Unparsed:
    """A record read but not yet made into an item: `parse(raw)` gives its SourceDocument or
    Skipped. A partitioned adapter's reader yields it so that the costly part runs in the
    engine's workers; `parse` is pure and picklable (a module-level function, or a bound method
    or dataclass instance whose state pickles)."""

    parse: Callable[[Any], SourceDocument | Skipped]
    raw: Any


def limited(items: Iterable[Item], limit: int | None) -> Iterator[Item]:
    """`items` up to and including the `limit`-th SourceDocument (all of them for None).

    Adapters wrap their stream in it, so `limit` means the same in every adapter.
    """
    if limit is None:
        yield from items
        return
    produced = 0
    for item in items if limit > 0 else ():
        yield item
        produced += isinstance(item, SourceDocument)
        if produced >= limit:
            return


class SourceAdapter(ABC):
    """Base of every adapter. Subclasses set `name` and `version` and implement `documents`.

    `config` is the adapter's section of ``corpus.yaml`` (or ``--option key=value`` on the command
    line); adapters validate it in ``__init__`` and raise ``ValueError`` saying what to fix.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    # What the adapter removes or rewrites from what it reads (None: the text as published), so
    # a licence that asks to indicate changes (CC BY 4.0, 3(a)(1)(B)) gets its notice.
    text_edits: ClassVar[str | None] = None

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.config: dict[str, Any] = dict(config or {})

    @abstractmethod
    def documents(
        self, fetch: Fetcher, limit: int | None = None, resume: str | None = None
    ) -> Iterator[Item]:
        """Yield every item of the source, at most `limit` documents, from `resume` if given."""
