"""The one NumPy idiom the sorting passes share (the text index, the signature store, dedup's
pass 2, spill's scatter): where each run of equal values begins in a sorted array."""

from __future__ import annotations

import numpy as np


def first_of_each(values: np.ndarray) -> np.ndarray:
    """A mask of `values` (sorted, or grouped) that is True at the first of each run of equal
    values: keeping those rows keeps each value once, in its first place."""
    if not len(values):
        return np.zeros(0, dtype=bool)
    return np.concatenate(([True], values[1:] != values[:-1]))
