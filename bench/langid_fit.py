"""Fit ``corpusbuilder.curate.langid.Weights`` on the tuning half of the shared sentences.

Run: ``python bench/langid_fit.py [--data ../shared/data]``; prints the fitted `Weights`, the
tuning-half figures of each threshold, the out-of-set trade-off of `Weights.veto_ratio` and
`Weights.fit_weight` on both halves, and per-language tables before (v6: fastText veto only) and
after. Sentences with an even
``source_line`` are the tuning half; the odd ones are only ever reported
(``bench/langid_bench.py``, ``tests/test_langid.py``).

The model is `langid._posterior`'s log-linear score — fastText, naive Bayes and coverage weights,
the log-odds of a language naive Bayes lacks, and a log prior per language — fitted as a
conditional logit (maximum likelihood, L2 on the priors, L-BFGS). Only languages of the sentence
set get a prior of their own; an `EXTRA` language without sentences takes the mean of the
`EXTRA` ones with sentences, in the fit as when identifying. The threshold (`Weights.min_score`)
is then the one with the most correct labels (then the fewest wrong ones) on the tuning half
among those with at most `MAX_WRONG` wrong labels and at most `MAX_UND` `und` in every language
langdetect knows, without the novelty check (as for v5; the check is set from its own table).

Out of set: each sentence is also read with its own language left out of the identifier's set
(`langid.leave_out`); it should then come out `und`. The fastText veto trades those labels
against `und` in languages fastText lite reads poorly on short text (Irish, Latin, unaccented
Romanian), so alone it rejects little at 2 % und. v7 adds naive Bayes's side: how poorly the
window's trigrams fit the winner's profile (`langid_nb.fit`, weighted by `Weights.fit_weight`)
counts against the winner too. (`veto_ratio`, `fit_weight`) is the pair of `VETO_RATIOS` ×
`FIT_WEIGHTS` that labels the fewest left-out sentences of the tuning half (then the smaller
pair) among those whose tuning half keeps at most `MAX_WRONG` wrong and at most `MAX_UND` `und`
in every language of the set (heritage ones included); the table shows the curve on both halves.

``--third`` instead chooses `langid.Review`, when langid.py's answer overrides the two, on the
tuning half and prints both halves: `Review.rescue_min` is the threshold of `RESCUE_MINS` that
labels the most rejected sentences correctly without a wrong label (then the higher one);
(`Review.veto_min`, `Review.doubt`) is the pair of `VETO_MINS` × `DOUBTS` that labels the fewest
left-out sentences (langid.py's set narrowed too) while every language keeps at most `MAX_UND`
`und` (then the higher pair).
"""

from __future__ import annotations

import argparse
import csv
import itertools
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from corpusbuilder.curate import langid, langid_lpy

L2 = 1.0  # on the priors, per sentence: keeps a language's prior near 0 without evidence
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6)
MAX_WRONG = 0.009  # on the tuning half, a margin under the 1 % target
MAX_UND = 0.02
HERITAGE = ("la", "eu", "eo", "ga")  # in the sentence set, unknown to langdetect
VETO_RATIOS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.6, 1.0)
FIT_WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)
PARAGRAPHS = ("paragraphs_concat_synthetic.tsv", "paragraphs_gutenberg.tsv")
RESCUE_MINS = (0.8, 0.85, 0.9, 0.95, 0.99)
VETO_MINS = (0.5, 0.7, 0.9, 0.95, 0.99)
DOUBTS = (0.1, 0.2, 0.3, 0.5, 0.7)
NO_VETO = 2.0  # a probability no answer reaches


def read_tsv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        return list(rows)


def read_sentences(data: Path) -> list[tuple[str, str, int]]:
    return [
        (lang, text, int(line)) for lang, text, line in read_tsv(data / "langid" / "sentences.tsv")
    ]


def features(found: langid.Evidence) -> tuple[np.ndarray, np.ndarray]:
    """Per language of codes(): the (fastText, naive Bayes, coverage, extra) terms whose weighted
    sum `langid._posterior` scores, and the mask that keeps EXTRA out of non-Latin text."""
    size, known = len(langid.codes()), len(found.log_nb)
    extra = np.arange(size) >= known
    naive_bayes = np.where(extra, found.log_nb.max(), np.pad(found.log_nb, (0, size - known)))
    coverage = np.pad(found.log_coverage, (0, size - known))
    mask = np.where(extra & (not found.latin), -np.inf, 0.0)
    return np.stack([found.log_ft, naive_bayes, coverage, extra.astype(float)]), mask


def fit(rows: list[tuple[str, langid.Evidence]]) -> tuple[np.ndarray, dict[str, float]]:
    """The four weights and the per-language priors that maximise the tuning half's likelihood."""
    index = {code: i for i, code in enumerate(langid.codes())}
    pairs = [features(found) for _, found in rows]
    x = np.stack([f for f, _ in pairs])  # (n, 4, languages)
    mask = np.stack([m for _, m in pairs])
    gold = np.array([index[lang] for lang, _ in rows])
    seen = np.array(sorted(set(gold)))
    n = len(gold)
    # prior = tie @ fitted priors: an EXTRA language without sentences takes the mean of those
    # with sentences, as langid.PRIORS does
    tie = np.zeros((x.shape[2], len(seen)))
    tie[seen, np.arange(len(seen))] = 1.0
    extra = [j for j, code in enumerate(seen) if langid.codes()[code] in langid.EXTRA]
    for code in set(langid.EXTRA) - {langid.codes()[i] for i in seen}:
        tie[index[code], extra] = 1.0 / len(extra)

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        prior = tie @ params[4:]
        score = np.einsum("nfk,f->nk", x, params[:4]) + prior + mask
        score -= score.max(axis=1, keepdims=True)
        p = np.exp(score)
        p /= p.sum(axis=1, keepdims=True)
        value = -np.log(p[np.arange(n), gold]).mean() + L2 * (params[4:] ** 2).sum() / n
        p[np.arange(n), gold] -= 1.0  # d(loss)/d(score), times n
        grad_w = np.einsum("nfk,nk->f", x, p) / n
        grad_prior = tie.T @ p.sum(axis=0) / n + 2 * L2 * params[4:] / n
        return value, np.concatenate([grad_w, grad_prior])

    start = np.concatenate([[1.0, 2.0, 6.0, -1.0], np.zeros(len(seen))])
    params = minimize(loss, start, jac=True, method="L-BFGS-B").x
    codes = langid.codes()
    return params[:4], {codes[i]: round(float(b), 2) for i, b in zip(seen, params[4:], strict=True)}


def figures(rows: list[tuple[str, langid.Evidence]], weights: langid.Weights) -> tuple:
    """Correct and wrong share on langdetect's languages, and their worst und share."""
    by: dict[str, Counter] = defaultdict(Counter)
    for gold, found in rows:
        guess = langid.decide([found], weights).language
        by[gold]["c" if guess == gold else "u" if guess == langid.UNDETERMINED else "w"] += 1
    known = {lang: c for lang, c in by.items() if lang not in HERITAGE}
    total = sum(known.values(), Counter())
    worst = max(c["u"] / c.total() for c in known.values())
    return total["c"] / total.total(), total["w"] / total.total(), worst


def outcomes(rows: list[tuple[str, list[langid.Evidence]]], weights: langid.Weights) -> dict:
    """Per gold language: c(orrect), w(rong), u(nd), and o: labelled although left out."""
    by: dict[str, Counter] = defaultdict(Counter)
    for gold, found in rows:
        guess = langid.decide(found, weights).language
        by[gold]["c" if guess == gold else "u" if guess == langid.UNDETERMINED else "w"] += 1
        left_out = langid.decide([langid.leave_out(e, gold) for e in found], weights).language
        by[gold]["o"] += left_out != langid.UNDETERMINED
    return by


def summary(by: dict[str, Counter]) -> dict:
    """Correct and wrong share on langdetect's languages, their worst und, the worst und of a
    fastText-only language, every language's worst und, and the share labelled when left out."""
    known = sum((c for lang, c in by.items() if lang not in HERITAGE), Counter())
    n, total = known["c"] + known["w"] + known["u"], sum(by.values(), Counter())
    und = {lang: c["u"] / (c["c"] + c["w"] + c["u"]) for lang, c in by.items()}
    return {
        "correct": known["c"] / n,
        "wrong": known["w"] / n,
        "worst": max((u, lang) for lang, u in und.items() if lang not in HERITAGE),
        "heritage": max((u, lang) for lang, u in und.items() if lang in HERITAGE),
        "max_und": max(und.values()),
        "labelled": total["o"] / (total.total() - total["o"]),
    }


def tradeoff(
    halves: dict[str, list], weights: langid.Weights
) -> tuple[list[str], tuple[float, float]]:
    """`summary` per (veto ratio, fit weight) and half; and the pair whose tuning half meets
    `MAX_WRONG` and `MAX_UND` in every language with the fewest labelled when left out."""
    allowed = []
    out = [
        "| veto_ratio | fit_weight | half | correct | wrong | worst und "
        "| worst und, fastText-only | labelled when left out |",
        "|---" * 8 + "|",
    ]
    for ratio, fit_weight in itertools.product(VETO_RATIOS, FIT_WEIGHTS):
        setting = {"veto_ratio": ratio, "fit_weight": fit_weight}
        for half, rows in halves.items():
            f = summary(outcomes(rows, langid.Weights(**{**weights.__dict__, **setting})))
            if half == "tuning" and f["wrong"] <= MAX_WRONG and f["max_und"] <= MAX_UND:
                allowed.append((f["labelled"], ratio, fit_weight))
            out.append(
                f"| {ratio} | {fit_weight} | {half} | {f['correct']:.4f} | {f['wrong']:.4f} "
                f"| {f['worst'][0]:.3f} {f['worst'][1]} "
                f"| {f['heritage'][0]:.3f} {f['heritage'][1]} | {f['labelled']:.4f} |"
            )
    return out, min(allowed)[1:] if allowed else (0.0, 0.0)


def per_language(name: str, rows: list, before: langid.Weights, after: langid.Weights) -> list[str]:
    """c/w/u per language before and after, and how many were labelled when left out."""
    results = {"v6 (veto only)": outcomes(rows, before), langid.COMPONENT: outcomes(rows, after)}
    out = [f"### {name}", "", "| lang | n | " + " | ".join(results) + " | left out: labelled |"]
    out.append("|---" * (3 + len(results)) + "|")
    for lang in sorted(results[langid.COMPONENT]) + ["all"]:
        counts = [
            by[lang] if lang != "all" else sum(by.values(), Counter()) for by in results.values()
        ]
        cells = " | ".join(f"{c['c']}/{c['w']}/{c['u']}" for c in counts)
        n = counts[0]["c"] + counts[0]["w"] + counts[0]["u"]
        out.append(f"| {lang} | {n} | {cells} | {counts[0]['o']} → {counts[1]['o']} |")
    return out + [""]


def reviewed_rows(data: Path) -> dict[str, list[tuple]]:
    """Per half: (gold, judgement, Latin?, langid.py's answer), then the same with the gold
    language left out of both the identifier's set and langid.py's."""
    lpy = langid_lpy._identifier()
    every = list(lpy.nb_classes)
    folded = langid.LATIN_VARIANTS | langid.LPY_VARIANTS
    halves: dict[str, list[tuple]] = {"tuning": [], "reported": []}
    sentences = read_sentences(data)
    for gold in sorted({lang for lang, _, _ in sentences}):
        rows = [
            (text, line, langid.evidence(text)) for lang, text, line in sentences if lang == gold
        ]
        rows = [row for row in rows if row[2]]
        answers = [langid_lpy.classify(text) for text, _, _ in rows]
        lpy.set_languages([code for code in every if folded.get(code, code) != gold])
        for (text, line, found), answer in zip(rows, answers, strict=True):
            left_out = [langid.leave_out(e, gold) for e in found]
            halves["reported" if line % 2 else "tuning"].append(
                (gold, langid._judge(found, langid.WEIGHTS), found[0].latin, answer)
                + (langid._judge(left_out, langid.WEIGHTS), langid_lpy.classify(text))
            )
        lpy.set_languages(None)
    return halves


def review_outcomes(rows: list[tuple], review: langid.Review) -> dict[str, Counter]:
    """Per gold language: c(orrect), w(rong), u(nd) after langid.py's review, and o: labelled
    although left out."""

    def label(judged: langid._Judgement, latin: bool, answer: tuple[str, float]) -> str:
        if not langid._in_doubt(judged, review):
            return judged.guess.language
        return langid._reviewed(judged, latin, answer, review).language

    by: dict[str, Counter] = defaultdict(Counter)
    for gold, judged, latin, answer, left_out, left_out_answer in rows:
        guess = label(judged, latin, answer)
        by[gold]["c" if guess == gold else "u" if guess == langid.UNDETERMINED else "w"] += 1
        by[gold]["o"] += label(left_out, latin, left_out_answer) != langid.UNDETERMINED
    return by


def third(data: Path) -> None:
    """Choose `langid.Review` on the tuning half (see the module docstring); print both halves."""
    halves = reviewed_rows(data)
    none = langid.Review(rescue_min=NO_VETO, veto_min=NO_VETO)
    base = {
        half: sum(review_outcomes(rows, none).values(), Counter()) for half, rows in halves.items()
    }
    print("| rescue_min | half | correct gained | wrong added |\n|---|---|---|---|")
    allowed = []
    for rescue_min in RESCUE_MINS:
        for half, rows in halves.items():
            review = langid.Review(rescue_min=rescue_min, veto_min=NO_VETO)
            total = sum(review_outcomes(rows, review).values(), Counter())
            gained, added = total["c"] - base[half]["c"], total["w"] - base[half]["w"]
            print(f"| {rescue_min} | {half} | {gained} | {added} |")
            if half == "tuning" and added <= 0:
                allowed.append((gained, rescue_min))
    rescue_min = max(allowed)[1]
    print(f"\nchosen: rescue_min {rescue_min}\n")
    print("| veto_min | doubt | half | correct | wrong | worst und | labelled when left out |")
    print("|---" * 7 + "|")
    allowed = []
    for veto_min, doubt in itertools.product(VETO_MINS, DOUBTS):
        review = langid.Review(rescue_min, veto_min, doubt)
        for half, rows in halves.items():
            f = summary(review_outcomes(rows, review))
            if half == "tuning" and f["wrong"] <= MAX_WRONG and f["max_und"] <= MAX_UND:
                allowed.append((f["labelled"], -veto_min, -doubt))
            print(
                f"| {veto_min} | {doubt} | {half} | {f['correct']:.4f} | {f['wrong']:.4f} "
                f"| {max(f['worst'], f['heritage'])[0]:.3f} "
                f"{max(f['worst'], f['heritage'])[1]} | {f['labelled']:.4f} |"
            )
    _, veto_min, doubt = min(allowed)
    print(
        f"\nchosen: {langid.Review(rescue_min, -veto_min, -doubt)} (langid.REVIEW: {langid.REVIEW})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("--data", type=Path, default=default)
    parser.add_argument("--third", action="store_true", help="choose langid.Review instead")
    args = parser.parse_args()
    if args.third:
        third(args.data)
        return
    halves: dict[str, list] = {"tuning": [], "reported": []}
    for lang, text, line in read_sentences(args.data):
        found = langid.evidence(text)
        halves["reported" if line % 2 else "tuning"] += [(lang, found)] if found else []
    tuning = [(lang, found[0]) for lang, found in halves["tuning"]]  # a sentence is one window
    (fasttext, naive_bayes, coverage, extra), priors = fit(tuning)
    fitted = langid.Weights(
        *(round(float(weight), 2) for weight in (fasttext, naive_bayes, coverage, extra)),
        priors=priors,
    )  # fmt: skip
    print("| min_score | correct | wrong | worst und |\n|---|---|---|---|")
    allowed = []
    for threshold in THRESHOLDS:
        no_novelty = {"veto_ratio": 0.0, "fit_weight": 0.0}
        weights = langid.Weights(**{**fitted.__dict__, "min_score": threshold, **no_novelty})
        correct, wrong, worst = figures(tuning, weights)
        print(f"| {threshold} | {correct:.4f} | {wrong:.4f} | {worst:.3f} |")
        if wrong <= MAX_WRONG and worst <= MAX_UND:
            allowed.append(((correct, -wrong), weights))
    print()
    print(max(allowed, key=lambda pair: pair[0])[1] if allowed else "no threshold meets the limits")
    print()
    table, (ratio, fit_weight) = tradeoff(halves, langid.WEIGHTS)
    print("\n".join(table))
    print(
        f"\nchosen on the tuning half: veto_ratio {ratio}, fit_weight {fit_weight} (langid.WEIGHTS"
        f" has {langid.WEIGHTS.veto_ratio}, {langid.WEIGHTS.fit_weight})\n"
    )
    before = langid.Weights(**{**langid.WEIGHTS.__dict__, "veto_ratio": 0.3, "fit_weight": 0.0})
    print(
        "\n".join(
            per_language("sentences, reported half", halves["reported"], before, langid.WEIGHTS)
        )
    )
    for name in PARAGRAPHS:
        rows = [(row[0], langid.evidence(row[1])) for row in read_tsv(args.data / "langid" / name)]
        print("\n".join(per_language(name, rows, before, langid.WEIGHTS)))


if __name__ == "__main__":
    main()
