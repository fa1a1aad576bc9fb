"""Quality filters: versioned, configurable, per-language, pure functions of (text, language).

A filter answers ``None`` (keep) or a ``FilterResult``. The filter's versioned ``name`` is the
ledger's component (``gopher_quality_v1``); ``reason`` is a stable snake_case code unique within
that filter (``too_few_words``); ``detail`` shows the measured value against the threshold
(``words=12 < 50``). Thresholds have documented defaults in each rule module and are overridden
from ``corpus.yaml``::

    curate:
      filters:
        gopher_quality_v1: {min_words: 30, languages: {de: {max_mean_word_length: 12}}}
        gopher_repetition_v1: {}
        c4_lines_v1: {min_kept_fraction: 0.4}
        ocr_noise_v1: {}

``None`` builds the default set, ``{}`` no filters, an unknown name or threshold is a ValueError
naming the available ones. Tokenising is a regex (spaCy tokenisation is 90 % of datatrove's
filter cost), done once per document: ``first_failure`` wraps the text in a ``Document`` whose
words, tokens and lines every filter shares. Filters hold only their thresholds, so they pickle
into a process pool.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, Protocol

from corpusbuilder.steps import KEEP, Doc, Outcome, Step, drop

WORD_RE = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
PARAGRAPH_RE = re.compile(r"\n[ \t\r\f\v]*\n\s*")


@dataclass(frozen=True)
class FilterResult:
    reason: str  # stable snake_case code, unique within the filter, e.g. "too_few_words"
    detail: str  # the measured value and the threshold, e.g. "words=12 < 50"


class Filter(Protocol):
    name: str

    def check(self, text: str, language: str) -> FilterResult | None: ...


def words(text: str) -> list[str]:
    """Runs of letters/digits, keeping inner apostrophes and hyphens (l'homme, well-known)."""
    return WORD_RE.findall(text)


def lines(text: str) -> list[str]:
    """Non-blank lines, stripped (blank lines are layout, not content)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in PARAGRAPH_RE.split(text) if p.strip()]


class Document:
    """One text's words, tokens and lines, each computed on first use and shared by the filters
    (four filters used to split the same text eight times)."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def words(self) -> list[str]:
        return WORD_RE.findall(self.text)

    @cached_property
    def tokens(self) -> list[str]:
        """Whitespace-separated tokens, as ``str.split()`` gives them."""
        return self.text.split()

    @cached_property
    def token_counts(self) -> Counter[str]:
        return Counter(self.tokens)

    @cached_property
    def stripped_lines(self) -> list[str]:
        """Every physical line, stripped; blank ones are kept as ''."""
        return list(map(str.strip, self.text.splitlines()))

    @cached_property
    def lines(self) -> list[str]:
        """As ``lines(text)``: non-blank lines, stripped."""
        return list(filter(None, self.stripped_lines))

    @cached_property
    def paragraphs(self) -> list[str]:
        return paragraphs(self.text)


class Memo(dict):
    """A bounded per-process table of a pure function of one token. Book vocabularies are
    Zipfian, so after a few documents nearly every token has been judged before."""

    def __init__(self, function: Callable[[Any], Any], limit: int = 100_000) -> None:
        super().__init__()
        self.function, self.limit = function, limit

    def __missing__(self, key: Hashable) -> Any:
        if len(self) >= self.limit:
            self.clear()
        value = self[key] = self.function(key)
        return value


def parsed(doc: Doc) -> Document:
    """The words, tokens and lines of a step's document, shared by every filter step."""
    found = doc.cache.get("document")
    if found is None:
        found = doc.cache["document"] = Document(doc.text)
    return found


class RuleFilter(Step):
    """Base of the built-in filters: thresholds = defaults ⊕ config ⊕ config['languages'][lang].

    Subclasses set ``name`` and ``defaults`` and implement ``evaluate(doc, params, language)``
    on a ``Document``. A threshold set to ``None`` disables its rule. As a curation step, a
    filter takes its thresholds from ``curate.filters.<name>`` and judges each document in the
    language an earlier step found.
    """

    name: ClassVar[str]
    defaults: ClassVar[Mapping[str, Any]]

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        config = dict(config or {})
        per_language = dict(config.pop("languages", None) or {})
        self._validate(config, "")
        self.params: dict[str, Any] = {**self.defaults, **config}
        self.per_language: dict[str, dict[str, Any]] = {}
        for language, overrides in per_language.items():
            self._validate(overrides, f" for language {language!r}")
            self.per_language[language] = {**self.params, **overrides}

    def _validate(self, overrides: Mapping[str, Any], where: str) -> None:
        unknown = sorted(set(overrides) - set(self.defaults))
        if unknown:
            known = ", ".join(sorted(self.defaults))
            raise ValueError(
                f"{self.name}: unknown threshold(s) {', '.join(unknown)}{where}; known: {known}"
            )

    @classmethod
    def configure(cls, curate: Mapping[str, Any]) -> RuleFilter:
        return cls((curate.get("filters") or {}).get(cls.name))

    def run(self, docs: Sequence[Doc]) -> list[Outcome]:
        return [self._outcome(doc) for doc in docs]

    def _outcome(self, doc: Doc) -> Outcome:
        found = self.check_document(parsed(doc), doc.language or "")
        return KEEP if found is None else drop(found.reason, found.detail)

    def described_settings(self) -> dict[str, Any]:
        found: dict[str, Any] = {"thresholds": dict(self.params)}
        return found | ({"languages": self.per_language} if self.per_language else {})

    def params_for(self, language: str) -> dict[str, Any]:
        return self.per_language.get(language, self.params)

    def check(self, text: str, language: str) -> FilterResult | None:
        return self.evaluate(Document(text), self.params_for(language), language)

    def check_document(self, doc: Document, language: str) -> FilterResult | None:
        """As ``check``, on a Document other filters may already have tokenised."""
        return self.evaluate(doc, self.params_for(language), language)

    def evaluate(self, doc: Document, p: Mapping[str, Any], language: str) -> FilterResult | None:
        raise NotImplementedError


def _registry() -> dict[str, type[RuleFilter]]:
    """Built-in filters by versioned name (imported here: rule modules import this one)."""
    from corpusbuilder.filter_rules.c4 import C4Lines
    from corpusbuilder.filter_rules.gopher import GopherQuality, GopherRepetition
    from corpusbuilder.filter_rules.ocr import OcrNoise

    classes = (GopherQuality, GopherRepetition, C4Lines, OcrNoise)
    return {cls.name: cls for cls in classes}


def available() -> list[str]:
    return list(_registry())


def build_filters(config: Mapping[str, Mapping[str, Any] | None] | None = None) -> list[RuleFilter]:
    """Filters from corpus.yaml's ``curate.filters``, in the order given (None → all defaults)."""
    registry = _registry()
    if config is None:
        return [cls() for cls in registry.values()]
    unknown = sorted(set(config) - set(registry))
    if unknown:
        raise ValueError(
            f"unknown filter(s) {', '.join(unknown)} in curate.filters; "
            f"available: {', '.join(registry)}"
        )
    return [registry[name](overrides) for name, overrides in config.items()]


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
