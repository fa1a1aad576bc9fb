"""How resolutions combine: the parts of an expression, and a document's several statements.

An OR lets the reader choose, so it is allowed when any alternative is, and records the one
chosen (the most open allowed, then by id). An AND binds the reader to every part, so it is
allowed only when all are, and records the least open part. A document's statements: see
`verdict`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from corpusbuilder.licences.records import Resolution

Rank = Callable[[str | None], int]


def combine(statement: str, operator: str, parts: Sequence[Resolution], rank: Rank) -> Resolution:
    """One resolution for an expression whose every part resolved to a licence."""
    ids = sorted({p.licence for p in parts if p.licence}, key=lambda lid: (rank(lid), lid))
    allowed = [lid for lid in ids if any(p.licence == lid and p.status == "allowed" for p in parts)]
    written = f" {operator} ".join(ids)
    if operator == "OR":
        if allowed:
            rule = f"or: {allowed[0]} chosen of {written} (the most open allowed)"
            return Resolution(statement, allowed[0], "allowed", rule)
        return Resolution(statement, ids[0], "rejected", f"or: no alternative of {written} allowed")
    refused = [lid for lid in ids if lid not in allowed]
    if refused:
        rule = f"and: {refused[-1]} of {written} not allowed"
        return Resolution(statement, refused[-1], "rejected", rule)
    rule = f"and: all of {written} allowed; {ids[-1]} binds most"
    return Resolution(statement, ids[-1], "allowed", rule)


def verdict(relevant: list[Resolution], n_evidence: int, rank: Rank) -> tuple[str, str | None, str]:
    """(status, licence, rule) for a document's relevant (non-neutral) resolutions.

    Nothing resolved → unknown; all resolved allowed → allowed (several ids = the item is
    offered under each: the most open by `rank`, then by id; the rule names all); any rejected
    and none allowed → rejected; allowed and rejected together → unknown, rule ``conflict: …``;
    an unrecognised statement next to an allowed one → unknown (conservative: quarantined).
    """

    def order(lid: str | None) -> tuple[int, str]:
        return rank(lid), lid or ""

    allowed: list[str] = sorted({r.licence for r in relevant if r.status == "allowed"}, key=order)
    rejected: list[str] = sorted({r.licence for r in relevant if r.status == "rejected"}, key=order)
    unrecognised = [r for r in relevant if r.licence is None]
    if allowed and rejected:
        both = f"allowed {'|'.join(allowed)} vs rejected {'|'.join(rejected)}"
        return "unknown", None, f"conflict: {both}"
    if rejected:
        rule = next(r.rule for r in relevant if r.licence == rejected[0])
        return "rejected", rejected[0], f"rejected: {'|'.join(rejected)} by {rule}"
    if unrecognised:
        first = unrecognised[0]
        what = f"unrecognised statement {first.statement[:80]!r} ({first.rule})"
        if allowed:
            return "unknown", None, f"conflict: {what} next to allowed {'|'.join(allowed)}"
        return "unknown", None, what
    if not allowed:
        return "unknown", None, "no licence statement" if n_evidence else "no evidence"
    if len(allowed) > 1:
        return "allowed", allowed[0], f"dual: {'|'.join(allowed)} -> {allowed[0]}"
    rule = next(r.rule for r in relevant if r.licence == allowed[0])
    return "allowed", allowed[0], f"allowed: {allowed[0]} by {rule}"
