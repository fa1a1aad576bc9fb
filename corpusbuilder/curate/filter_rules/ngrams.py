"""Repeated word n-grams for Gopher's repetition rules, without hashing every n-gram of every size.

An n-gram that occurs twice starts with an (n-1)-gram that occurs twice, so the n-grams counted
at size n are only those extending a repeated (n-1)-gram, keyed as ((n-1)-gram key, next word).
Prose repeats few long n-grams, so sizes 3..10 look at a small and shrinking share of the words,
and every pass is a C-level Counter/map/compress, not a Python loop. The answers are exactly those
of the direct definitions over all n-grams (``_top_ngram_chars`` / ``_duplicate_ngram_chars`` of
the first version).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from itertools import compress, repeat
from operator import gt

# Per size: counts by n-gram name, then the starts and names of the n-grams that repeat; a word
# names itself, a longer n-gram is named by the start of its first occurrence.
Level = tuple[Counter, list[int], list]


class RepeatedNgrams:
    """The repeated n-grams of one word sequence, each size computed once from the size below."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.total_chars = sum(map(len, words))
        self._levels: list[Level] = []

    def _chars(self, start: int, n: int) -> int:
        """Characters of the n words from `start`: asked for a few n-grams, so not tabulated."""
        return sum(map(len, self.words[start : start + n]))

    def _level(self, n: int) -> Level:
        while len(self._levels) < n:
            self._levels.append(self._next(len(self._levels) + 1))
        return self._levels[n - 1]

    def _next(self, n: int) -> Level:
        """Size n from size n-1: the extensions of repeated (n-1)-grams (every occurrence of a
        repeated n-gram is one), each named by the start of its first occurrence, then counted."""
        words = self.words
        if n == 1:  # words name themselves
            counts = Counter(words)
            repeated = list(map(gt, map(counts.__getitem__, words), repeat(1)))
            starts = list(compress(range(len(words)), repeated))
            return counts, starts, list(compress(words, repeated))
        _, starts, names = self._levels[-1]
        end = bisect_right(starts, len(words) - n)  # room for n words
        starts = starts[:end]
        following = map(words.__getitem__, map((n - 1).__add__, starts))
        keys = zip(names[:end], following, strict=True)
        names = list(map({}.setdefault, keys, starts))
        counts = Counter(names)
        repeated = list(map(gt, map(counts.__getitem__, names), repeat(1)))
        return counts, list(compress(starts, repeated)), list(compress(names, repeated))

    def top_chars(self, n: int) -> int:
        """Characters covered by the most frequent n-gram (ties: the longest); 0 if none repeats."""
        if n < 1:
            return 0
        counts, starts, names = self._level(n)
        if not starts:
            return 0
        top = max(counts.values())
        at_top = compress(starts, map(top.__eq__, map(counts.__getitem__, names)))
        return top * max(map(self._chars, at_top, repeat(n)))

    def duplicate_chars(self, n: int) -> int:
        """Characters in n-grams that repeat an earlier one, scanning left to right; a repeat
        skips ahead n words. Only starts of repeated n-grams can change the scan, so only they
        are visited."""
        if n < 1:
            return 0
        _, starts, names = self._level(n)
        seen, chars, resume = set(), 0, 0
        for i, name in zip(starts, names, strict=True):
            if i < resume:
                continue
            if name in seen:
                chars += self._chars(i, n)
                resume = i + n
            else:
                seen.add(name)
        return chars
