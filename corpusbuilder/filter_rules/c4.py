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

import re
from collections.abc import Mapping
from typing import Any

from corpusbuilder.filters import FilterResult, RuleFilter, words

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


def units(text: str, wrap_chars: int) -> list[str]:
    """Lines, with hard-wrapped continuations joined back into one unit."""
    joined: list[str] = []
    pending = last = ""
    for raw in text.splitlines():
        line = raw.strip()
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


def removed(unit: str, min_words: int) -> bool:
    """Would C4 delete this line? Long units and units holding two sentence ends are prose
    (a paragraph or a verse passage cut mid-sentence), not navigation."""
    count = len(words(unit))
    prose = (
        unit.endswith(TERMINAL) or count >= PROSE_WORDS or len(SENTENCE_END_RE.findall(unit)) >= 2
    )
    if not prose or count < min_words:
        return True
    return bool(JAVASCRIPT_RE.search(unit) or POLICY_RE.search(unit))


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

    def evaluate(self, text: str, p: Mapping[str, Any], language: str) -> FilterResult | None:
        if p["drop_lorem_ipsum"] and LOREM_RE.search(text):
            return FilterResult("lorem_ipsum", "contains 'lorem ipsum'")
        if p["drop_curly_bracket"] and "{" in text:
            return FilterResult("curly_bracket", "contains '{'")
        found = units(text, p["wrap_chars"])
        kept = [u for u in found if not removed(u, p["min_words_per_line"])]
        if p["min_kept_lines"] is not None and len(kept) < p["min_kept_lines"]:
            return FilterResult(
                "too_few_kept_lines", f"kept_lines={len(kept)} < {p['min_kept_lines']}"
            )
        total = sum(map(len, found)) or 1
        fraction = sum(map(len, kept)) / total
        if p["min_kept_fraction"] is not None and fraction < p["min_kept_fraction"]:
            return FilterResult(
                "too_little_kept_text", f"kept_chars={fraction:.3f} < {p['min_kept_fraction']}"
            )
        return None
