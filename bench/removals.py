"""Removals whose kept copy is outside the seeded cluster, checked against the texts.

The generator draws every document from the passages of 20 books, so two of its "originals" can
share most of their word 5-grams by chance, and the chance grows with the square of N: its truth
file then calls a real near copy a false removal. Each such removal is checked here on the two
texts themselves: the exact Jaccard of their shingle sets (near-dedup's normalisation and
n-gram), against the threshold near-dedup applies to its estimate. A removal below it is one the
MinHash estimate carried over the threshold: a false removal in near-dedup's own terms.

Computed once per run (the corpus is read for the few texts needed) and kept beside the run's
figures, keyed by the removals it checked.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from corpusbuilder.curate.dedup import DedupConfig
from corpusbuilder.curate.minhash import normalise

THRESHOLD, NGRAM = DedupConfig.threshold, DedupConfig.ngram


@dataclass(frozen=True)
class Checked:
    outside: int  # removals whose kept copy is outside the removed document's seeded cluster
    below: int  # of those, pairs whose exact Jaccard is below THRESHOLD
    lowest: float | None  # the lowest exact Jaccard among them


def shingles(text: str) -> set[str]:
    words = normalise(text).split()
    return {" ".join(words[i : i + NGRAM]) for i in range(max(1, len(words) - NGRAM + 1))}


def jaccard(a: str, b: str) -> float:
    first, second = shingles(a), shingles(b)
    return len(first & second) / len(first | second) if first | second else 1.0


def check(corpus: Path, truth: list[dict], removed: list[list[str]]) -> Checked:
    """Check each (removed, kept) pair of `removed` whose two documents are in different
    seeded clusters; cached in `<corpus folder>/removals-<key>.json`."""
    cluster = {row["id"]: row["original"] for row in truth}
    outside = sorted((a, b) for a, b, *_ in removed if cluster[a] != cluster[b])
    key = hashlib.sha256(json.dumps(outside).encode()).hexdigest()[:16]
    cached = corpus.parent / f"removals-{key}.json"
    if not cached.exists():
        texts = _texts(corpus, {doc for pair in outside for doc in pair})
        similarities = [jaccard(texts[a], texts[b]) for a, b in outside]
        cached.write_text(json.dumps(similarities))
    similarities = json.loads(cached.read_text())
    below = sum(value < THRESHOLD for value in similarities)
    return Checked(len(outside), below, min(similarities, default=None))


def _texts(corpus: Path, wanted: set[str]) -> dict[str, str]:
    found = {}
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["id"] in wanted:
                found[record["id"]] = record["text"]
    missing = wanted - found.keys()
    if missing:
        example = min(missing)
        raise SystemExit(f"{len(missing)} removed documents are not in {corpus}, e.g. {example}")
    return found
