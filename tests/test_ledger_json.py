"""The ledger's JSON columns are written by orjson (the provenance a release freezes is ~5 KB a
document): the values read back are those json.dumps would have stored, on both engines."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import String, cast, select

from corpusbuilder.ledger.models import ReleaseProvenance
from corpusbuilder.ledger.store import Ledger, json_text
from tests.ledger_backend import new_ledger

PROVENANCE = {
    "doc_id": "t/1",
    "title": "Ça déborde — 東京 🙂",
    "language_score": 0.9998,
    "pii": {"email": 2},
    "attribution": False,
    "creator": None,
    "evidence": [{"statement": 'a "quoted"\nline\\', "retrieved_at": "2026-01-02T03:04:05+00:00"}],
    "counts": {3: "an int key", "nested": [1, 2.5, [None, True]]},
    "big": 2**70,  # beyond 64 bits: orjson refuses it, json.dumps writes it
}


def _ledger(tmp_path) -> Ledger:
    return Ledger(new_ledger().get("ledger", f"sqlite:///{tmp_path / 'ledger.db'}"))


def test_json_text_reads_back_as_json_dumps_wrote_it():
    assert json.loads(json_text(PROVENANCE)) == json.loads(json.dumps(PROVENANCE))
    small = {key: value for key, value in PROVENANCE.items() if key != "big"}
    assert json_text(small) == json_text(small).replace(", ", ",")  # orjson's compact text
    assert json_text(2**70) == "1180591620717411303424"  # json.dumps's, where orjson refuses


def test_json_text_refuses_what_json_dumps_refuses():
    with pytest.raises(TypeError, match="set is not JSON serializable"):
        json_text({"kinds": {"email"}})


def test_frozen_provenance_is_stored_as_json_text_and_read_back_unchanged(tmp_path):
    ledger = _ledger(tmp_path)
    rows = [{"doc_id": f"t/{n}", "data": PROVENANCE | {"doc_id": f"t/{n}"}} for n in range(3)]
    ledger.add_release_rows("1.0.0", [], rows)

    expected = [json.loads(json.dumps(row["data"])) for row in rows]
    assert list(ledger.release_provenance("1.0.0")) == expected
    table = ReleaseProvenance.__table__
    with ledger.engine.connect() as connection:
        stored = connection.execute(
            select(cast(table.c.data, String)).order_by(table.c.doc_id)
        ).scalars()
        assert list(stored) == [json_text(row["data"]) for row in rows]  # the engine's serializer
    ledger.close()
