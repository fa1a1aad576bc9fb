"""Spill files read back a bounded piece at a time: small appends gathered up to a row budget, a
larger one alone, every row once and in order."""

from __future__ import annotations

import pyarrow as pa

from corpusbuilder.curate import spill


def test_pieces_gather_small_appends_up_to_a_budget_in_order(tmp_path):
    path = tmp_path / "rows.arrow"
    for start, stop in [(0, 3), (3, 6), (6, 9), (9, 19), (19, 20)]:
        spill.append(path, pa.table({"n": list(range(start, stop))}))
    pieces = list(spill.pieces(path, 7))
    assert [piece.num_rows for piece in pieces] == [6, 3, 10, 1]  # 3+3, 3 (+10 > 7), 10, 1
    assert [n for piece in pieces for n in piece["n"].to_pylist()] == list(range(20))
    assert spill.read(path)["n"].to_pylist() == list(range(20))
