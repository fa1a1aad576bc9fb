"""The third identifier: langid.py's naive Bayes over byte n-grams (97 languages), as shipped.

Why a third: langdetect's profiles lack Latin, Basque and Irish, and fastText's lite model reads
short sentences in them poorly, so a short Latin sentence the two cannot agree on was `und`
(2.6 % of Latin on the reported half); and a language neither knows that fastText spreads over
two neighbours (Bislama: Finnish and Estonian) kept a neighbour's label. langid.py models the
heritage languages well and knows a few languages the other two lack (Zulu, Xhosa, Quechua,
Kinyarwanda…), so it is asked about the few texts the two leave in doubt (`langid.identify`).

Why lazily: decoding the model (bz2 and pickle inside the package) takes ~5 s of CPU, and the
two identifiers leave one text in several thousand in doubt (3 of 20,000 bench documents), so a
worker that never meets one never loads it. Nothing is downloaded: the model ships in the wheel.
Deterministic: naive Bayes over the text's bytes.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _identifier() -> Any:
    """Decoded once per process, on first use (~5 s, ~30 MB). Imported here too: the module
    holds the encoded model, ~10 MB in every process that imports it."""
    from langid.langid import LanguageIdentifier, model

    return LanguageIdentifier.from_modelstring(model, norm_probs=True)


def classify(text: str) -> tuple[str, float]:
    """langid.py's language (ISO 639-1) for `text` and its probability over its 97 languages."""
    language, probability = _identifier().classify(text)
    return language, float(probability)
