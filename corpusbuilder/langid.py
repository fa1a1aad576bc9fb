"""Language identification with langdetect, seeded, on a bounded sample of the text.

Why windows: scoring a whole book costs far more for no accuracy gain, so a long text is read as
``WINDOWS`` slices of ``WINDOW_CHARS`` spread over it; a 50 KB document costs about what a 3 KB one
does. Each window is scored on its own, so windows that disagree reveal a second language.

Why ``und``: a wrong label is worse than none. langdetect only knows 55 languages and always names
one of them, with high confidence, even for Latin or Basque. Two checks answer ``und`` instead:
the averaged probability is below ``MIN_SCORE``, or (for Latin-script winners) too few of the
text's character trigrams occur in the winner's profile (``MIN_COVERAGE``): text in a language
langdetect lacks is made of n-grams its nearest profile has never seen. Thresholds were chosen on
``langid/sentences.tsv`` and checked on the paragraph sets (see ``bench/langid_bench.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException
from langdetect.utils.ngram import NGram

COMPONENT = "langdetect_windows_v2"
UNDETERMINED = "und"
WINDOW_CHARS = 1000
WINDOWS = 3
MIN_SCORE = 0.90  # below this averaged probability → und
MIN_COVERAGE = 0.65  # share of trigrams known to the winner's profile (Latin-script winners)
SECOND_MIN_SCORE = 0.20  # a second language at least this probable is reported
SEED = 0
# Profiles whose script is Latin: the languages langdetect lacks (la, eu, eo, ga, …) are mostly
# Latin-script too and land on one of these. CJK profiles are mostly unigrams: no trigram check.
LATIN_SCRIPT = frozenset(
    {
        "af",
        "ca",
        "cs",
        "cy",
        "da",
        "de",
        "en",
        "es",
        "et",
        "fi",
        "fr",
        "hr",
        "hu",
        "id",
        "it",
        "lt",
        "lv",
        "nl",
        "no",
        "pl",
        "pt",
        "ro",
        "sk",
        "sl",
        "so",
        "sq",
        "sv",
        "sw",
        "tl",
        "tr",
        "vi",
    }
)


@dataclass(frozen=True)
class LanguageGuess:
    language: str  # ISO 639-1, or "und"
    score: float
    second: str | None = None  # a substantial second language, if any
    second_score: float = 0.0


@cache
def _factory() -> DetectorFactory:
    """langdetect's profiles, loaded once per process (read-only afterwards) with a fixed seed."""
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(SEED)
    return factory


def sample(text: str, windows: int = WINDOWS, width: int = WINDOW_CHARS) -> list[str]:
    """`windows` slices of about `width` characters spread evenly over `text` (all of it if short).

    Slices start and end at whitespace where possible so no window begins mid-word.
    """
    if len(text) <= windows * width:
        return [text]
    step = (len(text) - width) / (windows - 1)
    slices = []
    for i in range(windows):
        start = int(i * step)
        if i:
            space = text.find(" ", start, start + 50)
            start = space + 1 if space >= 0 else start
        end = text.rfind(" ", start + width - 50, start + width)
        slices.append(text[start : end if end > start else start + width])
    return slices


def _score(window: str) -> tuple[dict[str, float], str]:
    """langdetect's probabilities for one window (zh-cn and zh-tw merged) and its cleaned text."""
    detector = _factory().create()
    detector.append(window)
    try:
        ranked = detector.get_probabilities()
    except LangDetectException:
        return {}, ""
    probs: dict[str, float] = {}
    for guess in ranked:
        code = guess.lang.split("-")[0]
        probs[code] = probs.get(code, 0.0) + guess.prob
    return probs, detector.text


def trigram_coverage(cleaned: str, language: str) -> float:
    """Share of the text's character trigrams that `language`'s langdetect profile contains."""
    factory = _factory()
    index = factory.langlist.index("zh-cn" if language == "zh" else language)
    table = factory.word_lang_prob_map
    ngram = NGram()
    seen = known = 0
    for ch in cleaned:
        ngram.add_char(ch)
        gram = ngram.grams[-3:]
        if ngram.capitalword or len(gram) < 3:
            continue
        seen += 1
        probs = table.get(gram)
        known += bool(probs and probs[index] > 0)
    return known / seen if seen else 0.0


def identify(text: str) -> LanguageGuess:
    """The main language of `text`, its share of the text, and a substantial second language.

    ``score`` is langdetect's probability averaged over the windows, so a text that is one third
    German reads ``en 0.67, second de``. Confidence is judged on the windows the main language
    wins: a mixed document keeps its main label, an uncertain one gets ``und``.
    """
    scored = [_score(window) for window in sample(text)]
    scored = [(probs, cleaned) for probs, cleaned in scored if probs]
    if not scored:
        return LanguageGuess(UNDETERMINED, 0.0)
    total: dict[str, float] = {}
    for probs, _ in scored:
        for code, prob in probs.items():
            total[code] = total.get(code, 0.0) + prob / len(scored)
    ranked = sorted(total.items(), key=lambda item: (-item[1], item[0]))
    language, score = ranked[0]
    second, second_score = _second(ranked, [probs for probs, _ in scored])
    won = [(probs[language], cleaned) for probs, cleaned in scored if _top(probs) == language]
    confident = won and sum(prob for prob, _ in won) / len(won) >= MIN_SCORE
    if not confident or not _covered("".join(c for _, c in won), language):
        return LanguageGuess(UNDETERMINED, round(score, 4), second, second_score)
    return LanguageGuess(language, round(score, 4), second, second_score)


def _top(probs: dict[str, float]) -> str:
    return max(probs.items(), key=lambda item: (item[1], item[0]))[0]


def _second(
    ranked: list[tuple[str, float]], per_window: list[dict[str, float]]
) -> tuple[str | None, float]:
    """The runner-up when it is probable overall or wins a window of its own."""
    main = ranked[0][0]
    for code, prob in ranked[1:2]:
        if prob >= SECOND_MIN_SCORE:
            return code, round(prob, 4)
    for probs in per_window:
        top = _top(probs)
        if top != main:
            return top, round(dict(ranked)[top], 4)
    return None, 0.0


def _covered(cleaned: str, language: str) -> bool:
    """False when a Latin-script guess rests on n-grams its profile mostly lacks."""
    return language not in LATIN_SCRIPT or trigram_coverage(cleaned, language) >= MIN_COVERAGE
