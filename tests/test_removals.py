"""Deduplication's removals on disk: added in any order and in any pieces, read back in rank order
by consecutive windows of any size; and the doc_id of any rank position, read from disk."""

from __future__ import annotations

from unittest import mock

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from corpusbuilder.curate import removals as module
from corpusbuilder.curate.removals import REMOVAL, DocIds, RemovalFiles


def removals_at(positions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    found = np.empty(len(positions), REMOVAL)
    found["position"] = positions
    found["kept"] = rng.integers(0, np.maximum(positions, 1))
    found["similarity"] = rng.random(len(positions)).round(4)
    found["exact"] = rng.random(len(positions)) < 0.5
    return found


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    total=st.integers(0, 400),
    share=st.floats(0, 1),
    per_range=st.integers(1, 50),
    held=st.integers(1, 30),
    pieces=st.integers(1, 8),
    window=st.integers(1, 60),
)
def test_windows_in_rank_order_hold_exactly_the_removals_added(
    tmp_path_factory, seed, total, share, per_range, held, pieces, window
):
    rng = np.random.default_rng(seed)
    positions = rng.permutation(total)[: int(total * share)]  # any order, gaps
    expected = removals_at(positions, rng)
    folder = tmp_path_factory.mktemp("removals") / "r"
    with (
        mock.patch.object(module, "POSITIONS_PER_RANGE", per_range),
        mock.patch.object(module, "HELD", held),
    ):
        files = RemovalFiles(folder, total)
        for piece in np.array_split(expected, pieces):
            files.add(piece)
        windows = [files.between(start, start + window) for start in range(0, total, window)]
    for start, found in zip(range(0, total, window), windows, strict=True):
        assert found["position"].tolist() == sorted(
            p for p in positions.tolist() if start <= p < start + window
        )
    got = np.concatenate([np.empty(0, REMOVAL), *windows])
    assert got.tolist() == np.sort(expected, order="position").tolist()


def test_each_removal_file_holds_one_range_of_positions(tmp_path):
    rng = np.random.default_rng(3)
    with mock.patch.object(module, "POSITIONS_PER_RANGE", 100):
        files = RemovalFiles(tmp_path / "r", 1000)
        files.add(removals_at(rng.permutation(1000)[:300], rng))
        files.between(0, 1)  # parks what is held
    spans = []
    for path in sorted((tmp_path / "r").iterdir()):
        positions = np.fromfile(path, REMOVAL)["position"]
        spans.append((positions.min() // 100, positions.max() // 100))
    assert spans == [(n, n) for n in range(10)]


def test_the_doc_id_of_any_position_is_read_back(tmp_path):
    names = DocIds(tmp_path)
    doc_ids = [f"src/{n}" for n in range(2500)] + ["wiki/Zürich", "", "gutenberg/1342"]
    for start in range(0, len(doc_ids), 1000):
        names.extend(doc_ids[start : start + 1000])
    names.extend([])
    asked = np.array([0, 1, 999, 1000, 2499, 2500, 2501, 2502, 1, 0])
    assert names.of(asked) == {int(p): doc_ids[p] for p in asked}
