"""MinHash hashing in bounded pieces: the same signatures as hashing a batch whole, in memory
that does not grow with the batch."""

from __future__ import annotations

import random
import tracemalloc

import numpy as np
import pytest

from corpusbuilder.curate import minhash
from corpusbuilder.curate.dedup import DedupConfig, signatures

CONFIG = DedupConfig()
WORDS = ["licence", "öffentlich", "domaine", "público", "книга", "自由", "a", "the", "of"]


def texts(count: int, words: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [
        " ".join(rng.choice(WORDS) + str(rng.randrange(500)) for _ in range(rng.randrange(words)))
        for _ in range(count)
    ]


def whole(batch: list[str], monkeypatch) -> np.ndarray:
    """The batch's signatures hashed in one piece, as before pieces existed."""
    with monkeypatch.context() as patch:
        patch.setattr(minhash, "PIECE_BYTES", 1 << 40)
        return signatures(batch, CONFIG)


@pytest.mark.parametrize("piece", [7, 64, 4096])
def test_signatures_hashed_in_pieces_equal_those_hashed_whole(monkeypatch, piece):
    batch = [*texts(60, 400), "", "   ...  ", "word", "x" * 300, "Überlänge " * 50 + "y" * 5000]
    expected = whole(batch, monkeypatch)
    monkeypatch.setattr(minhash, "PIECE_BYTES", piece)
    assert np.array_equal(signatures(batch, CONFIG), expected)
    words, counts = minhash.word_hashes(batch)
    assert len(words) == counts.sum() == sum(len(minhash.normalise(t).split()) for t in batch)


def test_pieces_end_after_a_space_and_a_word_longer_than_a_piece_is_one_piece(monkeypatch):
    monkeypatch.setattr(minhash, "PIECE_BYTES", 8)
    joined = b"ab cd " + b"x" * 20 + b" ef gh ij "
    pieces = list(minhash._pieces(joined))
    assert b"".join(pieces) == joined
    assert all(piece.endswith(b" ") and piece.count(b"  ") == 0 for piece in pieces)
    assert pieces == [b"ab cd ", b"x" * 20 + b" ", b"ef gh ", b"ij "]


def test_slices_cover_every_text_once_and_no_texts_is_one_empty_slice(monkeypatch):
    monkeypatch.setattr(minhash, "PIECE_BYTES", 10)
    batch = ["aaaa", "bbbbbb", "c" * 30, "d", "e"]
    slices = list(minhash.slices(batch))
    assert [batch[s] for s in slices] == [["aaaa", "bbbbbb"], ["c" * 30], ["d", "e"]]
    assert list(minhash.slices([])) == [slice(0, 0)]
    assert signatures([], CONFIG).shape == (0, CONFIG.num_perm)


def test_memory_for_a_batch_does_not_grow_with_the_batch():
    """numpy's allocations (traced by tracemalloc) peak below the batch's own size, and the
    powers kept afterwards are those of one piece. Hashed whole, this 3.8 MiB batch peaked at
    138 MiB (3.0 MiB in pieces) and kept two tables of the batch's length."""
    batch = texts(800, 1000, seed=1)
    size = sum(len(t.encode()) for t in batch)
    assert size > 10 * minhash.PIECE_BYTES
    signatures(batch[:1], CONFIG)  # the kept tables, once per process
    tracemalloc.start()
    try:
        signatures(batch, CONFIG)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < size, f"peak {peak / 2**20:.1f} MiB for {size / 2**20:.1f} MiB of text"
    assert all(len(table) == minhash.POWERS_KEPT for table in minhash._POWERS.values())
