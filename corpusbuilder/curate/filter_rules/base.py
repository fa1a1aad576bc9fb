"""What every quality filter shares: the rule-filter step, its result, and the words, tokens and
lines of a text, computed once and shared by every filter (``Document``).

A filter answers ``None`` (keep) or a ``FilterResult``. The filter's versioned ``name`` is the
ledger's component (``gopher_quality_v1``); ``reason`` is a stable snake_case code unique within
that filter (``too_few_words``); ``detail`` shows the measured value against the threshold
(``words=12 < 50``). On a document it keeps, a filter reports what it measured (``measurements``,
the values its thresholds were compared with), so a kept document shows them too. Tokenising is
a regex (spaCy tokenisation is 90 % of datatrove's filter cost). Filters hold only their
thresholds, so they pickle into a process pool. This module imports no rule: the rules import it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import filterfalse
from typing import Any, ClassVar

from corpusbuilder.steps import Doc, Outcome, Step, drop, keep

WORD_RE = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
PARAGRAPH_RE = re.compile(r"\n[ \t\r\f\v]*\n\s*")
DIGITS = 4  # decimals kept of a measured ratio: enough to compare with any threshold we use

# A filter's measurements by name, e.g. {"words": 1234, "alpha_words_ratio": 0.9712}.
Measured = dict[str, float]


@dataclass(frozen=True)
class FilterResult:
    reason: str  # stable snake_case code, unique within the filter, e.g. "too_few_words"
    detail: str  # the measured value and the threshold, e.g. "words=12 < 50"


def words(text: str) -> list[str]:
    """Runs of letters/digits, keeping inner apostrophes and hyphens (l'homme, well-known)."""
    return WORD_RE.findall(text)


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in PARAGRAPH_RE.split(text) if p.strip()]


class Document:
    """One text's words, tokens and lines, each computed on first use and shared by the filters
    (four filters used to split the same text eight times)."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def words(self) -> list[str]:
        """``words(text)``, found token by token (1.7x faster): a word never spans whitespace,
        and a token of letters only is one word."""
        found: list[str] = []
        for token in self.tokens:
            if token.isalpha():
                found.append(token)
            else:
                found.extend(WORD_RE.findall(token))
        return found

    @cached_property
    def tokens(self) -> list[str]:
        """Whitespace-separated tokens, as ``str.split()`` gives them."""
        return self.text.split()

    @cached_property
    def unlettered_tokens(self) -> list[str]:
        """The tokens not made of letters only ("word,", "1848", "—"), in order. A token of
        letters only answers every per-token rule the same way (one word, alphabetic, word-like),
        so the rules judge only these, about a quarter of the tokens of prose."""
        return list(filterfalse(str.isalpha, self.tokens))

    @cached_property
    def stripped_lines(self) -> list[str]:
        """Every physical line, stripped; blank ones are kept as ''."""
        return list(map(str.strip, self.text.splitlines()))

    @cached_property
    def lines(self) -> list[str]:
        """Non-blank lines, stripped (blank lines are layout, not content)."""
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


def rounded(measured: Measured) -> Measured:
    """Ratios to DIGITS decimals (counts are ints and stay as they are), in name order."""
    return {k: round(v, DIGITS) if isinstance(v, float) else v for k, v in sorted(measured.items())}


class RuleFilter(Step):
    """Base of the built-in filters: thresholds = defaults ⊕ config ⊕ config['languages'][lang].

    Subclasses set ``name`` and ``defaults`` and implement ``evaluate(doc, params, language,
    measured)`` on a ``Document``, writing each value they compare with a threshold into
    ``measured`` as they take it. A threshold set to ``None`` disables its rule. As a curation
    step, a filter takes its thresholds from ``curate.filters.<name>``, judges each document in
    the language an earlier step found, and keeps a document with the annotation
    ``measurements={name: {...}}``.
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
        language = doc.language or ""
        measured: Measured = {}
        found = self.evaluate(parsed(doc), self.params_for(language), language, measured)
        if found is None:
            return keep(measurements={self.name: rounded(measured)})
        return drop(found.reason, found.detail)

    def described_settings(self) -> dict[str, Any]:
        found: dict[str, Any] = {"thresholds": dict(self.params)}
        return found | ({"languages": self.per_language} if self.per_language else {})

    def params_for(self, language: str) -> dict[str, Any]:
        return self.per_language.get(language, self.params)

    def check(self, text: str, language: str) -> FilterResult | None:
        return self.check_document(Document(text), language)

    def check_document(self, doc: Document, language: str) -> FilterResult | None:
        """As ``check``, on a Document other filters may already have tokenised."""
        return self.evaluate(doc, self.params_for(language), language, {})

    def measure(self, text: str, language: str) -> Measured:
        """What the filter measures of `text` (rounded): on a text it keeps, every value its
        thresholds were compared with; on one it drops, those taken up to the failing rule."""
        measured: Measured = {}
        self.evaluate(Document(text), self.params_for(language), language, measured)
        return rounded(measured)

    def evaluate(
        self, doc: Document, p: Mapping[str, Any], language: str, measured: Measured
    ) -> FilterResult | None:
        raise NotImplementedError
