"""The index over the licence table: which licence a statement names, and by which rule.

Walked in order: the exact id, whole-statement aliases (ids, names, codes, labels), URLs, the
words of a name in any order, Creative Commons names (clause words + version), `qualifiers`,
then the hand patterns of licences.yaml. The clause guard ends every walk: a statement naming an
SA/NC/ND clause never resolves to a licence without it. Nothing here decides what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from corpusbuilder.licences.records import (
    CLAUSE_FLAGS,
    Entry,
    alias_key,
    regex,
    token_key,
    url_key,
)

NEUTRAL_PREFIX = "not_licence:"
_URL = re.compile(r"(?:https?://)?(?:www\.)?((?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s<>\"']*)")
_VERSION = re.compile(r"(?<![\d.])([1-4])[.,](\d)(?!\d)")
Match = tuple[str | None, str]  # (licence id or None, rule)


class Table:
    """Aliases, URLs, name words and patterns of every entry, with the rule each one names."""

    def __init__(
        self, data: Mapping[str, Any], entries: Mapping[str, Entry], neutral: Iterable[Entry]
    ) -> None:
        cc = data["creative_commons"]
        self.entries = entries
        self.clause = {c: regex("|".join(p), f"clauses.{c}") for c, p in data["clauses"].items()}
        self._cc_marker = regex(cc["marker"], "creative_commons.marker")
        self._cc_url = regex(cc["url"], "creative_commons.url")
        self._cc: dict[tuple[frozenset[str], str | None], str] = {}
        self.cc_version: dict[str, tuple[frozenset[str], str]] = {}
        for family in cc["families"]:
            base = "CC-" + "-".join(c.upper() for c in family["clauses"])
            for version in family.get("versions", [*cc["versions"], None]):
                lid = f"{base}-{version}" if version else base
                self._cc[frozenset(family["clauses"]), version] = lid
                self.cc_version[lid] = frozenset(family["clauses"]), version or ""
        self._ids = {lid.lower(): lid for lid in entries}
        self._aliases: dict[str, Match] = {}
        self._urls: dict[str, Match] = {}
        self._tokens: dict[frozenset[str], str | None] = {}
        self._patterns: list[tuple[re.Pattern[str], Match]] = []
        self._index_hand_rules(data)
        for entry in entries.values():
            self._index_entry(entry, None)
        for entry in neutral:
            self._index_entry(entry, NEUTRAL_PREFIX + entry.id)

    def _index_hand_rules(self, data: Mapping[str, Any]) -> None:
        self._qualifiers = [
            (regex(p, q["rule"]), (None, f"unidentified:{q['rule']}"))
            for q in data.get("qualifiers", [])
            for p in q["patterns"]
        ]
        for entry in data["licences"]:
            self._add_rules(entry, entry["id"], "")
        for entry in data.get("not_licences", []):
            prefix = NEUTRAL_PREFIX if entry.get("neutral") else "unidentified:"
            self._add_rules(entry, None, prefix + entry["rule"])

    def _add_rules(self, entry: Mapping[str, Any], lid: str | None, rule: str) -> None:
        if lid is not None and lid not in self.entries:
            raise ValueError(f"licences.yaml: {lid!r} is in no vocabulary; give it a category")
        for alias in entry.get("aliases", []):
            self._add_alias(alias, (lid, rule or f"alias:{alias_key(alias)}"), strict=True)
        for url in entry.get("urls", []):
            self._urls.setdefault(url_key(url), (lid, rule or f"url:{url_key(url)}"))
        for pattern in entry.get("patterns", []):
            where = lid or rule
            self._patterns.append((regex(pattern, where), (lid, rule or f"pattern:{pattern}")))

    def _index_entry(self, entry: Entry, neutral_rule: str | None) -> None:
        """A generated entry's forms; `neutral_rule` for statements that state no licence."""
        lid = None if neutral_rule else entry.id
        for form in (entry.id, *entry.aliases):  # a name counts where its vocabulary gives it
            if form:
                self._add_alias(form, (lid, neutral_rule or ""), strict=False)
                if lid:
                    self._add_tokens(form, lid)
        for url in entry.urls:
            key = url_key(url)
            self._urls.setdefault(key, (lid, neutral_rule or f"url:{key}"))

    def _add_alias(self, alias: str, match: Match, strict: bool) -> None:
        key = alias_key(str(alias))
        if not match[1]:
            match = (match[0], f"alias:{key}")
        known = self._aliases.setdefault(key, match)
        conflict = known[0] != match[0] or (match[0] is None and known[1] != match[1])
        if strict and conflict:
            raise ValueError(f"licences.yaml: alias {alias!r} names both {known} and {match}")

    def _add_tokens(self, form: str, lid: str) -> None:
        key = token_key(form)
        if key and self._tokens.setdefault(key, lid) != lid:
            self._tokens[key] = None  # two licences share these words: no match by words

    def match(self, text: str) -> Match:
        """The licence `text` (normalised) names and the rule; (None, rule) when none."""
        found = (
            self.by_alias(text)
            or self._by_url(text)
            or self._by_tokens(text)
            or self._by_cc_name(text)
            or self._by_pattern(text)
        )
        return self._guard(text, *(found or (None, "no_match")))

    def by_alias(self, text: str) -> Match | None:
        """The whole statement as an id or an alias (names, codes and labels count)."""
        lid = self._ids.get(text.strip())
        if lid is not None:
            return lid, f"id:{lid}"
        return self._aliases.get(alias_key(text))

    def _by_url(self, text: str) -> Match | None:
        hits: dict[str | None, Match] = {}
        for found in _URL.finditer(text):
            url = url_key(found.group(1))
            hit = self._cc_by_url(url) or self._url_prefix(url)
            if hit:
                hits.setdefault(hit[0], hit)
        if len(hits) <= 1:
            return next(iter(hits.values()), None)
        families = {self.cc_version.get(lid or "", (None,))[0] for lid in hits}
        if len(families) == 1 and None not in families:  # one CC family, several versions
            return hits[max(hits, key=lambda lid: self.cc_version[lid or ""][1])]
        return None, "unidentified:several_licences:" + ",".join(sorted(map(str, hits)))

    def _url_prefix(self, url: str) -> Match | None:
        """The longest known URL that `url` starts with, ending at / ? # or the end."""
        cuts = [m.start() for m in re.finditer(r"[/?#]", url)] + [len(url)]
        return next((self._urls[url[:c]] for c in reversed(cuts) if url[:c] in self._urls), None)

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

    def _by_tokens(self, text: str) -> Match | None:
        lid = self._tokens.get(token_key(text))
        return (lid, f"words:{lid}") if lid else None

    def _by_cc_name(self, text: str) -> Match | None:
        """A CC licence in words: needs "Creative Commons"/"CC", or a CC-style title + version."""
        clauses = frozenset(c for c, rx in self.clause.items() if rx.search(text))
        versions = [f"{major}.{minor}" for major, minor in _VERSION.findall(text)]
        titled = versions and any(rx.match(text) for rx in self.clause.values())
        if not clauses or not (titled or self._cc_marker.search(text)):
            return None
        version = max(versions, default=None)
        lid = self._cc_id(clauses, version)
        if lid is None:
            return None
        clause_path = "-".join(sorted(clauses))
        return lid, f"cc-name:{clause_path}/{version}" if version else f"cc-name:{clause_path}"

    def _by_pattern(self, text: str) -> Match | None:
        rules: Iterable = (*self._qualifiers, *self._patterns)
        return next((match for rx, match in rules if rx.search(text)), None)

    def _guard(self, text: str, lid: str | None, rule: str) -> Match:
        """Never lose a clause: a statement naming SA/NC/ND the licence lacks becomes unknown."""
        if lid is None:
            return lid, rule
        flags = self.entries[lid].flags
        missing = [
            c
            for c, flag in CLAUSE_FLAGS.items()
            if flag not in flags and self.clause[c].search(text)
        ]
        if missing:
            return None, f"unidentified:clause_guard:{'+'.join(missing)} not in {lid} ({rule})"
        return lid, rule
