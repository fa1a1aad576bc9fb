"""The built-in quality filters by versioned name, built from corpus.yaml's ``curate.filters``::

    curate:
      filters:
        gopher_quality_v1: {min_words: 30, languages: {de: {max_mean_word_length: 12}}}
        gopher_repetition_v1: {}
        c4_lines_v1: {min_kept_fraction: 0.4}
        ocr_noise_v1: {}

``None`` builds the default set, ``{}`` no filters, an unknown name or threshold is a ValueError
naming the available ones. Thresholds have documented defaults in each rule module
(``corpusbuilder/filter_rules``); what filters share is in ``filter_rules/base.py``. No rule
imports this module, so it imports the rules at the top.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from corpusbuilder.curate.filter_rules.base import Document, FilterResult, RuleFilter
from corpusbuilder.curate.filter_rules.c4 import C4Lines
from corpusbuilder.curate.filter_rules.gopher import GopherQuality, GopherRepetition
from corpusbuilder.curate.filter_rules.ocr import OcrNoise

REGISTRY: dict[str, type[RuleFilter]] = {
    cls.name: cls for cls in (GopherQuality, GopherRepetition, C4Lines, OcrNoise)
}


def available() -> list[str]:
    return list(REGISTRY)


def build_filters(config: Mapping[str, Mapping[str, Any] | None] | None = None) -> list[RuleFilter]:
    """Filters from corpus.yaml's ``curate.filters``, in the order given (None → all defaults)."""
    if config is None:
        return [cls() for cls in REGISTRY.values()]
    unknown = sorted(set(config) - set(REGISTRY))
    if unknown:
        raise ValueError(
            f"unknown filter(s) {', '.join(unknown)} in curate.filters; "
            f"available: {', '.join(REGISTRY)}"
        )
    return [REGISTRY[name](overrides) for name, overrides in config.items()]


def first_failure(
    filters: list[RuleFilter], text: str, language: str
) -> tuple[str, FilterResult] | None:
    """(filter name, result) of the first filter that drops `text`, or None when all keep it."""
    doc = Document(text)
    for rule in filters:
        result = rule.check_document(doc, language)
        if result is not None:
            return rule.name, result
    return None
