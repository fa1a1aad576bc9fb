"""Language identification: two identifiers that err differently, combined per window, and a
third asked about the texts they leave in doubt.

Why two: naive Bayes over langdetect's profiles (`langid_nb`) is sharp on the 55 languages it
knows but lacks Latin, Basque, Esperanto, Irish, Galician, Occitan, Luxembourgish and Malay, so
open texts in them never reached a language config; alone it also left one short Danish or
Czech sentence in six `und`. fastText's shipped model (`langid_ft`) knows 176 languages but
misreads short Catalan, Croatian and unaccented Czech. Each window gets a log-linear score per
language, softmaxed into a posterior:

- a language naive Bayes knows: ``fasttext × log P_ft + naive_bayes × log P_nb + coverage ×
  log(share of the window's trigrams its profile knows)`` — the coverage term is what tells
  "Romance, but none of these" apart from Italian;
- an `EXTRA` language (known to fastText only, Latin script): ``fasttext × log P_ft`` plus naive
  Bayes's *best* term and `Weights.extra_prior`, so naive Bayes is neutral between its winner and
  a language it cannot model; fastText and the coverage term decide;
- plus a log prior per language (`PRIORS`).

Why `und`: a wrong label is worse than none. A text is `und` when

- the winner's posterior is below `Weights.min_score`;
- the winner is "outside the set": a last class, scored like a language naive Bayes cannot model
  (its best term, no prior), whose fastText probability is that of fastText's top language when
  it is outside `codes()` — Belarusian must not become Russian, nor Asturian Spanish;
- the winner is novel to both identifiers: fastText gives it less than `Weights.veto_ratio`
  times the probability it gives all languages outside the set together (scaled by how much of
  a full excerpt it read: a short excerpt spreads fastText's mass over its 176 languages as
  noise), once its probability is discounted by ``exp(fit_weight × fit)``, where ``fit`` is how
  much worse the window's trigrams fit the winner's profile than the profile's own trigrams do
  (`langid_nb.fit`, unnormalised, ≤ 0 counted). A language neither identifier knows (Samoan) is
  read by naive Bayes as its nearest profile, often confidently (Samoan as Romanian: the
  posterior is relative), and fastText's answer for it is diffuse. v6 used fastText alone: at
  the ratio that keeps `und` at 2 % it left Samoan, Hawaiian, Māori and Tok Pisin labelled.
  Their trigrams fit the neighbour's profile poorly (-0.7 to -0.9; Romanian text: -0.2 to 0.1),
  and the two together reject them.

The weights and priors are fitted as a conditional logit on the even ``source_line`` half of
``langid/sentences.tsv``, the threshold is chosen on that half too, and all are reported on the
odd half (``bench/langid_fit.py`` re-runs the fit and prints the out-of-set trade-off that set
`veto_ratio` and `fit_weight`): `evidence` measures once, `decide` is cheap.

Why a third (`langid_lpy`, langid.py): the two left a short Latin sentence they could not agree
on `und` (2.6 % of Latin on the reported half), and fastText spreads a language neither knows
(Bislama) over two neighbours, leaving naive Bayes's label standing. langid.py is asked only
about a text the two leave in doubt (`_in_doubt`), so it costs nothing on the rest:

- a text whose winner was rejected (not confident, or novel; not one fastText puts outside the
  set) takes langid.py's language when it is an `EXTRA` one and at least `Review.rescue_min`
  probable;
- a label fastText gives at most `Review.doubt` becomes `und` when langid.py names a language
  outside the set at least `Review.veto_min` probable (Bislama: Zulu 0.96; fastText gives
  Estonian 0.27).

Both are chosen on the tuning half (``bench/langid_fit.py --third``): the rescue threshold
labels the most sentences without a wrong label, the veto pair labels the fewest left-out
sentences while every language keeps at most 2 % `und`.

Why windows: a long text is read as `WINDOWS` slices of `WINDOW_CHARS` spread over it, so a 50 KB
document costs about what a 3 KB one does; windows that disagree reveal a second language.
Deterministic: both identifiers are pure functions of the text, so the same text gets the same
label and score in every process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from typing import Any

import numpy as np

from corpusbuilder.curate import langid_ft, langid_lpy, langid_nb
from corpusbuilder.reasons import Reason
from corpusbuilder.steps import Doc, Outcome, Step, drop, keep

COMPONENT = "langdetect_fasttext_v8"
UNDETERMINED = "und"
WINDOW_CHARS = 1000
WINDOWS = 3
SECOND_MIN_SCORE = 0.20  # a second language at least this probable is reported
# Languages only fastText knows that the identifier names (all Latin-script): the heritage
# languages of open collections and the neighbours langdetect used to mislabel (gl→pt, oc→ca,
# lb→de, ms→id). Any other fastText language counts as outside the set.
EXTRA = ("eo", "eu", "ga", "gl", "la", "lb", "ms", "oc")
# fastText labels for what langdetect's profiles treat as one language: Croatian sentences
# split into hr, sh (Serbo-Croatian) and bs (Bosnian) there.
VARIANTS = {"sh": "hr", "bs": "hr"}
# In Latin script, fastText often calls Croatian Serbian (sr), which the profiles do not tell
# apart from Croatian; Cyrillic Serbian stays outside the set.
LATIN_VARIANTS = VARIANTS | {"sr": "hr"}
# langid.py's labels for what the set treats as one language (Cyrillic Serbian stays outside)
LPY_VARIANTS = {"nb": "no", "nn": "no"}
FLOOR = 1e-4  # added to both identifiers' probabilities before the log
# Log prior per language, fitted with the weights: what the evidence terms miss, such as
# unaccented Czech, short Danish and Irish read as their neighbours by one identifier or the
# other. Only the sentence set's languages are fitted.
FITTED_PRIORS = {
    "ar": -0.02, "bg": 0.73, "ca": 0.96, "cs": 3.09, "da": 1.48, "de": -0.63, "el": 0.41,
    "en": -2.08, "es": -0.93, "fa": 0.5, "fi": 0.0, "fr": -0.9, "he": 0.26, "hi": 0.7, "hr": 0.81,
    "hu": -0.04, "id": 1.7, "it": -1.25, "ja": -0.18, "ko": 0.19, "nl": -0.1, "pl": -0.13,
    "pt": -0.47, "ro": 1.54, "ru": -0.29, "sv": 0.75, "tr": 0.27, "uk": 0.47, "vi": -0.03,
    "zh": 0.33, "eo": -1.6, "eu": -0.31, "ga": 1.51, "la": 0.43,
}  # fmt: skip
# An `EXTRA` language without sentences to fit on (gl, lb, ms, oc) takes the mean prior of those
# with sentences: it is one more language only fastText knows. Naive Bayes's languages without
# sentences keep 0.
_FITTED_EXTRA = [FITTED_PRIORS[code] for code in EXTRA if code in FITTED_PRIORS]
PRIORS = dict.fromkeys(EXTRA, sum(_FITTED_EXTRA) / len(_FITTED_EXTRA)) | FITTED_PRIORS


@dataclass(frozen=True)
class Weights:
    """How the evidence of one window becomes a posterior (see the module docstring)."""

    fasttext: float = 1.33
    naive_bayes: float = 0.74
    coverage: float = 3.16
    extra_prior: float = -0.29  # log-odds of an EXTRA language against naive Bayes's winner
    min_score: float = 0.3  # winner's window posterior below this → und
    # fastText's P(winner) × exp(fit_weight × the winner's trigram fit) below this × P(outside
    # the set) × excerpt share → und; both chosen by bench/langid_fit.py: the pair that labels
    # fewest left-out sentences and keeps every language's und at 2 % on the tuning half
    veto_ratio: float = 0.3
    fit_weight: float = 2.0
    priors: Mapping[str, float] = field(default_factory=lambda: PRIORS)  # absent code: 0


WEIGHTS = Weights()


@dataclass(frozen=True)
class Review:
    """When langid.py's answer overrides the two (see the module docstring); chosen by
    ``bench/langid_fit.py --third`` on the tuning half."""

    rescue_min: float = 0.95  # rejected winner → langid.py's EXTRA language at least this probable
    veto_min: float = 0.95  # label → und when langid.py's outside language is at least this …
    doubt: float = 0.5  # … and fastText gives the label at most this


REVIEW = Review()


@dataclass(frozen=True)
class LanguageGuess:
    language: str  # ISO 639-1 (or 639 where there is no 639-1 code), or "und"
    score: float
    second: str | None = None  # a substantial second language, if any
    second_score: float = 0.0


@dataclass(frozen=True)
class Evidence:
    """What both identifiers measured on one window: enough to decide under any `Weights`."""

    log_nb: np.ndarray  # per naive-Bayes code: log(P_nb + FLOOR)
    log_coverage: np.ndarray  # per naive-Bayes code: log(trigram coverage + 0.01)
    log_ft: np.ndarray  # per code of codes(): log(P_ft + FLOOR), VARIANTS folded in
    outside: float  # P_ft of fastText's top language when it is outside codes(), else 0
    latin: bool  # mostly Latin script: only then may an EXTRA language win
    top: str  # fastText's top language, VARIANTS folded in
    outside_mass: float  # P_ft of all languages outside codes() together
    excerpt_share: float  # the excerpt fastText read, as a share of a full one
    fit: np.ndarray  # per naive-Bayes code: trigram fit to its profile (langid_nb.fit)


def leave_out(found: Evidence, code: str) -> Evidence:
    """`found` as if `code` were outside the identifier's set: how out-of-set rejection is
    measured with real sentences (bench/langid_fit.py, tests). Naive Bayes renormalises over
    its other profiles; fastText's probability of `code` counts as outside the set."""
    i = _index()[code]
    log_nb, log_coverage, log_ft = found.log_nb.copy(), found.log_coverage.copy(), found.log_ft
    fit = found.fit.copy()
    if i < len(log_nb):
        p_nb = np.clip(np.exp(log_nb) - FLOOR, 0.0, None)
        p_nb[i] = 0.0
        log_nb = np.log(p_nb / p_nb.sum() + FLOOR)
        log_nb[i] = fit[i] = -np.inf
        log_coverage[i] = 0.0  # no -inf: times a negative weight, it made the posterior NaN
    p_code = float(np.exp(log_ft[i])) - FLOOR
    log_ft = log_ft.copy()
    log_ft[i] = -np.inf
    return Evidence(
        log_nb=log_nb,
        log_coverage=log_coverage,
        log_ft=log_ft,
        outside=p_code if found.top == code else found.outside,
        latin=found.latin,
        top=found.top,
        outside_mass=found.outside_mass + p_code,
        excerpt_share=found.excerpt_share,
        fit=fit,
    )


@cache
def codes() -> tuple[str, ...]:
    """The identifier's languages: naive Bayes's codes, then `EXTRA`."""
    return langid_nb.profiles().codes + EXTRA


@cache
def _index() -> dict[str, int]:
    return {code: i for i, code in enumerate(codes())}


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


@cache
def _slots(latin: bool, languages: tuple[str, ...]) -> dict[str, int]:
    """fastText code → its index in `languages` (codes()), variants folded in; absent: outside.
    Keyed by the languages, not read from codes(), so that a set changed for a measurement
    (a test narrows `EXTRA`) never meets slots cached for another."""
    variants = LATIN_VARIANTS if latin else VARIANTS
    index = {code: i for i, code in enumerate(languages)}
    return {
        label: index[code]
        for label in index.keys() | variants.keys()
        if (code := variants.get(label, label)) in index
    }


def _window_evidence(window: str) -> Evidence | None:
    """Both identifiers on one window; None when it has no n-gram naive Bayes knows."""
    features = langid_nb.features(window)
    if features is None:
        return None
    outside_slot = len(codes())
    latin = langid_nb.mostly_latin(window)
    labels, probabilities = langid_ft.predict(window)
    slots = _slots(latin, codes())
    folded = np.bincount(
        [slots.get(label, outside_slot) for label in labels],
        weights=probabilities,
        minlength=outside_slot + 1,
    )[:-1]  # added in fastText's order, as one `+=` per language
    top_p = probabilities.max()
    top = max(labels[i] for i in np.flatnonzero(probabilities == top_p))
    top = (LATIN_VARIANTS if latin else VARIANTS).get(top, top)
    return Evidence(
        log_nb=np.log(langid_nb.posterior(features) + FLOOR),
        log_coverage=np.log(langid_nb.coverage(features) + 0.01),
        log_ft=np.log(folded + FLOOR),
        outside=0.0 if top in _index() else float(top_p),
        latin=latin,
        top=top,
        outside_mass=max(0.0, 1.0 - float(folded.sum())),
        excerpt_share=min(1.0, len(langid_ft.excerpt(window)) / langid_ft.EXCERPT_CHARS),
        fit=langid_nb.fit(features),
    )


def evidence(text: str) -> list[Evidence]:
    """The evidence of each sampled window of `text` that has any."""
    found = (_window_evidence(window) for window in sample(text))
    return [e for e in found if e is not None]


def _prior(weights: Weights) -> np.ndarray:
    """`weights.priors` per code of codes()."""
    return np.array([weights.priors.get(code, 0.0) for code in codes()])


def _posterior(found: Evidence, weights: Weights, prior: np.ndarray) -> np.ndarray:
    """P(language | window) per code of codes(), plus a last slot: P(outside the set), scored
    as one more language naive Bayes cannot model, by fastText's probability of it."""
    known = weights.naive_bayes * found.log_nb + weights.coverage * found.log_coverage
    neutral = weights.naive_bayes * found.log_nb.max()
    score = weights.fasttext * np.append(found.log_ft, np.log(found.outside + FLOOR))
    score[:-1] += prior
    score[: len(known)] += known
    score[len(known) : -1] += neutral + weights.extra_prior if found.latin else -np.inf
    score[-1] += neutral
    odds = np.exp(score - score.max())
    return odds / odds.sum()


@dataclass(frozen=True)
class _Judgement:
    """`decide`'s answer and what `_reviewed` needs to know how sure it is."""

    guess: LanguageGuess
    posterior: np.ndarray  # averaged over the windows, per code of codes() and outside the set
    rejected: bool  # the winner is in the set but was not confident or novel: guess is und
    fasttext: float  # fastText's P(winner) on the windows it wins (all windows if none)


def decide(found: list[Evidence], weights: Weights = WEIGHTS) -> LanguageGuess:
    """The main language of the windows, its share of the text, and a substantial second one.

    ``score`` is the posterior averaged over the windows, so a text that is one third German reads
    ``en 0.67, second de``. Confidence is judged on the windows the main language wins: a mixed
    document keeps its main label, an uncertain one gets ``und``.
    """
    return _judge(found, weights).guess


def _judge(found: list[Evidence], weights: Weights) -> _Judgement:
    if not found:
        return _Judgement(LanguageGuess(UNDETERMINED, 0.0), np.zeros(0), False, 0.0)
    prior = _prior(weights)
    per_window = np.array([_posterior(e, weights, prior) for e in found])
    total = per_window.mean(axis=0)
    main = int(total.argmax())
    score = round(float(total[main]), 4)
    second, second_score = _second(total, per_window)
    und = LanguageGuess(UNDETERMINED, score, second, second_score)
    if main == len(codes()):
        return _Judgement(und, total, False, 0.0)
    won = per_window.argmax(axis=1) == main
    windows = [e for e, w in zip(found, won, strict=True) if w] or found
    fasttext = float(np.mean([np.exp(e.log_ft[main]) - FLOOR for e in windows]))
    confident = won.any() and per_window[won, main].mean() >= weights.min_score
    if not confident or _vetoed(found, won, main, weights):
        return _Judgement(und, total, True, fasttext)
    guess = LanguageGuess(codes()[main], score, second, second_score)
    return _Judgement(guess, total, False, fasttext)


def _doubted(judged: _Judgement, review: Review) -> bool:
    """A label fastText gives little probability."""
    return judged.guess.language != UNDETERMINED and judged.fasttext <= review.doubt


def _in_doubt(judged: _Judgement, review: Review = REVIEW) -> bool:
    """Whether langid.py is asked: a rejected winner or a doubted label."""
    return judged.rejected or _doubted(judged, review)


def _reviewed(
    judged: _Judgement, latin: bool, answer: tuple[str, float], review: Review = REVIEW
) -> LanguageGuess:
    """The guess after langid.py's `answer` (language, probability) on a text in doubt."""
    guess = judged.guess
    language, probability = answer
    language = ((LATIN_VARIANTS if latin else VARIANTS) | LPY_VARIANTS).get(language, language)
    if judged.rejected and language in EXTRA and probability >= review.rescue_min:
        score = round(float(judged.posterior[_index()[language]]), 4)
        second = guess.second if guess.second != language else None
        return replace(guess, language=language, score=score, second=second)
    if _doubted(judged, review) and language not in _index() and probability >= review.veto_min:
        return replace(guess, language=UNDETERMINED)
    return guess


def _vetoed(found: list[Evidence], won: np.ndarray, main: int, weights: Weights) -> bool:
    """On the windows `main` wins, fastText finds the world outside the set likelier than it,
    counting how poorly their trigrams fit its profile as evidence against it too."""
    windows = [e for e, w in zip(found, won, strict=True) if w]
    p_main = np.mean([np.exp(e.log_ft[main]) - FLOOR for e in windows])
    if main < len(windows[0].fit):  # naive Bayes has a profile of it
        p_main *= np.exp(weights.fit_weight * min(0.0, np.mean([e.fit[main] for e in windows])))
    against = np.mean([e.outside_mass * e.excerpt_share for e in windows])
    return bool(p_main < weights.veto_ratio * against)


def identify(text: str) -> LanguageGuess:
    """The language of `text` (see `decide`), reviewed by langid.py when in doubt (`_reviewed`)."""
    found = evidence(text)
    judged = _judge(found, WEIGHTS)
    if not _in_doubt(judged):
        return judged.guess
    return _reviewed(judged, found[0].latin, langid_lpy.classify(" ".join(sample(text))))


def _second(total: np.ndarray, per_window: np.ndarray) -> tuple[str | None, float]:
    """The runner-up language when it is probable overall, or else one that wins a window."""
    languages = total[:-1]
    main, runner_up = np.argsort(-languages, kind="stable")[:2]
    if languages[runner_up] >= SECOND_MIN_SCORE:
        return codes()[runner_up], round(float(languages[runner_up]), 4)
    for top in per_window[:, :-1].argmax(axis=1):
        if top != main:
            return codes()[top], round(float(languages[top]), 4)
    return None, 0.0


class LanguageStep(Step):
    """Identifies each text's language (and a substantial second one); drops a text whose
    language is not among `languages` (corpus.yaml's ``curate.languages``) when they are set."""

    name = COMPONENT
    stage = "language"
    preload = ("corpusbuilder.curate.langid_models",)

    @classmethod
    def configure(cls, curate: Mapping[str, Any]) -> LanguageStep:
        return cls({"languages": curate.get("languages")})

    def prepare(self) -> None:
        langid_lpy.converted()

    def described_settings(self) -> dict[str, Any]:
        windows = {"window_chars": WINDOW_CHARS, "windows": WINDOWS}
        review = asdict(REVIEW)
        return {"languages": self.settings.get("languages")} | asdict(WEIGHTS) | windows | review

    def run(self, docs: Sequence[Doc]) -> list[Outcome]:
        selected = set(self.settings.get("languages") or [])
        return [self._one(doc.text, selected) for doc in docs]

    @staticmethod
    def _one(text: str, selected: set[str]) -> Outcome:
        guess = identify(text)
        found = {
            "language": guess.language,
            "language_score": guess.score,
            "second_language": guess.second,
        }
        if selected and guess.language not in selected:
            detail = f"{guess.language} not in {sorted(selected)}"
            return drop(Reason.LANGUAGE_NOT_SELECTED, detail, **found)
        return keep(**found)
