"""Fit ``corpusbuilder.langid.Weights`` on the tuning half of the shared sentences.

Run: ``python bench/langid_fit.py [--data ../shared/data]``; prints the fitted `Weights` and the
tuning-half figures of each threshold. Sentences with an even ``source_line`` are the tuning half;
the odd ones are only ever reported (``bench/langid_bench.py``, ``tests/test_langid.py``).

The model is `langid._posterior`'s log-linear score — fastText, naive Bayes and coverage weights,
the log-odds of a language naive Bayes lacks, and a log prior per language — fitted as a
conditional logit (maximum likelihood, L2 on the priors, L-BFGS). Only languages of the sentence
set get a prior of their own; an `EXTRA` language without sentences takes the mean of the
`EXTRA` ones with sentences, in the fit as when identifying. The threshold (`Weights.min_score`)
is then the one with the most correct labels (then the fewest wrong ones) on the tuning half
among those with at most `MAX_WRONG` wrong labels and at most `MAX_UND` `und` in every language
langdetect knows.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from corpusbuilder import langid

L2 = 1.0  # on the priors, per sentence: keeps a language's prior near 0 without evidence
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6)
MAX_WRONG = 0.009  # on the tuning half, a margin under the 1 % target
MAX_UND = 0.02
HERITAGE = ("la", "eu", "eo", "ga")  # in the sentence set, unknown to langdetect


def read_sentences(data: Path) -> list[tuple[str, str, int]]:
    with (data / "langid" / "sentences.tsv").open(encoding="utf-8") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        return [(lang, text, int(line)) for lang, text, line in rows]


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("--data", type=Path, default=default)
    args = parser.parse_args()
    tuning = []
    for lang, text, line in read_sentences(args.data):
        found = langid.evidence(text) if line % 2 == 0 else []
        tuning += [(lang, found[0])] if found else []  # a sentence is one window
    (fasttext, naive_bayes, coverage, extra), priors = fit(tuning)
    fitted = langid.Weights(
        *(round(float(weight), 2) for weight in (fasttext, naive_bayes, coverage, extra)),
        priors=priors,
    )  # fmt: skip
    print("| min_score | correct | wrong | worst und |\n|---|---|---|---|")
    allowed = []
    for threshold in THRESHOLDS:
        weights = langid.Weights(**{**fitted.__dict__, "min_score": threshold})
        correct, wrong, worst = figures(tuning, weights)
        print(f"| {threshold} | {correct:.4f} | {wrong:.4f} | {worst:.3f} |")
        if wrong <= MAX_WRONG and worst <= MAX_UND:
            allowed.append(((correct, -wrong), weights))
    print()
    print(max(allowed, key=lambda pair: pair[0])[1] if allowed else "no threshold meets the limits")


if __name__ == "__main__":
    main()
