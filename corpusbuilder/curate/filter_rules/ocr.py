"""OCR-noise heuristics for digitised books.

Bad OCR leaves tokens that are not words ("tbe", "w0rd", "j;ust"), letters standing alone where a
word broke apart ("t h e"), symbols no typesetter used ("■", "¦", "~"), and words hyphenated at a
line end that no one joined back. Each is measured as a ratio and compared with a threshold set
well above what clean Project Gutenberg books show (``bench``: 3 KB chunks of shared/data/books).
Each distinct token is judged once per process (``TOKEN_JUDGEMENTS``), not once per occurrence,
and only tokens not made of letters only are judged one by one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import compress
from typing import Any

from corpusbuilder.curate.filter_rules.base import (
    Document,
    FilterResult,
    Measured,
    Memo,
    RuleFilter,
)

EDGE_PUNCT_RE = re.compile(r"^[\W_]+|[\W_]+$")
WORDLIKE_RE = re.compile(
    r"[^\W\d_]+(?:(?:['’.]|[-–—]+)[^\W\d_]+)*['’]?"  # words, l'homme, well-known, U.S., o'
    r"|\d+(?:[.,:/\-–]\d+)*(?:[^\W\d_]{1,3})?"  # 1848, 3.14, 12:30, 1st, 2e
    r"|[IVXLCDMivxlcdm]+\d*"
)
# Single letters that are words in the language; others standing alone are OCR debris. In a
# language missing here (Slavic ones have many one-letter words: и, в, с, z, w) it is not judged.
SINGLE_LETTER_WORDS = {
    "en": "aiAIoO",
    "fr": "aàyAÀYôÔ",
    "es": "ayoeuAYOEU",
    "it": "aeèioAEÈIO",
    "pt": "aeoàéAEOÀÉ",
    "de": "",
    "nl": "uU",
}
ORDINARY_SYMBOLS = set(".,;:!?¡¿'\"()[]-–—…«»‹›“”„‘’′″/&%*$£€°§#+=_•·†™\ufeff\u00a0\u2009\u202f")
GARBAGE_RE = re.compile("[^\\w\\s" + re.escape("".join(sorted(ORDINARY_SYMBOLS))) + "]")
ELISION_RE = re.compile(r"^\W*[^\W\d_]['’]")  # l’ amor, d' un: elided articles
BROKEN_HYPHEN_RE = re.compile(r"[^\W\d_]-[ \t]*\r?\n[ \t]*[^\W\d_]*[a-zà-ÿ]")
HYPHEN_AT_LINE_END_RE = re.compile(r"-[ \t]*\r?\n")  # in every broken hyphen; rare, fast to find
IS_GARBAGE = Memo(lambda char: GARBAGE_RE.match(char) is not None)


@dataclass(frozen=True)
class OcrMeasures:
    non_word_ratio: float  # of tokens with a letter or digit
    single_letter_ratio: float  # isolated letters that are not one-letter words
    garbage_char_ratio: float  # of all characters
    broken_hyphen_ratio: float  # of non-blank lines


def _judge(token: str) -> tuple[bool, bool, str]:
    """(has a core, core is not word-like, the core if it is one letter not an elided article)
    of a token not made of letters only (one of letters only is its own word-like core)."""
    core = EDGE_PUNCT_RE.sub("", token)
    if not core:
        return False, False, ""
    single = len(core) == 1 and core.isalpha() and not ELISION_RE.search(token)
    return True, WORDLIKE_RE.fullmatch(core) is None, core if single else ""


TOKEN_JUDGEMENTS = Memo(_judge)


def _stray_letters(tokens: list[str], allowed: str) -> int:
    """One-letter tokens of letters only that are not one-letter words of the language."""
    lone = compress(tokens, map((1).__eq__, map(len, tokens)))
    return sum(letter.isalpha() and letter not in allowed for letter in lone)


def measure(doc: Document, language: str) -> OcrMeasures:
    allowed = SINGLE_LETTER_WORDS.get(language)
    # Tokens of letters only are word-like cores; the rest get a judgement each, and have a
    # few distinct ones per document, however many tokens: count those.
    n = len(doc.tokens) - len(doc.unlettered_tokens)
    non_words = singles = 0
    for (has_core, non_word, single), count in Counter(
        map(TOKEN_JUDGEMENTS.__getitem__, doc.unlettered_tokens)
    ).items():
        n += has_core * count
        non_words += non_word * count
        if single and allowed is not None and single not in allowed:
            singles += count
    if allowed is not None:
        singles += _stray_letters(doc.tokens, allowed)
    n = n or 1
    text = doc.text
    garbage = sum(map(text.count, filter(IS_GARBAGE.__getitem__, set(text))))
    line_count = len(doc.lines) or 1
    broken = len(BROKEN_HYPHEN_RE.findall(text)) if HYPHEN_AT_LINE_END_RE.search(text) else 0
    return OcrMeasures(non_words / n, singles / n, garbage / (len(text) or 1), broken / line_count)


class OcrNoise(RuleFilter):
    """Digitised text too damaged by OCR to train on."""

    name = "ocr_noise_v1"
    defaults = {
        "max_non_word_ratio": 0.10,
        "max_single_letter_ratio": 0.05,
        "max_garbage_char_ratio": 0.01,
        "max_broken_hyphen_ratio": 0.05,
        "min_tokens": 20,  # below this the ratios are too noisy to judge
    }

    def evaluate(
        self, doc: Document, p: Mapping[str, Any], language: str, measured: Measured
    ) -> FilterResult | None:
        measured["tokens"] = len(doc.tokens)
        if measured["tokens"] < p["min_tokens"]:
            return None
        found = measure(doc, language)
        for field, reason in (
            ("non_word_ratio", "too_many_non_words"),
            ("single_letter_ratio", "too_many_single_letters"),
            ("garbage_char_ratio", "too_many_garbage_chars"),
            ("broken_hyphen_ratio", "too_many_broken_hyphens"),
        ):
            limit = p[f"max_{field}"]
            value = measured[field] = getattr(found, field)
            if limit is not None and value > limit:
                return FilterResult(reason, f"{field}={value:.3f} > {limit}")
        return None
