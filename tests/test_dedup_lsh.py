"""The out-of-core near-dedup decides exactly as the obvious quadratic greedy of the keep policy,
whatever the input order, chunking, number of partitions and candidate pairs parked at once."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpusbuilder.curate import dedup_lsh
from corpusbuilder.curate.dedup import DedupConfig
from corpusbuilder.curate.dedup_lsh import NearDedup, band_hash

SMALL = DedupConfig(num_perm=16, bands=8, rows=2, threshold=0.5)  # many buckets, ties, near misses


def reference(sigs: np.ndarray, positions: np.ndarray, config: DedupConfig) -> list[tuple]:
    """Visit documents in rank order; remove one when a kept document shares a bucket with it at
    or above the threshold, naming the most similar (first-ranked on ties)."""
    keys = np.stack([band_hash(sigs, b, config) for b in range(config.bands)], axis=1)
    kept: list[int] = []
    removed = []
    for i in np.argsort(positions):
        best = None
        for k in kept:  # in rank order
            if (keys[i] == keys[k]).any():
                similarity = (sigs[i] == sigs[k]).mean()
                if similarity >= config.threshold and (best is None or similarity > best[1]):
                    best = (k, similarity)
        if best is None:
            kept.append(i)
        else:
            removed.append((int(positions[i]), int(positions[best[0]]), round(best[1], 4)))
    return removed


def corpus(seed: int, size: int, config: DedupConfig, alphabet: int = 6) -> np.ndarray:
    """Random signatures over a small alphabet (2: similarities near the threshold, many ties),
    a third of them edited copies of others."""
    rng = np.random.default_rng(seed)
    sigs = rng.integers(0, alphabet, size=(size, config.num_perm), dtype=np.uint32)
    for i in rng.choice(size, size // 3, replace=False):
        source = sigs[rng.integers(size)].copy()
        edited = rng.choice(config.num_perm, rng.integers(0, config.num_perm // 2), replace=False)
        source[edited] = rng.integers(0, alphabet, len(edited))
        sigs[i] = source
    return sigs


def out_of_core(tmp_path, sigs, positions, config, partitions, chunk, parked=None) -> list[tuple]:
    lsh = NearDedup(tmp_path, config, partitions)
    for start in range(0, len(sigs), chunk):
        lsh.add(positions[start : start + chunk], sigs[start : start + chunk])
    with mock.patch.object(dedup_lsh, "PARKED", parked or dedup_lsh.PARKED):
        removed = dedup_lsh.gathered(lsh.run())
    return removed.tolist()


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(0, 60),
    alphabet=st.integers(2, 6),
    partitions=st.integers(1, 9),
    chunk=st.integers(1, 25),
    parked=st.integers(1, 40),
)
def test_equals_the_quadratic_greedy_for_any_order_chunking_and_partitions(
    tmp_path_factory, seed, size, alphabet, partitions, chunk, parked
):
    sigs = corpus(seed, size, SMALL, alphabet)
    positions = np.random.default_rng(seed + 1).permutation(size * 3)[:size]  # gaps, any order
    expected = reference(sigs, positions, SMALL)
    folder = tmp_path_factory.mktemp("lsh")
    found = out_of_core(folder, sigs, positions, SMALL, partitions, chunk, parked)
    assert found == expected


def test_default_bands_on_planted_copies(tmp_path):
    config = DedupConfig()
    rng = np.random.default_rng(5)
    sigs = rng.integers(0, 2**32, size=(300, config.num_perm), dtype=np.uint32)
    for i in range(200, 300):  # copies of 0..99 with 0-30 of 112 values changed
        sigs[i] = sigs[i - 200]
        edited = rng.choice(config.num_perm, rng.integers(0, 31), replace=False)
        sigs[i, edited] = rng.integers(0, 2**32, len(edited))
    positions = rng.permutation(300)
    found = out_of_core(tmp_path, sigs, positions, config, partitions=16, chunk=64)
    assert found == reference(sigs, positions, config)
    assert 90 <= len(found) <= 100  # a copy that kept under 65 % of its values is not one


def test_repeated_positions_and_wrong_signatures_are_refused(tmp_path):
    lsh = NearDedup(tmp_path, SMALL)
    with pytest.raises(ValueError, match="same DedupConfig"):
        lsh.add(np.arange(2), np.zeros((2, 8), dtype=np.uint32))
    lsh.add(np.array([0, 0]), np.zeros((2, 16), dtype=np.uint32))
    with pytest.raises(ValueError, match="rank positions must be unique"):
        lsh.run()
