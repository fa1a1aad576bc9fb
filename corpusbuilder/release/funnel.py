"""The funnel figure of a release: per source, how many items remain after each stage — raw →
licence → filters → dedup → kept — as an SVG the card shows. Drawn from the frozen funnel rows
alone, by hand (no plotting library), so the same release gives the same bytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from xml.sax.saxutils import escape

from corpusbuilder.reasons import Status

STAGES = ("raw", "licence", "filters", "dedup", "kept")
# What each stage removes; the filters stage removes every other ending (filtered, held…).
LICENCE_ENDINGS = {Status.SKIPPED, Status.LICENCE_REJECTED, Status.QUARANTINED}
DEDUP_ENDINGS = {Status.DUPLICATE}
LATER_ENDINGS = {Status.KEPT, Status.TAKEN_DOWN, Status.INGESTED}  # past dedup

BAR_WIDTH, BAR_HEIGHT, LABEL_WIDTH, GAP = 420, 18, 90, 4
COLOURS = ("#9aa5b1", "#7b93b8", "#5b7fb8", "#3d6bb3", "#1f5aa6")


def stages(rows: Sequence) -> dict[str, list[int]]:
    """source → the items remaining after each of STAGES, from (source, language, status,
    reason, count) rows."""
    ended: dict[str, Counter] = {}
    for source, _language, status, _reason, count in rows:
        ended.setdefault(source, Counter())[status] += count
    found = {}
    for source, counts in sorted(ended.items()):
        raw = sum(counts.values())
        licence = raw - sum(counts[s] for s in LICENCE_ENDINGS)
        dedup = sum(counts[s] for s in LATER_ENDINGS)
        filters = dedup + sum(counts[s] for s in DEDUP_ENDINGS)
        found[source] = [raw, licence, filters, dedup, counts[Status.KEPT]]
    return found


def _text(x: float, y: float, text: str, anchor: str = "start") -> str:
    return f'<text x="{x:g}" y="{y:g}" text-anchor="{anchor}">{escape(text)}</text>'


def _source_block(source: str, counts: list[int], top: float) -> list[str]:
    widest = max(counts[0], 1)
    parts = [_text(0, top + 14, source)]
    for index, (stage, count) in enumerate(zip(STAGES, counts, strict=True)):
        y = top + 22 + index * (BAR_HEIGHT + GAP)
        width = round(BAR_WIDTH * count / widest, 1)
        parts.append(_text(LABEL_WIDTH - 6, y + 13, stage, "end"))
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y:g}" width="{width:g}" height="{BAR_HEIGHT}"'
            f' fill="{COLOURS[index]}"/>'
        )
        parts.append(_text(LABEL_WIDTH + width + 6, y + 13, f"{count:,}"))
    return parts


def svg(rows: Sequence) -> str:
    """The figure: one block of five bars per source, each bar's length relative to its raw."""
    per_source = stages(rows)
    block = 22 + len(STAGES) * (BAR_HEIGHT + GAP) + 12
    height = max(block * len(per_source), block)
    width = LABEL_WIDTH + BAR_WIDTH + 90
    body = []
    for index, (source, counts) in enumerate(per_source.items()):
        body += _source_block(source, counts, index * block)
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
            f' viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
            "<title>Funnel: items remaining after each stage, per source</title>",
            *body,
            "</svg>",
            "",
        ]
    )
