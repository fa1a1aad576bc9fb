"""The licence policy: load licences.yaml, resolve statements to licence ids, decide per document.

Resolution is table-driven (the vocabularies and rules live in licences.yaml and the packages
it names, not here) so that a reviewer can read the policy in one file, and every result names
the rule that produced it. It is conservative: a statement that names a clause (SA/NC/ND) never
resolves to a licence without it; a hedged, partial or mixed claim, or anything unrecognised or
contradictory, ends as ``unknown`` — the pipeline quarantines those documents.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import hashlib
import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from corpusbuilder.licences import vocabularies
from corpusbuilder.licences.claims import Claims
from corpusbuilder.licences.decisions import combine, verdict
from corpusbuilder.licences.expressions import Expression, parse
from corpusbuilder.licences.records import (
    CLAUSE_FLAGS,
    FLAGS,
    Entry,
    Licence,
    LicenceDecision,
    Resolution,
    normalise,
    regex,
)
from corpusbuilder.licences.table import NEUTRAL_PREFIX, Table
from corpusbuilder.source import LicenceEvidence

DEFAULT_PATH = Path(__file__).parents[1] / "licences.yaml"
ITEM_KINDS = frozenset({"item", "sidecar"})
MEMO_SIZE = 100_000  # distinct keys remembered by each of `Policy`'s memos


def _memoised(memo: dict, key: Hashable, compute: Callable[[], Any]) -> Any:
    """`memo[key]`, computed first if absent; the memo is emptied when it holds MEMO_SIZE."""
    found = memo.get(key)
    if found is None:
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        found = memo[key] = compute()
    return found


@dataclass(frozen=True)
class _Compiled:
    """What licences.yaml compiles to; shared by every Policy loaded from the same bytes."""

    vocabulary: tuple[Entry, ...]
    table: Table
    claims: Claims
    exceptions: frozenset[str]
    licences: Mapping[str, Licence]


@functools.lru_cache(maxsize=8)
def _compile(raw: bytes) -> _Compiled:
    """Generate the table from the vocabularies once per licences.yaml (loads are frequent)."""
    data = yaml.safe_load(raw)
    entries, generated = vocabularies.build(data, _family_flags(data))
    neutral = list(vocabularies.neutral_forms(data["vocabularies"]))
    reserved = next(e for e in data["licences"] if e["id"] == "all-rights-reserved")
    licences = {lid: _licence(entry, data) for lid, entry in entries.items()}
    return _Compiled(
        vocabulary=(*generated, *neutral),
        table=Table(data, entries, neutral),
        claims=Claims(data["claims"], reserved["patterns"]),
        exceptions=vocabularies.spdx_exceptions(),
        licences=MappingProxyType(licences),
    )


def _family_flags(data: Mapping[str, Any]) -> Callable[[str, str], frozenset[str]]:
    """A licence's flags: those its family implies plus the clauses its name states."""
    implied = data["policy"]["category_flags"]
    clauses = {
        c: regex("|".join(p), f"clauses.{c}")
        for c, p in data["clauses"].items()
        if c in CLAUSE_FLAGS
    }

    def flags_of(category: str, name: str) -> frozenset[str]:
        text = normalise(name)
        stated = {CLAUSE_FLAGS[c] for c, rx in clauses.items() if rx.search(text)}
        return frozenset(implied.get(category, ())) | stated

    return flags_of


def _licence(entry: Entry, data: Mapping[str, Any]) -> Licence:
    """Allowed when the family is open and no rejected clause applies (`policy` in the yaml)."""
    rules = data["policy"]
    is_open = entry.category in rules["open_categories"]
    allowed = is_open and not entry.flags & set(rules["reject_flags"])
    mapped = (h for glob, h in data["hub_map"].items() if fnmatch.fnmatchcase(entry.id, glob))
    hub_id = entry.id.lower() if entry.id.lower() in data["hub_ids"] else next(mapped, "other")
    flags = {flag: flag in entry.flags for flag in FLAGS}
    name = entry.name or entry.id
    return Licence(entry.id, name, entry.url, hub_id, **flags, allowed=allowed, open=is_open)


class Policy:
    """The loaded policy. Build it with `Policy.load`; `hash` identifies it on every release."""

    def __init__(self, compiled: _Compiled, digest: str) -> None:
        self.hash = digest
        self.jurisdictions: frozenset[str] | None = None  # None: any territorial claim suffices
        self._memo: dict[str, Resolution] = {}
        self._decided: dict[tuple, LicenceDecision] = {}  # `decide`'s memo, by what it reads
        self.vocabulary = compiled.vocabulary
        self.table = compiled.table
        self.claims = compiled.claims
        self._exceptions = compiled.exceptions
        self._licences = dict(compiled.licences)  # overrides change this copy only
        self.licences: Mapping[str, Licence] = MappingProxyType(self._licences)

    @classmethod
    def load(cls, path: Path | None = None, overrides: Mapping | None = None) -> Policy:
        """Load licences.yaml (default: the packaged one) and apply corpus.yaml overrides.

        `overrides` is ``{"allow": [ids], "deny": [ids], "jurisdictions": [codes]}``; ids may
        be globs (``CC-BY-NC-*``); deny wins over allow. The hash covers the file bytes, the
        versions of the vocabulary packages and the overrides.
        """
        raw = Path(path or DEFAULT_PATH).read_bytes()
        overrides = dict(overrides or {})
        unknown = set(overrides) - {"allow", "deny", "jurisdictions"}
        if unknown:
            keys = f"unknown keys {sorted(unknown)}"
            raise ValueError(f"licences overrides: {keys}; use allow, deny, jurisdictions")
        stamp = json.dumps(overrides, sort_keys=True) + vocabularies.package_versions()
        policy = cls(_compile(raw), hashlib.sha256(raw + stamp.encode()).hexdigest())
        if overrides.get("jurisdictions") is not None:
            policy.jurisdictions = frozenset(overrides["jurisdictions"])
        for key in ("allow", "deny"):
            for pattern in overrides.get(key) or []:
                policy._set_allowed(str(pattern), key == "allow")
        return policy

    def _set_allowed(self, pattern: str, allowed: bool) -> None:
        ids = fnmatch.filter(self._licences, pattern)
        if not ids:
            self.get(pattern)  # raises KeyError with close matches
        for lid in ids:
            self._licences[lid] = replace(self._licences[lid], allowed=allowed)

    def get(self, licence_id: str) -> Licence:
        """The licence with this id; KeyError naming close matches otherwise."""
        try:
            return self._licences[licence_id]
        except KeyError:
            close = difflib.get_close_matches(licence_id, self._licences, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            message = f"unknown licence id {licence_id!r}{hint} (ids are in licences.yaml)"
            raise KeyError(message) from None

    def openness(self, licence_id: str | None) -> int:
        """Rank for dedup's keep policy, lower = more open: PD 0, attribution 1, SA 2, else 3+."""
        licence = self._licences.get(licence_id or "")
        if licence is None:
            return 4
        restricted = licence.non_commercial or licence.no_derivatives
        if restricted or not (licence.allowed and licence.open):
            return 3
        return 2 if licence.share_alike else 1 if licence.attribution else 0

    def resolve(self, statement: str, jurisdiction: str | None = None) -> Resolution:
        """Resolve one verbatim statement (see licences.yaml for the order of the rules).

        `jurisdiction` is the territorial limit an adapter recorded; without one, the limit
        the statement states ("… in the USA") counts. Memoised: a corpus repeats few distinct
        statements over many documents.
        """
        found = _memoised(self._memo, statement, lambda: self._resolve(statement))
        return self._territorial(found, jurisdiction)

    def _resolve(self, statement: str) -> Resolution:
        text = normalise(statement)
        if not text:
            return Resolution(statement, None, "unknown", "empty")
        expression = None if self.table.by_alias(text) else parse(text, self._exceptions)
        if isinstance(expression, str):  # "X WITH <exception>": the licence X
            text, expression = expression, None
        combined = self._expression(statement, expression) if expression else None
        if combined is not None:  # the claim is read whole: "A or later. All rights reserved."
            qualified = self.claims.qualify(text, combined.licence or "")
            return Resolution(statement, None, "unknown", qualified) if qualified else combined
        lid, rule = self.table.match(text)
        exact = rule.startswith(("id:", "alias:"))  # a vocabulary's own name is no claim to read
        qualified = self.claims.qualify(text, lid) if lid and not exact else None
        if lid is None or qualified:
            return Resolution(statement, None, "unknown", qualified or rule)
        status = "allowed" if self._licences[lid].allowed else "rejected"
        return Resolution(statement, lid, status, rule)

    def _expression(self, statement: str, expression: Expression) -> Resolution | None:
        """An OR/AND whose every part names a licence; None when a part names none."""
        parts = []
        for part in expression.parts:
            if isinstance(part, Expression):
                res = self._expression(str(part), part)
            else:
                res = self._resolve(part)
            if res is None or res.licence is None:
                return None
            parts.append(res)
        return combine(statement, expression.operator, parts, self.openness)

    def _territorial(self, res: Resolution, jurisdiction: str | None) -> Resolution:
        """A claim limited to territories the policy does not accept is rejected.

        `jurisdictions` (corpus.yaml `licences: {jurisdictions: [..]}`) lists the territories
        whose limited claims suffice; None (the default) accepts any. "Public domain in the
        USA." is such a claim: a corpus for use outside the USA can require more.
        """
        if self.jurisdictions is None or res.status != "allowed":
            return res
        where = jurisdiction or self.claims.territory(normalise(res.statement))
        if where is None or self.jurisdictions & set(where.split("+")):
            return res
        accepted = ", ".join(sorted(self.jurisdictions)) or "none"
        rule = f"jurisdiction: {res.licence} only in {where}; accepted: {accepted}"
        return replace(res, status="rejected", rule=rule)

    def decide(self, evidence: Sequence[LicenceEvidence]) -> LicenceDecision:
        """Decide a document's licence from all its evidence.

        Item-level evidence (kind ``item`` or ``sidecar``) takes precedence: collection-level
        evidence is considered only when no item-level statement resolves to a licence (and then
        together with the item-level ones). Explicit not-a-licence statements are neutral. The
        verdict (`decisions.verdict`) names its rule. Memoised per distinct list of
        (statement, kind, jurisdiction), the only fields it reads: documents share evidence.
        """
        key = tuple((e.statement, e.kind, e.jurisdiction) for e in evidence)
        return _memoised(self._decided, key, lambda: self._decide(evidence))

    def _decide(self, evidence: Sequence[LicenceEvidence]) -> LicenceDecision:
        resolutions = tuple(self.resolve(e.statement, e.jurisdiction) for e in evidence)
        items = [r for e, r in zip(evidence, resolutions, strict=True) if e.kind in ITEM_KINDS]
        considered = items if any(r.licence for r in items) else resolutions
        relevant = [r for r in considered if not r.rule.startswith(NEUTRAL_PREFIX)]
        status, licence, rule = verdict(relevant, len(evidence), self.openness)
        return LicenceDecision(licence, status, rule, resolutions)


def format_resolution(res: Resolution, as_json: bool) -> str:
    """One line per statement for `corpusbuilder licences resolve` (text: tab-separated)."""
    if as_json:
        fields = {"statement": res.statement, "licence": res.licence, "status": res.status}
        return json.dumps({**fields, "rule": res.rule}, ensure_ascii=False)
    return "\t".join([res.licence or "null", res.status, res.rule, " ".join(res.statement.split())])
