"""The fast paths of the filters, PII and MinHash give what their plain definitions give.

Each test sets a shortcut (words token by token, judging only tokens not made of letters only,
a lookbehind moved after a literal, a hint searched before a pattern, minima taken over a
transposed block) against the direct definition it replaced, on generated text that mixes the
characters where the two could part: non-ASCII letters and digits, underscores, apostrophes,
hyphens, Unicode spaces, a match at the very start of the text.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from corpusbuilder.curate import minhash, pii
from corpusbuilder.curate.filter_rules import gopher, ocr
from corpusbuilder.curate.filter_rules.base import WORD_RE, Document

# Letters (ſ, İ, 中), digits that are not ASCII (٣ is a decimal, ² only a digit), the word
# joiners, punctuation, and spaces str.split and \s both know (no-break, thin, file separator).
TEXT_CHARS = "abIyé ſİ中Ⅻ0٣²_'’-.,;…#—*(@ \n\t\u00a0\u2009\x1c"
texts = st.text(st.sampled_from(list(TEXT_CHARS)), max_size=80)
FAST = settings(max_examples=300, deadline=None)


@FAST
@given(texts)
def test_document_words_equal_one_findall_over_the_text(text):
    assert Document(text).words == WORD_RE.findall(text)


@FAST
@given(texts.filter(lambda text: text.split()))
def test_alpha_words_ratio_counts_every_token_with_a_letter(text):
    doc, measured = Document(text), {}
    off = dict.fromkeys(gopher.GopherQuality.defaults)  # every threshold disabled
    assert next(gopher._ratio_rules(doc, off, measured), None) is None
    tokens = text.split()
    with_letter = sum(any(c.isalpha() for c in token) for token in tokens)
    assert measured["alpha_words_ratio"] == with_letter / len(tokens)


def _judge_every_token(tokens: list[str], language: str) -> ocr.OcrMeasures:
    """The token ratios of ``ocr.measure`` as first written: every token judged."""
    allowed = ocr.SINGLE_LETTER_WORDS.get(language)
    n = non_words = singles = 0
    for token in tokens:
        core = ocr.EDGE_PUNCT_RE.sub("", token)
        if not core:
            continue
        n += 1
        non_words += ocr.WORDLIKE_RE.fullmatch(core) is None
        single = len(core) == 1 and core.isalpha() and not ocr.ELISION_RE.search(token)
        singles += single and allowed is not None and core not in allowed
    n = n or 1
    return ocr.OcrMeasures(non_words / n, singles / n, 0.0, 0.0)


@FAST
@given(texts, st.sampled_from(["en", "fr", "de", "ru"]))
def test_ocr_token_ratios_equal_judging_every_token(text, language):
    found = ocr.measure(Document(text), language)
    expected = _judge_every_token(text.split(), language)
    assert (found.non_word_ratio, found.single_letter_ratio) == (
        expected.non_word_ratio,
        expected.single_letter_ratio,
    )


# The phone patterns as first written, with the lookbehind in front.
LEADING_LOOKBEHIND = (
    re.compile(r"(?<![\w+/.,-])\+\d{1,3}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,5}){1,6}" + pii._END),
    pii.PHONES[1].pattern,
    re.compile(r"(?<![\w+/.,-])0\d{1,4}(?:[ ./-]\d{2,8}){1,4}" + pii._END),
)
# Pieces of phone numbers, IP addresses and ISBNs, and the characters around them.
PIECES = ["0", "01", "123", "45", "6789", "1", "192", "25", "255", "fe80", "٣", "+", "+33", "ISBN "]
PIECES += ["1.", "25.", "255.", "123-", "123.", "123 ", "(123) ", "1-", "0-"]
PIECES += [" ", "-", ".", "/", ",", ":", "::", "(", ")", "a", "_", "\n"]
NUMBERS = st.lists(st.sampled_from(PIECES), max_size=16).map("".join)


@settings(max_examples=500, deadline=None)
@given(NUMBERS)
def test_phone_patterns_match_where_the_leading_lookbehind_did(text):
    for form, before in zip(pii.PHONES, LEADING_LOOKBEHIND, strict=True):
        assert [m.span() for m in form.pattern.finditer(text)] == [
            m.span() for m in before.finditer(text)
        ]


@settings(max_examples=500, deadline=None)
@given(NUMBERS)
@example("1.1.1.1")  # the shortest of each form, each separator
@example("1-123-456.7890")
@example("(123)456-7890")
@example("123 456 7890")
@example("::1")
def test_every_match_holds_its_hint(text):
    pairs = [(pii.IPV4_RE, pii.IPV4_HINT_RE), (pii.IPV6_CANDIDATE_RE, pii.IPV6_HINT_RE)]
    pairs += [(form.pattern, form.hint) for form in pii.PHONES if form.hint]
    for pattern, hint in pairs:
        if pattern.search(text):
            assert hint.search(text), (pattern.pattern, text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("0123 456 789 is the number", "phone"),  # a trunk-0 number at the very start
        ("+33 1 23 45 67 89, then", "phone"),  # an international one at the very start
        ("ring 801-596-1887 now", "phone"),
        ("host 192.168.1.20 down", "ip_address"),
        ("fe80::1ff:fe23:4567:890a here", "ip_address"),
    ],
)
def test_hinted_patterns_still_redact(text, kind):
    assert pii.redact(text)[1][kind] == 1


def _minimum_per_text(shingles, doc_of, n_docs, num_perm, seed):
    a, b = minhash.permutations(num_perm, seed)
    out = np.full((n_docs, num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    for doc in range(n_docs):
        mine = shingles[doc_of == doc]
        if len(mine):
            out[doc] = (mine[:, None] * a[None, :] + b[None, :]).min(axis=0)
    return out


def test_signatures_are_each_texts_minimum_over_its_shingles(monkeypatch):
    """Texts that straddle blocks, empty texts and one-word texts included."""
    monkeypatch.setattr(minhash, "_BLOCK_ROWS", 7)
    words = [
        "the",
        "cat",
        "sat",
        "on",
        "a",
        "mat",
        "and",
        "then",
        "ran",
        "far",
        "away",
        "from",
        "the",
        "dog",
    ]
    batch = [" ".join(words[i % 5 : i % 5 + i]) for i in range(14)] + ["", "one", "!!"]
    hashed, counts = minhash.word_hashes(batch)
    shingles, doc_of = minhash.shingle_hashes(hashed, counts, 3)
    found = minhash.signatures(shingles, doc_of, len(batch), 16, 5)
    assert np.bincount(doc_of).max() > 7  # a text's shingles span blocks
    assert np.array_equal(found, _minimum_per_text(shingles, doc_of, len(batch), 16, 5))
