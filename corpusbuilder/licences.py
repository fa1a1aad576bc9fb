"""The licence policy: load licences.yaml, resolve statements to licence ids, decide per document.

Resolution is table-driven (the rules live in licences.yaml, not here) so that a reviewer can read
the policy in one file, and every result names the rule that produced it. It is conservative: a
statement that names a clause (SA/NC/ND) never resolves to a licence without it, and anything
unrecognised or contradictory ends as ``unknown`` — the pipeline quarantines those documents.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from corpusbuilder.licence_table import (  # the public names are re-exported from here
    CLAUSE_FLAGS,
    FLAGS,
    Licence,
    LicenceDecision,
    Resolution,
    _cc_licences,
    _regex,
    _url_key,
    alias_key,
    normalise,
)
from corpusbuilder.source import LicenceEvidence

DEFAULT_PATH = Path(__file__).parent / "licences.yaml"
ITEM_KINDS = frozenset({"item", "sidecar"})
NEUTRAL_PREFIX = "not_licence:"
MEMO_SIZE = 100_000  # distinct statements remembered by `Policy.resolve`
_URL = re.compile(r"(?:https?://)?(?:www\.)?((?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s<>\"']*)")
_VERSION = re.compile(r"(?<![\d.])([1-4])[.,](\d)(?!\d)")
Match = tuple[str | None, str]  # (licence id or None, rule)


class Policy:
    """The loaded policy. Build it with `Policy.load`; `hash` identifies it on every release."""

    def __init__(self, data: Mapping[str, Any], digest: str) -> None:
        self.hash = digest
        self.jurisdictions: frozenset[str] | None = None  # None: any territorial claim suffices
        self._memo: dict[str, Resolution] = {}
        cc = data["creative_commons"]
        self._clause = {c: _regex("|".join(p), f"clauses.{c}") for c, p in data["clauses"].items()}
        self._cc_marker = _regex(cc["marker"], "creative_commons.marker")
        self._cc_url = _regex(cc["url"], "creative_commons.url")
        self._cc: dict[tuple[frozenset[str], str | None], str] = {}
        self._cc_version: dict[str, tuple[frozenset[str], str]] = {}
        licences: dict[str, Licence] = {}
        for licence, clauses, version in _cc_licences(cc):
            licences[licence.id] = licence
            self._cc[clauses, version] = licence.id
            self._cc_version[licence.id] = (clauses, version or "")
        for entry in data["licences"]:
            flags = {flag: flag in entry.get("flags", []) for flag in FLAGS}
            fields = {k: entry[k] for k in ("id", "name", "url", "hub_id", "allowed")}
            licences[entry["id"]] = Licence(**fields, **flags, open=entry.get("open", True))
        self._licences = licences
        self.licences: Mapping[str, Licence] = MappingProxyType(licences)
        self._index(data)

    def _index(self, data: Mapping[str, Any]) -> None:
        """Build the alias, URL and pattern tables that `resolve` walks in order."""
        self._aliases: dict[str, Match] = {}
        self._urls: list[tuple[re.Pattern[str], Match]] = []
        self._patterns: list[tuple[re.Pattern[str], Match]] = []
        for lid, licence in self._licences.items():
            for alias in (lid, licence.name):
                self._add_alias(alias, (lid, f"alias:{alias_key(alias)}"))
        for entry in data["licences"]:
            self._add_rules(entry, entry["id"], "")
        self._qualifiers = [
            (_regex(p, q["rule"]), (None, f"unidentified:{q['rule']}"))
            for q in data.get("qualifiers", [])
            for p in q["patterns"]
        ]
        for entry in data.get("not_licences", []):
            prefix = NEUTRAL_PREFIX if entry.get("neutral") else "unidentified:"
            self._add_rules(entry, None, prefix + entry["rule"])

    def _add_rules(self, entry: Mapping[str, Any], lid: str | None, rule: str) -> None:
        for alias in entry.get("aliases", []):
            self._add_alias(alias, (lid, rule or f"alias:{alias_key(alias)}"))
        for url in entry.get("urls", []):
            prefix = re.compile(re.escape(_url_key(url)) + r"(?:$|[/?#])")  # prefix ends at / ? #
            self._urls.append((prefix, (lid, rule or f"url:{_url_key(url)}")))
        for pattern in entry.get("patterns", []):
            where = lid or rule
            self._patterns.append((_regex(pattern, where), (lid, rule or f"pattern:{pattern}")))

    def _add_alias(self, alias: str, match: Match) -> None:
        key = alias_key(str(alias))
        known = self._aliases.setdefault(key, match)
        if known[0] != match[0] or (match[0] is None and known[1] != match[1]):
            raise ValueError(f"licences.yaml: alias {alias!r} names both {known} and {match}")

    @classmethod
    def load(cls, path: Path | None = None, overrides: Mapping | None = None) -> Policy:
        """Load licences.yaml (default: the packaged one) and apply corpus.yaml overrides.

        `overrides` is ``{"allow": [ids], "deny": [ids]}``; ids may be globs (``CC-BY-NC-*``);
        deny wins over allow. The hash covers the file bytes and the overrides.
        """
        raw = Path(path or DEFAULT_PATH).read_bytes()
        overrides = dict(overrides or {})
        digest = hashlib.sha256(raw + json.dumps(overrides, sort_keys=True).encode()).hexdigest()
        policy = cls(yaml.safe_load(raw), digest)
        unknown = set(overrides) - {"allow", "deny", "jurisdictions"}
        if unknown:
            raise ValueError(
                f"licences overrides: unknown keys {sorted(unknown)};"
                " use allow, deny, jurisdictions"
            )
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

    def resolve(self, statement: str) -> Resolution:
        """Resolve one verbatim statement: aliases, URLs, CC names, patterns, then clause guard.

        Memoised: a corpus repeats few distinct statements over many documents.
        """
        found = self._memo.get(statement)
        if found is None:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            found = self._memo[statement] = self._resolve(statement)
        return found

    def _resolve(self, statement: str) -> Resolution:
        text = normalise(statement)
        if not text:
            return Resolution(statement, None, "unknown", "empty")
        found = (
            self._aliases.get(alias_key(text))
            or self._by_url(text)
            or self._by_cc_name(text)
            or self._by_pattern(text)
        )
        lid, rule = self._guard(text, *(found or (None, "no_match")))
        if lid is None:
            return Resolution(statement, None, "unknown", rule)
        status = "allowed" if self._licences[lid].allowed else "rejected"
        return Resolution(statement, lid, status, rule)

    def _by_url(self, text: str) -> Match | None:
        hits: dict[str | None, Match] = {}
        for found in _URL.finditer(text):
            url = _url_key(found.group(1))
            hit = self._cc_by_url(url) or next((m for rx, m in self._urls if rx.match(url)), None)
            if hit:
                hits.setdefault(hit[0], hit)
        if len(hits) <= 1:
            return next(iter(hits.values()), None)
        families = {self._cc_version.get(lid or "", (None,))[0] for lid in hits}
        if len(families) == 1 and None not in families:  # one CC family, several versions
            return hits[max(hits, key=lambda lid: self._cc_version[lid or ""][1])]
        return None, "unidentified:several_licences:" + ",".join(sorted(map(str, hits)))

    def _cc_by_url(self, url: str) -> Match | None:
        found = self._cc_url.search(url)
        if not found:
            return None
        lid = self._cc_id(frozenset(found.group(1).split("-")), found.group(2))
        path = "/".join(filter(None, found.groups()))
        return (lid, f"url:creativecommons.org/licenses/{path}") if lid else None

    def _cc_id(self, clauses: frozenset[str], version: str | None) -> str | None:
        """The CC id for these clauses; the family id when the version is unknown or absent."""
        return self._cc.get((clauses, version)) or self._cc.get((clauses, None))

    def _by_cc_name(self, text: str) -> Match | None:
        """A CC licence in words: needs "Creative Commons"/"CC", or a CC-style title + version."""
        clauses = frozenset(c for c, rx in self._clause.items() if rx.search(text))
        versions = [f"{major}.{minor}" for major, minor in _VERSION.findall(text)]
        titled = versions and any(rx.match(text) for rx in self._clause.values())
        if not clauses or not (titled or self._cc_marker.search(text)):
            return None
        version = max(versions, default=None)
        lid = self._cc_id(clauses, version)
        if lid is None:
            return None
        clause_path = "-".join(sorted(clauses))
        return lid, f"cc-name:{clause_path}/{version}" if version else f"cc-name:{clause_path}"

    def _by_pattern(self, text: str) -> Match | None:
        rules = (*self._qualifiers, *self._patterns)
        return next((match for rx, match in rules if rx.search(text)), None)

    def _guard(self, text: str, lid: str | None, rule: str) -> Match:
        """Never lose a clause: a statement naming SA/NC/ND the licence lacks becomes unknown."""
        if lid is None:
            return lid, rule
        licence = self._licences[lid]
        missing = [
            c for c, flag in CLAUSE_FLAGS.items()
            if not getattr(licence, flag) and self._clause[c].search(text)
        ]  # fmt: skip
        if missing:
            return None, f"unidentified:clause_guard:{'+'.join(missing)} not in {lid} ({rule})"
        return lid, rule

    def decide(self, evidence: Sequence[LicenceEvidence]) -> LicenceDecision:
        """Decide a document's licence from all its evidence.

        Item-level evidence (kind ``item`` or ``sidecar``) takes precedence: collection-level
        evidence is considered only when no item-level statement resolves to a licence (and then
        together with the item-level ones). Explicit not-a-licence statements (access levels, "no
        information") are neutral. Then: nothing resolved → unknown; all resolved allowed →
        allowed (several ids = dual licensing: the most open by `openness`, then by id; the rule
        names all); any rejected and none allowed → rejected; allowed and rejected together →
        unknown, rule ``conflict: …``; an unrecognised statement next to an allowed one → unknown,
        rule ``conflict: unrecognised statement …`` (conservative: quarantined).
        """
        resolutions = tuple(self._territorial(e, self.resolve(e.statement)) for e in evidence)
        items = [r for e, r in zip(evidence, resolutions, strict=True) if e.kind in ITEM_KINDS]
        considered = items if any(r.licence for r in items) else resolutions
        relevant = [r for r in considered if not r.rule.startswith(NEUTRAL_PREFIX)]
        status, licence, rule = self._verdict(relevant, len(evidence))
        return LicenceDecision(licence, status, rule, resolutions)

    def _territorial(self, evidence: LicenceEvidence, res: Resolution) -> Resolution:
        """A claim limited to a jurisdiction the policy does not accept is rejected.

        `jurisdictions` (corpus.yaml `licences: {jurisdictions: [..]}`) lists the territories whose
        limited claims suffice; None (the default) accepts any. "Public domain in the USA." is
        such a claim: a corpus for use outside the USA can require more.
        """
        if self.jurisdictions is None or evidence.jurisdiction is None:
            return res
        if evidence.jurisdiction in self.jurisdictions or res.status != "allowed":
            return res
        accepted = ", ".join(sorted(self.jurisdictions)) or "none"
        rule = f"jurisdiction: {res.licence} only in {evidence.jurisdiction}; accepted: {accepted}"
        return replace(res, status="rejected", rule=rule)

    def _verdict(self, relevant: list[Resolution], n_evidence: int) -> tuple[str, str | None, str]:
        def rank(lid: str) -> tuple[int, str]:
            return self.openness(lid), lid

        allowed = sorted({r.licence for r in relevant if r.status == "allowed"}, key=rank)
        rejected = sorted({r.licence for r in relevant if r.status == "rejected"}, key=rank)
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


def format_resolution(res: Resolution, as_json: bool) -> str:
    """One line per statement for `corpusbuilder licences resolve` (text: tab-separated)."""
    if as_json:
        fields = {"statement": res.statement, "licence": res.licence, "status": res.status}
        return json.dumps({**fields, "rule": res.rule}, ensure_ascii=False)
    return "\t".join([res.licence or "null", res.status, res.rule, " ".join(res.statement.split())])
