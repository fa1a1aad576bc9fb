"""Per-document curation, pure and batch-shaped so it runs in worker processes: language,
language selection, quality filters, PII redaction and the MinHash signature for near-dedup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from corpusbuilder import dedup, langid, pii
from corpusbuilder.filters import build_filters, first_failure
from corpusbuilder.reasons import Reason


@dataclass(frozen=True)
class Analysis:
    """What curation found in one text; `reason` is set when a stage dropped it."""

    language: str
    score: float
    second: str | None = None  # a substantial second language, if any
    stage: str | None = None  # "language" or "filter" when dropped
    component: str | None = None
    reason: str | None = None
    detail: str | None = None
    redacted: str | None = None  # the text after PII redaction, when it changed
    pii: dict[str, int] = field(default_factory=dict)


def dedup_config(curate: Mapping[str, Any]) -> dedup.DedupConfig | None:
    """The near-dedup settings of `curate.near_dedup` (false disables it)."""
    settings = curate.get("near_dedup", {})
    if settings is False:
        return None
    return dedup.DedupConfig(**(settings or {}))


def _one(text: str, filters: list, selected: set[str], redact: bool) -> Analysis:
    guess = langid.identify(text)
    found = Analysis(guess.language, guess.score, guess.second)
    if selected and guess.language not in selected:
        detail = f"{guess.language} not in {sorted(selected)}"
        return replace(
            found,
            stage="language",
            component=langid.COMPONENT,
            reason=Reason.LANGUAGE_NOT_SELECTED,
            detail=detail,
        )
    dropped = first_failure(filters, text, guess.language)
    if dropped is not None:
        name, result = dropped
        return replace(
            found, stage="filter", component=name, reason=result.reason, detail=result.detail
        )
    if not redact:
        return found
    cleaned, counts = pii.redact(text)
    counts = {kind: n for kind, n in counts.items() if n}
    return replace(found, redacted=cleaned if counts else None, pii=counts)


def analyse(
    texts: Sequence[str], curate: Mapping[str, Any]
) -> tuple[list[Analysis], np.ndarray | None]:
    """Analyses of `texts`, and MinHash signatures of the kept ones' final texts (row per text)."""
    filters = build_filters(curate.get("filters"))
    selected = set(curate.get("languages") or [])
    results = [_one(t, filters, selected, curate.get("pii", True)) for t in texts]
    config = dedup_config(curate)
    if config is None:
        return results, None
    finals = ["" if r.reason else (r.redacted or t) for r, t in zip(results, texts, strict=True)]
    return results, dedup.signatures(finals, config)
