"""Takedowns: a document someone asks to remove leaves every later release, with its copies and
the reason kept.

A selector names a doc_id, a text sha256, or an origin URL. The takedown holds what it resolved
to (the documents and the sha256 of their texts), so it keeps holding when the source
changes a text or a URL. It takes down the named documents and the copies of their texts: exact
copies under other ids, and near copies as curation's near-dedup finds them (same MinHash settings
and threshold); otherwise taking down the kept copy would promote its duplicate into the next
release. `--only` takes down the named documents alone. A selector that matches nothing is
refused unless it is `--pre-emptive`: then it applies when a matching document arrives.

Nothing undoes a takedown: a takedown waits for a running curation (the corpus lock), the ledger
never writes a curation's decision over a taken-down document, and curation applies every
recorded takedown again when it starts (`reapply`) and to the near copies among what it keeps
(`HeldCopies`). Frozen releases are not rewritten: publish a new version without it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from corpusbuilder.errors import UserError
from corpusbuilder.ledger import Ledger, TakedownRecord, decision_row
from corpusbuilder.reasons import Reason, Status
from corpusbuilder.source import utc_now
from corpusbuilder.takedown_content import Content

COMPONENT = "takedown_v2"
NAMED, EXACT, NEAR = "named", "exact_copy", "near_copy"


class NoMatch(UserError):
    """A selector that matches no document, and was not meant for the future."""


@dataclass
class Held:
    """What a takedown holds besides its selector: the documents it named, by id (so it holds
    when their text or URL changes), and their texts by sha256 (→ the doc_id it was read from).
    Not their URLs: several documents may share one (a collection's page), and a takedown by
    URL matches its selector anyway."""

    doc_ids: set[str] = field(default_factory=set)
    texts: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, data: dict | None) -> Held:
        data = data or {}
        return cls(set(data.get("doc_ids", ())), dict(data.get("texts", {})))

    def dump(self) -> dict:
        return {"doc_ids": sorted(self.doc_ids), "texts": dict(sorted(self.texts.items()))}

    def grow(self, named: Iterable[Any], texts: bool) -> bool:
        """Hold the named documents (and their texts, unless `--only`); return whether it grew."""
        before = self.dump()
        for row in named:
            self.doc_ids.add(row.doc_id)
            if texts:
                for sha in (row.text_sha256, row.raw_sha256):
                    if sha:
                        self.texts.setdefault(sha, row.doc_id)
        return self.dump() != before


@dataclass(frozen=True)
class Taken:
    """A document a takedown removed, and how it matched."""

    doc_id: str
    match: str = NAMED
    copy_of: str | None = None
    similarity: float | None = None

    def how(self) -> str:
        """'' for a named document, else `near copy of X, similarity 0.91`."""
        if self.match == NAMED:
            return ""
        kind = "exact" if self.match == EXACT else "near"
        return f"{kind} copy of {self.copy_of}, similarity {self.similarity}"


@dataclass
class TakedownResult:
    takedown_id: int
    named: list[str]  # every document the selector names, taken down now or before
    taken: list[Taken]  # what this takedown took down now

    def summary(self) -> str:
        """The one line `corpusbuilder takedown` answers with."""
        if self.taken:
            listed = ", ".join(f"{t.doc_id} ({t.how()})" if t.how() else t.doc_id
                               for t in self.taken)  # fmt: skip
            return f"taken down: {listed}; release a new version to publish the removal"
        if self.named:
            return f"already taken down: {', '.join(self.named)}; the takedown is recorded"
        return (
            f"recorded pre-emptive takedown #{self.takedown_id}: it applies when a matching"
            " document arrives (at the next curate)"
        )


def take_down(
    ledger: Ledger,
    selector: str,
    reason: str,
    content: Content | None = None,
    *,
    only: bool = False,
    pre_emptive: bool = False,
) -> TakedownResult:
    """Record a takedown and apply it (near copies too when `content` is given)."""
    if not reason.strip():
        raise ValueError("say why: `--reason` is kept with the takedown and shown by audit")
    named = ledger.named_documents(selector)
    if not named and not pre_emptive:
        raise NoMatch(
            f"no document matches {selector!r} (a doc_id, text sha256 or origin URL): check it"
            " with `corpusbuilder audit`, or pass --pre-emptive to hold it for documents that"
            " arrive later"
        )
    held = Held()
    held.grow(named, texts=not only)
    takedown = ledger.add_takedown(selector, reason, only_named=only, pre_emptive=pre_emptive,
                                   held=held.dump())  # fmt: skip
    run_id = ledger.start_run("takedown")
    try:
        taken = _apply(ledger, run_id, takedown, content)
    except BaseException as exc:
        ledger.abort_run(run_id, {}, exc)
        raise
    ledger.finish_run(run_id, "completed", {"taken_down": len(taken)})
    return TakedownResult(takedown.id, [row.doc_id for row in named], taken)


def reapply(ledger: Ledger, run_id: int) -> list[str]:
    """Apply every recorded takedown again, by name and exact copy (curation starts with it:
    an ingest may have re-added a document, changed its text or brought a copy)."""
    return [t.doc_id for takedown in ledger.takedowns() for t in _apply(ledger, run_id, takedown)]


class HeldCopies:
    """The texts the takedowns hold (but `--only` ones) and their copies among what near-dedup
    compares, checked a chunk at a time (`copies`, `take`) and taken down at the end (`write`)."""

    def __init__(self, ledger: Ledger, content: Content) -> None:
        self.ledger, self.content = ledger, content
        self.texts: dict[str, tuple[TakedownRecord, str]] = {}
        for takedown in ledger.takedowns():
            if not takedown.only_named:
                for sha, doc_id in Held.load(takedown.held).texts.items():
                    self.texts.setdefault(sha, (takedown, doc_id))
        self.held, self.held_sigs = [], None
        if content.config is not None and self.texts:
            self.held, self.held_sigs = content.signatures_of(list(self.texts))
        self.found: dict[int, tuple[TakedownRecord, list[Taken]]] = {}

    def copies(self, sigs) -> dict[int, tuple[str, float]]:
        """Row of `sigs` → (the held text's sha256, similarity), for the rows that copy one."""
        return self.content.near_signed(self.held, self.held_sigs, sigs)

    def take(self, doc_id: str, sha: str, held: str, similarity: float) -> None:
        """Record the document `doc_id` (text `sha`) as a copy of the held text `held`."""
        takedown, copy_of = self.texts[held]
        kind = EXACT if sha in self.texts else NEAR
        self.found.setdefault(takedown.id, (takedown, []))[1].append(
            Taken(doc_id, kind, copy_of, similarity)
        )

    def write(self, run_id: int) -> list[str]:
        """Take down the copies found; return their ids (those not taken down before)."""
        taken = set()
        for takedown, copies in self.found.values():
            taken.update(t.doc_id for t in _write(self.ledger, run_id, takedown, copies))
        return sorted(taken)


def _apply(
    ledger: Ledger, run_id: int, takedown: TakedownRecord, content: Content | None = None
) -> list[Taken]:
    """Take down what `takedown` names and holds; grow what it holds as its selector resolves."""
    held = Held.load(takedown.held)
    named = ledger.named_documents(takedown.selector, sorted(held.doc_ids))
    if held.grow(named, texts=not takedown.only_named):
        ledger.hold(takedown.id, held.dump())
    found = {row.doc_id: Taken(row.doc_id) for row in named if row.status != Status.TAKEN_DOWN}
    if not takedown.only_named:
        for row in ledger.documents_with_texts(held.texts):
            if row.status != Status.TAKEN_DOWN and row.doc_id not in found:
                sha = row.text_sha256 if row.text_sha256 in held.texts else row.raw_sha256
                found[row.doc_id] = Taken(row.doc_id, EXACT, held.texts[sha], 1.0)
        if content is not None and content.config is not None:
            found |= _near_copies(ledger, content, held, set(found))
    return _write(ledger, run_id, takedown, found.values())


def _near_copies(ledger: Ledger, content: Content, held: Held, found: set[str]) -> dict:
    """Near copies of the held texts among the documents near-dedup compares."""
    rows = [(doc_id, sha) for doc_id, sha in ledger.curated_texts() if doc_id not in found]
    shas, sigs = content.signatures_of([sha for _, sha in rows])
    index = {sha: i for i, sha in enumerate(shas)}
    signed = [(doc_id, sha) for doc_id, sha in rows if sha in index]
    near = content.near(list(held.texts), sigs[[index[sha] for _, sha in signed]])
    return {
        signed[row][0]: Taken(signed[row][0], NEAR, held.texts[sha], similarity)
        for row, (sha, similarity) in near.items()
    }


def _write(
    ledger: Ledger, run_id: int, takedown: TakedownRecord, found: Iterable[Taken]
) -> list[Taken]:
    """Record `found` as taken down by `takedown`; return those not taken down before."""
    found = list(found)
    if not found:
        return []
    when = utc_now()
    matches = [
        {"takedown_id": takedown.id, "doc_id": t.doc_id, "run_id": run_id, "match": t.match,
         "copy_of": t.copy_of, "similarity": t.similarity, "created_at": when}
        for t in found
    ]  # fmt: skip
    decisions = []
    for t in found:
        how = f"; {t.how()}" if t.how() else ""
        detail = f"takedown #{takedown.id} of {takedown.selector!r}: {takedown.reason}{how}"
        decisions.append(decision_row(t.doc_id, run_id, "takedown", COMPONENT, Status.TAKEN_DOWN,
                                      Reason.TAKEDOWN, detail, at=when))  # fmt: skip
    done = set(ledger.take_down_documents(matches, decisions))
    return [t for t in found if t.doc_id in done]
