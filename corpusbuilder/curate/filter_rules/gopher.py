"""Gopher quality and repetition rules (Rae et al. 2021, "Scaling Language Models", App. A1).

Definitions follow datatrove's GopherQualityFilter / GopherRepetitionFilter with three documented
changes for a book corpus: words come from a regex (not nltk/spaCy); blank lines are layout and are
not counted as duplicate lines; n-gram character fractions are measured over word characters
(``sum(len(word))``), not over all characters including whitespace. ``max_words`` is off by
default because whole books exceed Gopher's 100,000-word bound; set it to restore the bound.
The duplicate line/paragraph *count* fractions ignore units under ``min_dup_unit_words`` words:
in plays and verse a speaker's name or a refrain repeats by design (their characters still count).
Repeated n-grams are found by refining shorter ones (``ngrams.py``), with the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from corpusbuilder.curate.filter_rules.base import (
    Document,
    FilterResult,
    Measured,
    Memo,
    RuleFilter,
    words,
)
from corpusbuilder.curate.filter_rules.ngrams import RepeatedNgrams
from corpusbuilder.curate.filter_rules.stopwords import stop_words

# Scripts written without spaces between words: word counts mean nothing there.
UNSPACED = frozenset({"zh", "ja", "th", "lo", "km", "my"})
# A bullet mark, or "-"/"*" followed by a space (not the "--" of dialogue in French books).
BULLET_RE = re.compile(r"[•●○▪◦‣·]|[-*]\s")
HAS_ALPHA = Memo(lambda token: any(map(str.isalpha, token)))


def _ratio_rules(doc: Document, p: Mapping[str, Any], measured: Measured) -> Iterator[FilterResult]:
    """Symbol/word ratios, bullet and ellipsis lines, alphabetic words (in Gopher's order)."""
    text, n = doc.text, len(doc.tokens)
    hashes = measured["hash_word_ratio"] = text.count("#") / n
    if p["max_symbol_word_ratio"] is not None and hashes > p["max_symbol_word_ratio"]:
        yield FilterResult(
            "too_many_hashes", f"hash/word={hashes:.3f} > {p['max_symbol_word_ratio']}"
        )
    ellipses = measured["ellipsis_word_ratio"] = (text.count("...") + text.count("…")) / n
    if p["max_symbol_word_ratio"] is not None and ellipses > p["max_symbol_word_ratio"]:
        yield FilterResult(
            "too_many_ellipses", f"ellipsis/word={ellipses:.3f} > {p['max_symbol_word_ratio']}"
        )
    rows = doc.lines or [""]
    bullets = sum(bool(BULLET_RE.match(row)) for row in rows) / len(rows)
    measured["bullet_lines_ratio"] = bullets
    if p["max_bullet_lines_ratio"] is not None and bullets > p["max_bullet_lines_ratio"]:
        yield FilterResult(
            "too_many_bullet_lines", f"bullet_lines={bullets:.3f} > {p['max_bullet_lines_ratio']}"
        )
    trailing = sum(row.endswith(("...", "…")) for row in rows) / len(rows)
    measured["ellipsis_lines_ratio"] = trailing
    if p["max_ellipsis_lines_ratio"] is not None and trailing > p["max_ellipsis_lines_ratio"]:
        yield FilterResult(
            "too_many_ellipsis_lines",
            f"ellipsis_lines={trailing:.3f} > {p['max_ellipsis_lines_ratio']}",
        )
    unlettered = doc.unlettered_tokens  # every other token is all letters
    alphabetic = n - len(unlettered) + sum(map(HAS_ALPHA.__getitem__, unlettered))
    alpha = measured["alpha_words_ratio"] = alphabetic / n
    if p["min_alpha_words_ratio"] is not None and alpha < p["min_alpha_words_ratio"]:
        yield FilterResult(
            "too_few_alpha_words", f"alpha_words={alpha:.3f} < {p['min_alpha_words_ratio']}"
        )


def _stop_word_hits(found: list[str], listed: frozenset[str], enough: float) -> int:
    """Stop words among `found`; counting stops at `enough`, all the rule needs to know."""
    hits = 0
    for word in found:
        if word.lower() in listed:
            hits += 1
            if hits >= enough:
                break
    return hits


class GopherQuality(RuleFilter):
    """Documents that do not look like prose: too short, odd word lengths, symbol soup, lists."""

    name = "gopher_quality_v1"
    defaults = {
        "min_words": 50,
        "max_words": None,
        "min_mean_word_length": 3.0,
        "max_mean_word_length": 10.0,
        "max_symbol_word_ratio": 0.1,
        "max_bullet_lines_ratio": 0.9,
        "max_ellipsis_lines_ratio": 0.3,
        "min_alpha_words_ratio": 0.8,
        "min_stop_words": 2,
    }

    def evaluate(
        self, doc: Document, p: Mapping[str, Any], language: str, measured: Measured
    ) -> FilterResult | None:
        if language in UNSPACED:
            return None
        found = doc.words
        n = measured["words"] = len(found)
        if p["min_words"] is not None and n < p["min_words"]:
            return FilterResult("too_few_words", f"words={n} < {p['min_words']}")
        if p["max_words"] is not None and n > p["max_words"]:
            return FilterResult("too_many_words", f"words={n} > {p['max_words']}")
        if n == 0:
            return FilterResult("too_few_words", "words=0")
        mean = measured["mean_word_length"] = sum(map(len, found)) / n
        if p["min_mean_word_length"] is not None and mean < p["min_mean_word_length"]:
            return FilterResult(
                "mean_word_too_short", f"mean_word={mean:.2f} < {p['min_mean_word_length']}"
            )
        if p["max_mean_word_length"] is not None and mean > p["max_mean_word_length"]:
            return FilterResult(
                "mean_word_too_long", f"mean_word={mean:.2f} > {p['max_mean_word_length']}"
            )
        failure = next(_ratio_rules(doc, p, measured), None)
        if failure is not None:
            return failure
        listed = stop_words(language)
        if p["min_stop_words"] is not None and listed:
            hits = _stop_word_hits(found, listed, p["min_stop_words"])
            measured["stop_words"] = hits  # counted up to the threshold, all the rule needs
            if hits < p["min_stop_words"]:
                return FilterResult(
                    "too_few_stop_words", f"stop_words[{language}]={hits} < {p['min_stop_words']}"
                )
        return None


def _duplicate_fractions(items: list[str], min_words: int, size: int) -> tuple[float, float]:
    """Share of the items (of ≥ `min_words` words) that repeat an earlier one, and share of
    `size` characters in repeated items. Equal items have equal lengths, so the repeated
    characters are all characters minus those of the distinct items."""
    distinct = set(items)
    if len(distinct) == len(items):
        return 0.0, 0 / size
    chars = sum(map(len, items)) - sum(map(len, distinct))
    counted = [item for item in items if len(words(item)) >= min_words]
    return (len(counted) - len(set(counted))) / (len(counted) or 1), chars / size


class GopherRepetition(RuleFilter):
    """Documents that repeat themselves: duplicate lines/paragraphs, dominant/repeated n-grams."""

    name = "gopher_repetition_v1"
    defaults = {
        "max_dup_para_fraction": 0.3,
        "max_dup_para_char_fraction": 0.2,
        "max_dup_line_fraction": 0.3,
        "max_dup_line_char_fraction": 0.2,
        "min_dup_unit_words": 3,  # shorter lines/paragraphs (speaker names, "* * *") not counted
        "max_top_ngram_char_fraction": {2: 0.2, 3: 0.18, 4: 0.16},
        "max_dup_ngram_char_fraction": {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10},
    }

    def evaluate(
        self, doc: Document, p: Mapping[str, Any], language: str, measured: Measured
    ) -> FilterResult | None:
        size = len(doc.text) or 1
        for unit, attribute in (("para", "paragraphs"), ("line", "lines")):
            items = getattr(doc, attribute)
            frac, char_frac = _duplicate_fractions(items, p["min_dup_unit_words"], size)
            measured[f"dup_{unit}_fraction"] = frac
            measured[f"dup_{unit}_char_fraction"] = char_frac
            if p[f"max_dup_{unit}_fraction"] is not None and frac > p[f"max_dup_{unit}_fraction"]:
                return FilterResult(
                    f"dup_{unit}_fraction",
                    f"dup_{unit}s={frac:.3f} > {p[f'max_dup_{unit}_fraction']}",
                )
            limit = p[f"max_dup_{unit}_char_fraction"]
            if limit is not None and char_frac > limit:
                return FilterResult(
                    f"dup_{unit}_char_fraction", f"dup_{unit}_chars={char_frac:.3f} > {limit}"
                )
        return self._ngrams(RepeatedNgrams(doc.words), p, measured)

    @staticmethod
    def _ngrams(
        grams: RepeatedNgrams, p: Mapping[str, Any], measured: Measured
    ) -> FilterResult | None:
        total = grams.total_chars or 1
        for n, limit in sorted((p["max_top_ngram_char_fraction"] or {}).items()):
            frac = measured[f"top_{n}_gram_char_fraction"] = grams.top_chars(int(n)) / total
            if limit is not None and frac > limit:
                return FilterResult(
                    f"top_{n}_gram_char_fraction", f"top_{n}gram_chars={frac:.3f} > {limit}"
                )
        for n, limit in sorted((p["max_dup_ngram_char_fraction"] or {}).items()):
            frac = measured[f"dup_{n}_gram_char_fraction"] = grams.duplicate_chars(int(n)) / total
            if limit is not None and frac > limit:
                return FilterResult(
                    f"dup_{n}_gram_char_fraction", f"dup_{n}gram_chars={frac:.3f} > {limit}"
                )
        return None
