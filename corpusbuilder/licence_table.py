"""The licence table's building blocks: the licence records, text normalisation, pattern checks.

Split from `licences` so the policy there reads as rules only; everything here is pure and has no
state. `licences` re-exports what other modules import.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

FLAGS = ("attribution", "share_alike", "non_commercial", "no_derivatives")
CLAUSE_FLAGS = {"sa": "share_alike", "nc": "non_commercial", "nd": "no_derivatives"}
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")


@dataclass(frozen=True)
class Licence:
    """One licence of the policy; `open` is False for terms that are never open (e.g. InC)."""

    id: str
    name: str
    url: str
    hub_id: str
    attribution: bool
    share_alike: bool
    non_commercial: bool
    no_derivatives: bool
    allowed: bool
    open: bool = True


@dataclass(frozen=True)
class Resolution:
    """What one statement means; `status` is "allowed", "rejected" or "unknown"."""

    statement: str
    licence: str | None
    status: str
    rule: str


@dataclass(frozen=True)
class LicenceDecision:
    """The verdict on a document's evidence, with every statement's resolution."""

    licence: str | None
    status: str
    rule: str
    resolutions: tuple[Resolution, ...]


def normalise(statement: str) -> str:
    """Lower case, NFKC, %-decoded, dashes unified, whitespace collapsed: what patterns see."""
    text = unicodedata.normalize("NFKC", statement).lower()
    text = _DASHES.sub("-", unquote(text) if "%" in text else text)
    return re.sub(r"/\s+(?=[a-z+-]+/\d)", "/", " ".join(text.split()))  # "licenses/ by/3.0"


def alias_key(text: str) -> str:
    """Alphanumerics only, so "CC-BY 4.0", "cc_by_4.0" and "CC BY 4 0" compare equal."""
    return " ".join(re.sub(r"[\W_]+", " ", normalise(text)).split())


def _url_key(url: str) -> str:
    url = re.sub(r"^(?:https?://)?(?:www\.)?", "", url.lower())
    return url.rstrip("/.,;:)")


def _regex(pattern: str, where: str) -> re.Pattern[str]:
    if "\b" in pattern:  # a backspace: YAML double quotes turned \b into one
        raise ValueError(f"licences.yaml: pattern {pattern!r} in {where}: use single quotes")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"licences.yaml: bad pattern {pattern!r} in {where}: {exc}") from exc


def _cc_licences(cc: Mapping[str, Any]) -> Iterator[tuple[Licence, frozenset[str], str | None]]:
    """Expand the compact `creative_commons` table into one Licence per family and version."""
    for family in cc["families"]:
        clauses = list(family["clauses"])
        base = "CC-" + "-".join(c.upper() for c in clauses)
        flags = {flag: c in clauses for c, flag in {"by": "attribution", **CLAUSE_FLAGS}.items()}
        for version in family.get("versions", [*cc["versions"], None]):
            lid = f"{base}-{version}" if version else base
            path = family.get("paths", {}).get(version, "-".join(clauses))
            suffix = f"{version} {cc['versions'][version]}" if version else "(version not stated)"
            hub = lid.lower() if lid.lower() in cc["hub_ids"] else "other"
            tail = f"{version}/" if version else ""
            url = f"https://creativecommons.org/licenses/{path}/{tail}"
            licence = Licence(
                lid, f"Creative Commons {family['name']} {suffix}", url, hub, **flags,
                allowed=not (flags["non_commercial"] or flags["no_derivatives"]),
            )  # fmt: skip
            yield licence, frozenset(clauses), version
