"""The funnel: every item a source yielded and where it ended — raw → licence → filters → dedup →
released — per source, language and reason. Used by `corpusbuilder stats` and the dataset card.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from corpusbuilder.reasons import Status

FunnelRow = Sequence  # (source, language, status, reason, count)
STAGES = [
    ("seen", None),
    ("skipped by the source", Status.SKIPPED),
    ("licence rejected", Status.LICENCE_REJECTED),
    ("licence quarantined", Status.QUARANTINED),
    ("filtered", Status.FILTERED),
    ("held for review", Status.HELD),
    ("duplicates", Status.DUPLICATE),
    ("taken down", Status.TAKEN_DOWN),
    ("waiting for curation", Status.INGESTED),
    ("kept", Status.KEPT),
]


def format_counts(counts: Mapping[str, int]) -> str:
    return (
        ", ".join(f"{key} {value}" for key, value in sorted(counts.items()) if value) or "nothing"
    )


def by_source(rows: Sequence[FunnelRow]) -> dict[str, Counter]:
    """Per source, the count of each stage column of STAGES."""
    table: dict[str, Counter] = {}
    for source, _language, status, _reason, count in rows:
        counts = table.setdefault(source, Counter())
        counts["seen"] += count
        counts[status] += count
    return table


def reasons(rows: Sequence[FunnelRow]) -> list[tuple[str, str, str, str, int]]:
    """(source, language, outcome, reason, count) for every exclusion, most frequent first."""
    found = [
        (source, language or "-", status, reason or "-", count)
        for source, language, status, reason, count in rows
        if status != Status.KEPT
    ]
    return sorted(found, key=lambda r: (r[0], -r[4], r[1], r[2], r[3]))


def markdown(rows: Sequence[FunnelRow]) -> list[str]:
    """The funnel as markdown tables: stages per source, then every exclusion reason."""
    head = "| source | " + " | ".join(name for name, _ in STAGES) + " |"
    lines = [head, "|---|" + "---:|" * len(STAGES)]
    for source, counts in sorted(by_source(rows).items()):
        cells = [str(counts["seen" if status is None else status]) for _, status in STAGES]
        lines.append(f"| {source} | " + " | ".join(cells) + " |")
    lines += ["", "| source | language | outcome | reason | documents |", "|---|---|---|---|---:|"]
    lines += [f"| {s} | {lang} | {st} | {r} | {n} |" for s, lang, st, r, n in reasons(rows)]
    return lines


def as_dict(rows: Sequence[FunnelRow]) -> dict:
    """The funnel as data (for `--json`): per source the count of each stage of STAGES, keyed
    by its status (`seen` for the first), then every exclusion reason."""
    sources = {
        source: {str(status or "seen"): counts[status or "seen"] for _, status in STAGES}
        for source, counts in sorted(by_source(rows).items())
    }
    exclusions = [
        {"source": s, "language": None if lang == "-" else lang, "outcome": st,
         "reason": None if r == "-" else r, "documents": n}
        for s, lang, st, r, n in reasons(rows)
    ]  # fmt: skip
    return {"sources": sources, "reasons": exclusions}


def render(rows: Sequence[FunnelRow]) -> str:
    """The funnel for a terminal."""
    lines = []
    for source, counts in sorted(by_source(rows).items()):
        lines.append(f"{source}:")
        for name, status in STAGES:
            value = counts["seen" if status is None else status]
            if value or status in (None, Status.KEPT):
                lines.append(f"  {name:<24} {value:>9}")
    kept = Counter()
    for source, language, status, _reason, count in rows:
        if status == Status.KEPT:
            kept[(source, language or "und")] += count
    if kept:
        lines.append(
            "kept by language: "
            + ", ".join(f"{s}/{lang} {n}" for (s, lang), n in sorted(kept.items()))
        )
    exclusions = reasons(rows)
    if exclusions:
        lines.append("reasons:")
        lines += [
            f"  {s:<12} {lang:<4} {st:<18} {r:<32} {n:>7}" for s, lang, st, r, n in exclusions
        ]
    return "\n".join(lines)


def warnings(ledger) -> list[str]:
    """What `status` must not let pass quietly: kept documents that no release holds."""
    latest = ledger.latest_release()
    if latest is None:
        kept = sum(row[-1] for row in ledger.funnel() if row[2] == Status.KEPT)
        return [f"{kept} kept documents are in no release yet: freeze one"] if kept else []
    added, removed = ledger.release_drift(latest.version)
    found = []
    if added:
        found.append(
            f"{added} kept documents are in no release (the latest, {latest.version}, was frozen"
            " before they were kept): freeze a new version to release them"
        )
    if removed:
        found.append(
            f"{removed} documents of release {latest.version} are no longer kept (taken down,"
            " filtered or re-decided): freeze a new version to remove them"
        )
    return found
