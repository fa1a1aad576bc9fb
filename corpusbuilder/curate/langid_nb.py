"""The first identifier: one naive-Bayes pass over langdetect's profiles (55 languages).

Why not ``langdetect.detect``: it runs 7 random trials of up to 1,000 single n-gram updates per
call in pure Python (~7 ms for 3 KB), and its answer depends on a seed. Its *profiles* and
*normalisation* are good, so they are kept: every 1–3-gram of a window (after langdetect's
URL/e-mail removal, Vietnamese and per-character normalisation, and dropping Latin letters from
mostly non-Latin text) adds its smoothed log P(gram | language) — langdetect's
``alpha / BASE_FREQ`` added to each probability, as its own update does — in a single pass. The
sum over a word's n-grams depends on the word only, so it is computed once per distinct word (a
bounded per-process cache) and a window costs a ``Counter`` of its words plus a small matrix
product. Deterministic by construction.

Besides the posterior, the pass counts how many of the window's trigrams each profile knows
(``coverage``) and how well they fit it (``fit``): text in a language the profiles lack is made of
n-grams its nearest profile has never seen or rarely sees, which naive Bayes alone cannot tell (it
always names one of its languages, and its posterior is relative to the others).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.utils.ngram import NGram

SMOOTHING = 0.5 / 10_000  # langdetect's alpha / BASE_FREQ, added to every P(gram | language)
# log_prob of an n-gram the profile lacks: a profile contains exactly the n-grams above it (its
# smallest probability, ~1e-7, is far above float32's resolution; a test checks it), so no
# second (rows, profiles) matrix says which it knows
UNSEEN = np.float32(np.log(SMOOTHING))
SHARPNESS = 12.0  # mean log-likelihood per n-gram is multiplied by this before the softmax
CACHE_WORDS = 50_000  # distinct words whose scores are kept per process
# Profiles whose script is Latin: the languages the profiles lack (la, eu, eo, ga, …) are mostly
# Latin-script too and land on one of these. CJK profiles are mostly unigrams: no trigram check.
_LATIN_CODES = (
    "af ca cs cy da de en es et fi fr hr hu id it lt lv nl no pl pt ro sk sl so sq sv sw tl tr vi"
)
LATIN_SCRIPT = frozenset(_LATIN_CODES.split())
_NOT_LATIN_BYTES = bytes(c for c in range(128) if not ord("A") <= c <= ord("z"))
_VI_MARK = re.compile(f"[{NGram.DMARK_CLASS}]")
_NON_LATIN = re.compile("[\u0300-\u1dff\u1f00-\U0010ffff]")  # ≥ U+0300, not Latin Ext. Additional


class _Normaliser(dict):
    """langdetect's per-character ``NGram.normalize`` as a lazily filled ``str.translate`` table."""

    def __missing__(self, code: int) -> str:
        self[code] = value = NGram.normalize(chr(code))
        return value


_NORMALISE = _Normaliser()
_DROP_LATIN = dict.fromkeys(range(ord("A"), ord("z") + 1))


@dataclass(frozen=True)
class _Profiles:
    """langdetect's profiles as matrices: one row per 1–3-gram, one column per profile."""

    names: tuple[str, ...]  # profile names, sorted (zh-cn, zh-tw are two columns)
    codes: tuple[str, ...]  # reported codes, sorted (one "zh")
    merge: np.ndarray  # (profiles, codes) 0/1: sums the zh columns of a posterior
    rows: dict[str, int]  # n-gram → row; the last row is all-zero padding
    log_prob: np.ndarray  # (rows, profiles) float32 log(P(gram | language) + SMOOTHING)
    latin: np.ndarray  # (codes,) bool: the code's profile is Latin-script (has a coverage)
    trigram_ref: np.ndarray  # (codes,) mean log_prob of a trigram drawn from the code's profile


@cache
def profiles() -> _Profiles:
    """Read once per process (read-only afterwards): ~0.3 s, ~50 MiB kept. Curation's workers
    share the copy their forkserver read (`langid_models`); no large array lives longer than it
    is needed, as the process that reads them pays their peak."""
    paths = sorted(p for p in Path(PROFILES_DIRECTORY).iterdir() if not p.name.startswith("."))
    loaded = [json.loads(path.read_text(encoding="utf-8")) for path in paths]
    names = tuple(profile["name"] for profile in loaded)
    rows: dict[str, int] = {}
    for profile in loaded:
        for gram in profile["freq"]:
            if 1 <= len(gram) <= 3 and gram != " ":
                rows.setdefault(gram, len(rows))
    prob = np.zeros((len(rows) + 1, len(loaded)))
    for column, profile in enumerate(loaded):
        grams = [gram for gram in profile["freq"] if gram in rows]
        sizes = np.asarray(profile["n_words"], dtype=float)
        lengths = np.fromiter(map(len, grams), dtype=np.intp, count=len(grams))
        freqs = np.fromiter((profile["freq"][g] for g in grams), dtype=float, count=len(grams))
        prob[[rows[g] for g in grams], column] = freqs / sizes[lengths - 1]
    del loaded, profile
    log_prob = np.empty(prob.shape, dtype=np.float32)
    for start in range(0, len(prob), 8192):  # in slices: no second float64 matrix
        log_prob[start : start + 8192] = np.log(prob[start : start + 8192] + SMOOTHING)
    log_prob[-1] = 0.0
    trigrams = np.fromiter((len(gram) == 3 for gram in rows), dtype=bool, count=len(rows))
    trigram_prob = prob[:-1][trigrams]
    del prob
    trigram_total = trigram_prob.sum(0)
    trigram_prob *= log_prob[:-1][trigrams]
    trigram_ref = trigram_prob.sum(0) / trigram_total
    codes = tuple(sorted({name.split("-")[0] for name in names}))
    merge = np.array([[name.split("-")[0] == code for code in codes] for name in names], float)
    latin = np.array([code in LATIN_SCRIPT for code in codes])
    trigram_ref = trigram_ref @ (merge / merge.sum(axis=0))
    return _Profiles(names, codes, merge, rows, log_prob, latin, trigram_ref)


def _word_grams(word: str, rows: dict[str, int], grams: list[int], trigrams: list[int]) -> int:
    """Append the rows of `word`'s known 1–3-grams and trigrams; return its trigram count.

    As langdetect's ``NGram``, the word is space-padded. Words with a possible run of capitals take
    the slow per-character path.
    """
    rest = word[1:]
    if rest.lower() != rest:
        return _capital_word_grams(word, rows, grams, trigrams)
    padded = f" {word} "
    size = len(padded)
    known = [row for i in range(size - 2) if (row := rows.get(padded[i : i + 3])) is not None]
    grams += [row for char in word if (row := rows.get(char)) is not None]
    grams += [row for i in range(size - 1) if (row := rows.get(padded[i : i + 2])) is not None]
    grams += known
    trigrams += known
    return size - 2


def _capital_word_grams(
    word: str, rows: dict[str, int], grams: list[int], trigrams: list[int]
) -> int:
    """`_word_grams` where, as in langdetect, a character that continues a run of capitals adds no
    n-gram (acronyms and shouted words say little about the language)."""
    padded = f" {word} "
    seen = 0
    for end in range(2, len(padded) + 1):
        if padded[end - 1].isupper() and padded[end - 2].isupper():
            continue
        for n in range(1, min(end, 3) + 1):
            row = rows.get(padded[end - n : end])
            if row is not None:
                grams.append(row)
                if n == 3:
                    trigrams.append(row)
        seen += end >= 3
    return seen


class _WordTable:
    """Per-word features, cached: [log-likelihoods | known trigrams per profile | trigram
    log-likelihoods | trigrams | trigrams any profile knows | grams].

    A word's n-grams do not depend on its neighbours, and documents repeat their words, so most
    words of a document are looked up, not scored. Bounded: when ``CACHE_WORDS`` is hit, the half
    read longest ago is dropped, so the words a worker keeps meeting stay (emptying the whole
    table, as before, scored 15 % of the words read over 10,000 bench documents instead of 11 %;
    a table of 100,000 words would score 5 % for 34 MB more per worker). A word's row is the same
    whenever it is scored, so eviction changes no answer.
    """

    def __init__(self, profiles: _Profiles) -> None:
        self.profiles = profiles
        self.table = np.zeros((CACHE_WORDS, 3 * len(profiles.names) + 3), dtype=np.float32)
        self.index: dict[str, int] = {}  # word → its row of the table
        self.words = [""] * CACHE_WORDS  # row → its word
        self.free = list(range(CACHE_WORDS))  # rows holding no word
        self.read = np.zeros(CACHE_WORDS, dtype=np.int64)  # row → the call that last read it
        self.calls = 0

    def features(self, words: list[str]) -> np.ndarray:
        """The rows of `words` (distinct, far fewer than ``CACHE_WORDS``), scoring the new ones."""
        self.calls += 1
        rows = list(map(self.index.get, words))
        if None in rows:
            new = [word for word, row in zip(words, rows, strict=True) if row is None]
            if len(new) > len(self.free):
                self.read[[row for row in rows if row is not None]] = self.calls
                self._evict(len(new) - len(self.free))
            self._add(new)
            rows = list(map(self.index.__getitem__, words))
        at = np.array(rows, dtype=np.intp)
        self.read[at] = self.calls
        return self.table[at]

    def _evict(self, needed: int) -> None:
        """Frees the least recently read half of the rows in use (at least `needed`), none of
        them read by the current call."""
        used = np.fromiter(self.index.values(), dtype=np.intp, count=len(self.index))
        older = used[self.read[used] < self.calls]
        count = min(len(older), max(len(used) // 2, needed))
        stale = older[np.argpartition(self.read[older], count - 1)[:count]].tolist()
        for row in stale:
            del self.index[self.words[row]]
        self.free += stale

    def _add(self, words: list[str]) -> None:
        rows = self.free[-len(words) :]
        del self.free[-len(words) :]
        self.table[rows] = self._score(words)
        self.index.update(zip(words, rows, strict=True))
        for row, word in zip(rows, words, strict=True):
            self.words[row] = word

    def _score(self, words: list[str]) -> np.ndarray:
        """The features of each word, one row each (see the class docstring). ``reduceat`` sums
        each word's n-grams alone (pairwise per column), so a word's row is the same in every
        batch it is scored in."""
        pad = len(self.profiles.rows)  # the zero row: every word's segment is non-empty
        grams: list[int] = []
        trigrams: list[int] = []
        starts: list[tuple[int, int]] = []
        counts: list[tuple[int, int, int]] = []
        for word in words:
            starts.append((len(grams), len(trigrams)))
            grams.append(pad)
            trigrams.append(pad)
            seen = _word_grams(word, self.profiles.rows, grams, trigrams)
            gram_start, trigram_start = starts[-1]
            counts.append((seen, len(trigrams) - trigram_start - 1, len(grams) - gram_start - 1))
        n = len(self.profiles.names)
        block = np.empty((len(words), 3 * n + 3), dtype=np.float32)
        gram_starts, trigram_starts = np.array(starts, dtype=np.intp).T
        log_prob = self.profiles.log_prob
        block[:, :n] = np.add.reduceat(log_prob[grams], gram_starts, axis=0)
        trigram_log_prob = log_prob[trigrams]
        contains = trigram_log_prob > UNSEEN
        contains[trigram_starts] = False  # the padding row is no trigram
        block[:, n : 2 * n] = np.add.reduceat(contains, trigram_starts, axis=0, dtype=np.float32)
        block[:, 2 * n : 3 * n] = np.add.reduceat(trigram_log_prob, trigram_starts, axis=0)
        block[:, 3 * n :] = counts
        return block


@cache
def _word_table() -> _WordTable:
    return _WordTable(profiles())


def _clean(window: str) -> str:
    """langdetect's ``Detector`` cleaning: no URLs or e-mails, no Latin letters in mostly
    non-Latin text, Vietnamese diacritics composed, then per-character normalisation."""
    text = Detector.URL_RE.sub(" ", window) if "://" in window else window
    text = Detector.MAIL_RE.sub(" ", text) if "@" in text else text
    if text.isascii():
        return _normalise(text)
    text = NGram.normalize_vi(text) if _VI_MARK.search(text) else text
    non_latin = len(_NON_LATIN.findall(text))
    if non_latin and 2 * _latin_letters(text) < non_latin:
        text = text.translate(_DROP_LATIN)
    return _normalise(text)


def _normalise(text: str) -> str:
    """``text.translate(_NORMALISE)`` as one ``str.replace`` per distinct character it changes:
    a window has a few dozen distinct characters, and ``translate`` looks every character up
    in Python. The same when no replacement makes a character another one changes (langdetect's
    normalisation is idempotent: a test checks it); otherwise ``translate`` itself."""
    changed = [(char, to) for char in set(text) if (to := _NORMALISE[ord(char)]) != char]
    if any(len(to) != 1 or _NORMALISE[ord(to)] != to for _, to in changed):
        return text.translate(_NORMALISE)
    for char, to in changed:
        text = text.replace(char, to)
    return text


def mostly_latin(window: str) -> bool:
    """True unless non-Latin characters outnumber twice the Latin letters (`_clean`'s rule)."""
    return window.isascii() or 2 * _latin_letters(window) >= len(_NON_LATIN.findall(window))


def _latin_letters(text: str) -> int:
    """How many characters of `text` are in langdetect's Latin range ``A``–``z``."""
    return len(text.encode("ascii", "ignore").translate(None, _NOT_LATIN_BYTES))


def features(window: str) -> np.ndarray | None:
    """Summed word features of one window, or None when it has no known n-gram."""
    words = Counter(_clean(window).split(" "))
    words.pop("", None)
    if not words:
        return None
    counts = np.fromiter(words.values(), dtype=np.float32, count=len(words))
    summed = counts @ _word_table().features(list(words))
    return summed if summed[-1] > 0 else None


def posterior(features: np.ndarray) -> np.ndarray:
    """P(language | window) per reported code, from the mean log-likelihood per n-gram."""
    table = profiles()
    log_like = features[: len(table.names)].astype(float) * (SHARPNESS / features[-1])
    weights = np.exp(log_like - log_like.max())
    return weights / weights.sum() @ table.merge


def coverage(features: np.ndarray) -> np.ndarray:
    """Per reported code, the share of the window's trigrams its profile knows (1.0 when the
    profile is not Latin-script: CJK profiles are mostly unigrams)."""
    table = profiles()
    trigrams = features[-3]
    known = features[len(table.names) : 2 * len(table.names)] @ table.merge
    shares = known / trigrams if trigrams else np.zeros(len(table.codes))
    return np.where(table.latin, shares, 1.0)


def fit(features: np.ndarray) -> np.ndarray:
    """Per reported code, how much worse the window's trigrams fit its profile than the profile's
    own trigrams do: mean log P(trigram | language) over the trigrams any profile knows, minus
    the mean of a trigram drawn from the profile (``trigram_ref``). Near 0 or above for text in
    the language, well below for a language the profile only resembles (Samoan under Romanian's
    profile); unnormalised, unlike the posterior. 0 when the profile is not Latin-script (as for
    `coverage`) or the window has no known trigram."""
    table = profiles()
    n = len(table.names)
    trigrams = features[-2]
    if not trigrams:
        return np.zeros(len(table.codes))
    mean = features[2 * n : 3 * n] @ table.merge / (table.merge.sum(axis=0) * trigrams)
    return np.where(table.latin, mean - table.trigram_ref, 0.0)
