"""C4-style line rules (Raffel et al. 2020), as a document-level keep/drop decision.

C4 deletes lines without terminal punctuation, with fewer than 3 words, mentioning javascript or
cookie policies, and drops pages with "lorem ipsum" or a curly bracket. We never edit a text (its
sha256 is provenance), so we measure what C4 would delete and drop the document when too little
would remain.

Long-form prose is protected in two ways. Books are hard-wrapped: a physical line is joined to the
next when it ends mid-sentence (a comma, semicolon, colon or dash; or a long line without terminal
punctuation; or the next line starting in lower case), so a wrapped paragraph or a verse sentence
is judged as one unit. And the document-level bound is on characters, not lines: chapter headings
and short speaker names lose few characters.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from itertools import islice
from typing import Any

from corpusbuilder.curate.filter_rules.base import (
    WORD_RE,
    Document,
    FilterResult,
    Measured,
    RuleFilter,
)

TERMINAL = (".", "!", "?", '"', "”", "’", "'", "»", "«", "›", "‹", "…", ")", "。", "！", "？")
SENTENCE_END_RE = re.compile(r"[.!?…][\"”’»«)]*\s+\S")
CONTINUES = (",", ";", ":", "-", "–", "—", "(")
JAVASCRIPT_RE = re.compile(r"javascript", re.IGNORECASE)
POLICY_RE = re.compile(
    r"cookie policy|use of cookies|uses cookies|use cookies|privacy policy|terms of use"
    r"|all rights reserved|enable javascript",
    re.IGNORECASE,
)
PROSE_WORDS = 40  # a unit this long is running text whatever its last character
LOREM_RE = re.compile(r"lorem ipsum", re.IGNORECASE)
# Every phrase of the three patterns above holds one of these words (a test checks it). Under
# re.IGNORECASE, "İ", "ı" and "ſ" match i, i and s, but str.lower() keeps them apart; every other
# character that matches a letter of these words lowers to it (checked over all of Unicode).
KEYWORDS = ("lorem", "javascript", "cookie", "privacy", "terms", "reserved")
UNLOWERED = ("İ", "ı", "ſ")


def units(stripped_lines: list[str], wrap_chars: int) -> list[str]:
    """Lines, with hard-wrapped continuations joined back into one unit."""
    joined: list[str] = []
    pending = last = ""
    for line in stripped_lines:
        if pending and line and _continues(last, line, wrap_chars):
            pending = f"{pending} {line}"
        else:
            if pending:
                joined.append(pending)
            pending = line
        last = line
    if pending:
        joined.append(pending)
    return joined


def _continues(last: str, line: str, wrap_chars: int) -> bool:
    """Does physical line `line` continue the sentence that `last` left open?"""
    if last.endswith(CONTINUES) or line[0].islower():
        return True
    return len(last) >= wrap_chars and not last.endswith(TERMINAL)


def may_hold_notice(text: str) -> bool:
    """False when no lorem ipsum, javascript or policy phrase can match the text or any of its
    units: one fast pass instead of a case-insensitive regex search per unit."""
    if any(map(text.__contains__, UNLOWERED)):
        return True
    lowered = text.lower()
    return any(map(lowered.__contains__, KEYWORDS))


def _at_least(pattern: re.Pattern[str], text: str, count: float) -> bool:
    """Does `pattern` match `text` at least `count` times? Stops at the count-th match."""
    needed = math.ceil(count)
    return needed <= 0 or next(islice(pattern.finditer(text), needed - 1, None), None) is not None


def removed(unit: str, min_words: int, notices: bool = True) -> bool:
    """Would C4 delete this line? Long units and units holding two sentence ends are prose
    (a paragraph or a verse passage cut mid-sentence), not navigation. `notices=False` says
    the document holds no javascript/policy phrase (``may_hold_notice``): none is searched for."""
    prose = (
        unit.endswith(TERMINAL)
        or _at_least(WORD_RE, unit, PROSE_WORDS)
        or _at_least(SENTENCE_END_RE, unit, 2)
    )
    if not prose or not _at_least(WORD_RE, unit, min_words):
        return True
    return notices and bool(JAVASCRIPT_RE.search(unit) or POLICY_RE.search(unit))


class C4Lines(RuleFilter):
    """Pages that are mostly navigation, boilerplate, placeholders or code."""

    name = "c4_lines_v1"
    defaults = {
        "min_words_per_line": 3,
        "min_kept_fraction": 0.5,  # of the characters; C4 itself keeps any page with ≥ 5 sentences
        "min_kept_lines": 1,
        "wrap_chars": 50,  # a line this long without terminal punctuation is a wrapped one
        "drop_lorem_ipsum": True,
        "drop_curly_bracket": False,  # C4 drops any "{": off, books and papers use it legitimately
    }

    def evaluate(
        self, doc: Document, p: Mapping[str, Any], language: str, measured: Measured
    ) -> FilterResult | None:
        text = doc.text
        notices = may_hold_notice(text)
        if p["drop_lorem_ipsum"] and notices and LOREM_RE.search(text):
            return FilterResult("lorem_ipsum", "contains 'lorem ipsum'")
        if p["drop_curly_bracket"] and "{" in text:
            return FilterResult("curly_bracket", "contains '{'")
        found = units(doc.stripped_lines, p["wrap_chars"])
        kept = [u for u in found if not removed(u, p["min_words_per_line"], notices)]
        measured["kept_lines"] = len(kept)
        if p["min_kept_lines"] is not None and len(kept) < p["min_kept_lines"]:
            return FilterResult(
                "too_few_kept_lines", f"kept_lines={len(kept)} < {p['min_kept_lines']}"
            )
        total = sum(map(len, found)) or 1
        fraction = measured["kept_fraction"] = sum(map(len, kept)) / total
        if p["min_kept_fraction"] is not None and fraction < p["min_kept_fraction"]:
            return FilterResult(
                "too_little_kept_text", f"kept_chars={fraction:.3f} < {p['min_kept_fraction']}"
            )
        return None
