"""What changed between two frozen releases, and why each removed document left.

Both sides are read from the frozen rows (`release_document`), so the diff of two releases is
the same whenever it is asked; the reason a document left is read from its outcome in the ledger
now (taken down, rejected or quarantined after a policy change, filtered, a duplicate, skipped or
gone from its source), which is the decision that removed it unless it changed again since.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field

from corpusbuilder.errors import UserError
from corpusbuilder.ledger import Ledger
from corpusbuilder.reasons import Status
from corpusbuilder.release.versions import check_version

KINDS = ("added", "removed", "text_changed", "licence_changed")
WHY_REMOVED = {
    Status.TAKEN_DOWN: "takedown",
    Status.LICENCE_REJECTED: "licence rejected (policy)",
    Status.QUARANTINED: "licence quarantined (policy or evidence)",
    Status.FILTERED: "filtered",
    Status.DUPLICATE: "duplicate",
    Status.SKIPPED: "skipped by its source",
    Status.INGESTED: "waiting for curation",
    Status.KEPT: "kept, but after the newer release was frozen",
}


@dataclass(frozen=True)
class Change:
    doc_id: str
    kind: str  # one of KINDS
    why: str = ""  # removed: the outcome that removed it; changed: old → new


@dataclass
class ReleaseDiff:
    old: str
    new: str
    changes: list[Change] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(change.kind for change in self.changes)
        return {kind: found[kind] for kind in KINDS}

    def as_json(self) -> str:
        data = {"old": self.old, "new": self.new, "counts": self.counts,
                "changes": [asdict(change) for change in self.changes]}  # fmt: skip
        return json.dumps(data, indent=2, ensure_ascii=False)

    def render(self) -> str:
        counts = ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in self.counts.items())
        lines = [f"{self.old} → {self.new}: {counts}"]
        for change in self.changes:
            lines.append(
                f"  {change.kind:<16}{change.doc_id}" + (f"  ({change.why})" * bool(change.why))
            )
        return "\n".join(lines)


def diff(ledger: Ledger, old: str, new: str) -> ReleaseDiff:
    """The documents added, removed (with why), text-changed and licence-changed from `old` to
    `new`, in doc_id order within each kind."""
    for version in (old, new):
        if ledger.release(check_version(version)) is None:
            raise UserError(
                f"no release {version} in the ledger; `corpusbuilder status` lists them"
            )
    return between(ledger, old, new)


def between(ledger: Ledger, old: str, new: str) -> ReleaseDiff:
    """`diff` from the releases' rows alone: `new` may be a release being frozen, its rows
    written and its release row not yet (which is written last, with this diff in it)."""
    before, after = _rows(ledger, old), _rows(ledger, new)
    result = ReleaseDiff(old, new)
    result.changes += [Change(d, "added") for d in sorted(after.keys() - before.keys())]
    gone = sorted(before.keys() - after.keys())
    outcomes = ledger.outcomes(gone)
    result.changes += [Change(d, "removed", _why_removed(outcomes.get(d))) for d in gone]
    for doc_id in sorted(before.keys() & after.keys()):
        (old_sha, old_licence), (new_sha, new_licence) = before[doc_id], after[doc_id]
        if old_sha != new_sha:
            result.changes.append(
                Change(doc_id, "text_changed", f"{old_sha[:12]} → {new_sha[:12]}")
            )
        if old_licence != new_licence:
            result.changes.append(
                Change(doc_id, "licence_changed", f"{old_licence} → {new_licence}")
            )
    order = {kind: i for i, kind in enumerate(KINDS)}
    result.changes.sort(key=lambda c: (order[c.kind], c.doc_id))
    return result


def _rows(ledger: Ledger, version: str) -> dict[str, tuple[str, str | None]]:
    return {row.doc_id: (row.text_sha256, row.licence) for row in ledger.release_rows(version)}


def _why_removed(outcome) -> str:
    if outcome is None:
        return "no longer in the ledger"
    why = WHY_REMOVED.get(outcome.status, outcome.status)
    if outcome.status == Status.DUPLICATE and outcome.duplicate_of:
        return f"duplicate of {outcome.duplicate_of}"
    if outcome.reason not in (None, outcome.status, why, Status.KEPT):
        why += f": {outcome.reason}"
    return why
