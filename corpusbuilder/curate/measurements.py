"""The filter measurements of a kept document: what each filter step measured on it, the values
its thresholds were compared with (a dropped document shows its failing value in the detail of
the decision that dropped it).

They are recorded as the detail of the document's ``curation_filters_v1 passed kept`` decision,
compact JSON with sorted keys, ``{"gopher_quality_v1":{"words":1234,…},…}``: a decision detail,
not a new column or table, so the ledger's schema and its migrations stay as they are, every
ledger backend stores it, and the release freezes it with the other decisions of the run that
kept the document. The provenance config and ``audit`` show them as rows of (filter, measure,
value), as the ``pii`` column shows (kind, count).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from corpusbuilder.reasons import Reason

COMPONENT = "curation_filters_v1"  # the decision that every configured filter passed


def detail(measured: Mapping[str, Mapping[str, float]]) -> str | None:
    """The kept decision's detail: every filter's measurements (None when no filter ran)."""
    return json.dumps(measured, sort_keys=True, separators=(",", ":")) if measured else None


def rows(decisions: Iterable[Any]) -> list[dict]:
    """(filter, measure, value) rows from the last kept decision among the ledger's `decisions`
    of a document; none when none recorded measurements (curated before they were)."""
    found = None
    for decision in decisions:
        if decision.component == COMPONENT and decision.reason == Reason.KEPT:
            found = decision.detail
    measured = json.loads(found) if found else {}
    return [
        {"filter": name, "measure": measure, "value": float(value)}
        for name, values in sorted(measured.items())
        for measure, value in sorted(values.items())
    ]


def render(found: Iterable[Mapping[str, Any]]) -> list[str]:
    """One line per filter, `name: measure=value, …`, whole numbers without a decimal point."""
    by_filter: dict[str, list[str]] = {}
    for row in found:
        value = row["value"]
        shown = int(value) if float(value).is_integer() else value
        by_filter.setdefault(row["filter"], []).append(f"{row['measure']}={shown}")
    return [f"  {name}: {', '.join(values)}" for name, values in by_filter.items()]
