"""Reading a claim, not grepping it: hedged, partial and mixed statements, territorial limits.

A statement that names an open licence does not grant it when it hedges ("nearly all", "may
be", "in some countries", "believed to be"), covers only a part of the item ("images are public
domain"), or reserves all rights beside it. Such a claim resolves to unknown with the rule that
read it (``hedged:may be``, ``partial:images``, ``mixed:all rights reserved``), and the document
is quarantined for a person to read. The phrases live in licences.yaml (`claims`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from corpusbuilder.licences.records import regex


class Claims:
    """The `claims` section of licences.yaml, compiled; `reservation` from all-rights-reserved."""

    def __init__(self, claims: Mapping[str, Any], reservations: list[str]) -> None:
        self._hedged = [regex(p, "claims.hedged") for p in claims["hedged"]]
        self._partial = [regex(p, "claims.partial") for p in claims["partial"]]
        self._reserved = [regex(p, "all-rights-reserved") for p in reservations]
        self._territories = {
            code: [regex(p, f"claims.territories.{code}") for p in patterns]
            for code, patterns in claims["territories"].items()
        }

    def qualify(self, text: str, licence: str) -> str | None:
        """The rule that makes a claim naming `licence` unknown, or None when it stands."""
        for kind, patterns in (("hedged", self._hedged), ("partial", self._partial)):
            found = _first(patterns, text)
            if found:
                return f"{kind}:{found.group(found.lastindex or 0)}"
        if licence != "all-rights-reserved":
            found = _first(self._reserved, text)
            if found:
                return f"mixed:{found.group(0)}"
        return None

    def territory(self, text: str) -> str | None:
        """The territories a claim limits itself to ("… in the USA" → "US"; "CA+US"), else None."""
        found = [code for code, rxs in self._territories.items() if _first(rxs, text)]
        return "+".join(sorted(found)) or None


def _first(patterns: list[re.Pattern[str]], text: str) -> re.Match[str] | None:
    return next((m for rx in patterns if (m := rx.search(text))), None)
