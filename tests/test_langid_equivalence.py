"""The fast paths of language identification give what their plain definitions give, bit for bit.

Each test sets a shortcut against the direct definition it replaced: normalisation by one
``str.replace`` per distinct character against ``str.translate``; the trigrams a profile knows
read from ``log_prob`` against the profiles' own n-grams; a word table that drops its least
recently read half against one that scores every word afresh; fastText's probabilities folded by
``np.bincount`` against one addition per language.
"""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.utils.ngram import NGram

from corpusbuilder.curate import langid, langid_ft, langid_nb
from tests.conftest import shared_path

# ASCII letters, digits, punctuation and controls; Latin with accents; Vietnamese marks; Greek,
# Cyrillic, Arabic, Devanagari, Hangul, CJK, kana; a combining mark; a character above the BMP.
TEXT_CHARS = "aZé ß\n\t1.,;'\"-“”ÀǍởựαЖжعकह한中国ひカ\u0301\U0001f600\u00a0"
texts = st.text(st.sampled_from(list(TEXT_CHARS)), max_size=120)


def real_windows() -> list[str]:
    """Windows of two books and every 20th sentence of the langid set (55 languages)."""
    windows = []
    for name in ("fr_monte_cristo_1.txt", "de_faust_1.txt"):
        text = shared_path("books", name).read_text(encoding="utf-8")
        windows += langid.sample(text[50_000:80_000], windows=10)  # ~1,000 chars each
    with shared_path("langid", "sentences.tsv").open(encoding="utf-8") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        windows += [row[1] for row in rows][::20]
    return windows


@settings(max_examples=300, deadline=None)
@given(texts)
def test_normalise_equals_translate(text):
    assert langid_nb._normalise(text) == text.translate(langid_nb._NORMALISE)


def test_langdetect_normalisation_is_idempotent_over_the_bmp():
    """What `_normalise` relies on: a replacement is never a character normalised further."""
    for code in range(0x10000):
        to = NGram.normalize(chr(code))
        assert len(to) == 1 and NGram.normalize(to) == to, hex(code)


def test_normalise_falls_back_to_translate_when_a_replacement_changes_again(monkeypatch):
    monkeypatch.setitem(langid_nb._NORMALISE, ord("x"), "y")
    monkeypatch.setitem(langid_nb._NORMALISE, ord("y"), "z")
    assert langid_nb._normalise("xy yx") == "yz zy"  # replacing in turn would give "zz zz"


@cache
def _json_known() -> np.ndarray:
    """(rows, profiles) bool, as first written: the profile's JSON lists the n-gram (freq > 0)."""
    profiles = langid_nb.profiles()
    paths = sorted(p for p in Path(PROFILES_DIRECTORY).iterdir() if not p.name.startswith("."))
    known = np.zeros(profiles.log_prob.shape, dtype=bool)
    for column, path in enumerate(paths):
        freq = json.loads(path.read_text(encoding="utf-8"))["freq"]
        rows = [
            profiles.rows[gram]
            for gram, count in freq.items()
            if count > 0 and gram in profiles.rows
        ]
        known[rows, column] = True
    return known


def test_a_profile_knows_exactly_the_ngrams_above_unseen():
    """What `_WordTable` relies on instead of a second (rows, profiles) matrix."""
    above = langid_nb.profiles().log_prob > langid_nb.UNSEEN
    above[-1] = False  # the zero padding row
    assert np.array_equal(above, _json_known())


def _plain_rows(words: list[str]) -> np.ndarray:
    """Word features as first written: `known` a (rows, profiles) matrix of "prob > 0"."""
    profiles = langid_nb.profiles()
    known = _json_known()
    pad, grams, trigrams, starts, counts = len(profiles.rows), [], [], [], []
    for word in words:
        starts.append((len(grams), len(trigrams)))
        grams.append(pad)
        trigrams.append(pad)
        seen = langid_nb._word_grams(word, profiles.rows, grams, trigrams)
        counts.append((seen, len(trigrams) - starts[-1][1] - 1, len(grams) - starts[-1][0] - 1))
    n = len(profiles.names)
    block = np.zeros((len(words), 3 * n + 3), dtype=np.float32)
    gram_starts, trigram_starts = np.array(starts, dtype=np.intp).T
    block[:, :n] = np.add.reduceat(profiles.log_prob[grams], gram_starts, axis=0)
    block[:, n : 2 * n] = np.add.reduceat(known[trigrams], trigram_starts, axis=0, dtype=np.float32)
    block[:, 2 * n : 3 * n] = np.add.reduceat(profiles.log_prob[trigrams], trigram_starts, axis=0)
    block[:, 3 * n :] = counts
    return block


def _window_words(windows: list[str]) -> list[list[str]]:
    return [[w for w in dict.fromkeys(langid_nb._clean(win).split(" ")) if w] for win in windows]


def test_scored_word_rows_equal_the_plain_definition():
    words = list(dict.fromkeys(w for ws in _window_words(real_windows()) for w in ws))
    words += ["NASA", "McDonald", "ÉTÉ", "x", "ABCdEF"]  # runs of capitals take the slow path
    table = langid_nb._WordTable(langid_nb.profiles())
    scored = np.vstack([table._score(words[i : i + 37]) for i in range(0, len(words), 37)])
    assert scored.view(np.uint32).tolist() == _plain_rows(words).view(np.uint32).tolist()


def test_word_table_keeps_recent_words_and_gives_the_same_rows(monkeypatch):
    monkeypatch.setattr(langid_nb, "CACHE_WORDS", 400)
    table = langid_nb._WordTable(langid_nb.profiles())
    windows = _window_words(real_windows())
    for words in windows:
        rows = table.features(words)
        assert rows.view(np.uint32).tolist() == _plain_rows(words).view(np.uint32).tolist()
        assert len(table.index) + len(table.free) == 400
        assert all(table.words[row] == word for word, row in table.index.items())
    assert set(windows[-1]) <= table.index.keys()  # the last window read stays
    first_only = set(windows[0]) - {word for words in windows[1:] for word in words}
    assert first_only and not first_only & table.index.keys()  # read once, long ago: gone


def test_eviction_never_drops_a_word_of_the_window_being_read(monkeypatch):
    """A full table meets a window of old and new words: the old ones it holds are kept (the
    first eviction by age dropped them before they were read: KeyError)."""
    monkeypatch.setattr(langid_nb, "CACHE_WORDS", 6)
    table = langid_nb._WordTable(langid_nb.profiles())
    table.features(["un", "deux", "trois"])
    table.features(["quatre", "cinq", "six"])
    rows = table.features(["un", "deux", "sept", "huit", "neuf"])  # un, deux read longest ago
    assert (
        rows.view(np.uint32).tolist()
        == _plain_rows(["un", "deux", "sept", "huit", "neuf"]).view(np.uint32).tolist()
    )
    assert {"un", "deux", "sept", "huit", "neuf"} <= table.index.keys()


def _plain_fastText(window: str, latin: bool) -> tuple[np.ndarray, str, float]:
    """folded, top and top_p as first written: one `+=` per language of a dict."""
    index = langid._index()
    variants = langid.LATIN_VARIANTS if latin else langid.VARIANTS
    folded = np.zeros(len(index))
    fasttext = langid_ft.probabilities(window)
    for label, p in fasttext.items():
        code = variants.get(label, label)
        if code in index:
            folded[index[code]] += p
    top, top_p = max(fasttext.items(), key=lambda kv: (kv[1], kv[0]))
    return folded, variants.get(top, top), top_p


@pytest.mark.parametrize("latin", [True, False])
def test_fasttext_folding_equals_one_addition_per_language(latin):
    windows = real_windows()[::3] + ["Ово је реченица на српском језику.", "Ovo je rečenica."]
    for window in windows:
        found = langid._window_evidence(window)
        if found is None or found.latin != latin:
            continue
        folded, top, top_p = _plain_fastText(window, latin)
        assert found.log_ft.tolist() == np.log(folded + langid.FLOOR).tolist()
        assert found.top == top
        assert found.outside == (0.0 if top in langid._index() else top_p)
        assert found.outside_mass == max(0.0, 1.0 - float(folded.sum()))
