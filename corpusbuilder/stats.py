"""The funnel: every item a source yielded and where it ended, per source and reason."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from corpusbuilder.ledger import Ledger


def format_counts(counts: Mapping[str, int]) -> str:
    return (
        ", ".join(f"{key} {value}" for key, value in sorted(counts.items()) if value) or "nothing"
    )


def render_funnel(ledger: Ledger) -> str:
    rows = ledger.funnel()
    totals: Counter = Counter()
    lines = [f"{'source':<16} {'outcome':<18} {'reason':<28} {'documents':>9}"]
    for source, status, reason, count in rows:
        lines.append(f"{source:<16} {status:<18} {reason or '':<28} {count:>9}")
        totals[source] += count
    for source, count in sorted(totals.items()):
        kept = sum(c for s, st, _, c in rows if s == source and st == "kept")
        lines.append(f"{source}: {count} items seen, {kept} kept for release")
    return "\n".join(lines)
