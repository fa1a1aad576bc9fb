"""One poison record is a reasoned skip, never the loss of its batch (issue 8, item 1).

Each poison input sits among good records; the good ones are recorded, the poison one is a skip
whose reason and detail say what and where. Keys repeated anywhere in a run are recorded once,
whatever the batch size, and a position key never collides with a real key.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy.exc import DataError

import corpusbuilder.ingest.runner as ingest_module
from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.ingest.runner import ingest
from corpusbuilder.ledger import Ledger
from corpusbuilder.source import LicenceEvidence, Skipped, SourceDocument
from corpusbuilder.textstore import TextStore
from sources.local import LocalSource
from tests.helpers import Fixed
from tests.postgres import postgres_server

DEEP = "[" * 100_000 + "]" * 100_000
HUGE = "9" * 5000


def _line(key: str, **fields) -> str:
    record = {"id": key, "text": f"text of {key}", "licence": "CC0-1.0"} | fields
    return json.dumps(record)  # ensure_ascii: "\ud800" and "\u0000" stay JSON escapes


def _local(tmp_path, lines: list[str]) -> LocalSource:
    (tmp_path / "t.jsonl").write_text("\n".join(lines) + "\n")
    return LocalSource({"path": "t.jsonl", "url_prefix": "https://e.org/t/"})


def _rows(ledger: Ledger) -> list[tuple]:
    return [(d.doc_id, d.status, d.reason) for d in ledger.documents()]


def _detail(ledger: Ledger, doc_id: str) -> str:
    (decision,) = ledger.decisions(doc_id)
    return decision.detail


@pytest.fixture
def env(tmp_path):
    return Ledger("sqlite://"), TextStore(tmp_path / "texts"), Fetcher(tmp_path)


POISON_LINES = [
    _line("a"),
    _line("t-obj", title={"x": 1}),
    _line("u-list", url=["https://e.org/1"]),
    _line("c-obj", creator={"name": "x"}),
    _line("l-list", language=["en"]),
    '{"id": "deep", "text": "t", "licence": "CC0-1.0", "title": ' + DEEP + "}",
    '{"id": "huge", "text": "t", "licence": "CC0-1.0", "title": ' + HUGE + "}",
    _line("sur", text="x\ud800y"),
    _line("id\ud800"),
    _line("n\u0000ul", title="ti\u0000tle", text="a\u0000b"),
    json.dumps({"id": {"a": 1}, "text": "t", "licence": "CC0-1.0"}),
    _line("b"),
]


def test_poison_lines_are_skips_with_their_line_and_the_rest_is_recorded(env, tmp_path):
    ledger, store, fetch = env
    result = ingest(ledger, store, "s", _local(tmp_path, POISON_LINES), fetch, progress=False)
    malformed = ("skipped", "malformed_record")
    assert _rows(ledger) == [
        ("s/#line:11", *malformed), ("s/#line:6", *malformed), ("s/#line:7", *malformed),
        ("s/a", "ingested", "ingested"), ("s/b", "ingested", "ingested"),
        ("s/c-obj", *malformed), ("s/id\ufffd", "ingested", "ingested"),
        ("s/l-list", *malformed), ("s/nul", "ingested", "ingested"),
        ("s/sur", "ingested", "ingested"), ("s/t-obj", *malformed), ("s/u-list", *malformed),
    ]  # fmt: skip
    counts = result.counts
    assert (counts["seen"], counts["new"], counts["skipped:malformed_record"]) == (12, 5, 7)
    where = f"{(tmp_path / 't.jsonl').as_uri()}#line="
    assert _detail(ledger, "s/t-obj") == f"{where}2: `title` is dict, not str"
    assert _detail(ledger, "s/u-list") == f"{where}3: `url` is list, not str"
    assert _detail(ledger, "s/c-obj") == f"{where}4: `creator` is dict, not str"
    assert _detail(ledger, "s/l-list") == f"{where}5: `language` is list, not str"
    assert _detail(ledger, "s/#line:6") == f"{where}6: nested too deep to read"
    assert _detail(ledger, "s/#line:7").startswith(f"{where}7: Exceeds the limit (4300 digits)")
    assert _detail(ledger, "s/#line:11") == f"{where}11: `id` is dict, not str"
    assert store.get(ledger.document("s/sur").text_sha256) == "x\ufffdy"
    nul = ledger.document("s/nul")
    assert (nul.source_key, nul.title, store.get(nul.text_sha256)) == ("nul", "title", "ab")
    again = ingest(ledger, store, "s", _local(tmp_path, POISON_LINES), fetch, progress=False)
    assert again.counts["unchanged"] == 12 and "new" not in again.counts


def _doc(key, **fields) -> SourceDocument:
    evidence = (LicenceEvidence("CC0-1.0", f"https://e.org/{key}#rights"),)
    base = {
        "source_key": key,
        "text": f"text of {key}",
        "url": "https://e.org/",
        "evidence": evidence,
    }
    return SourceDocument(**(base | fields))


def test_the_core_checks_every_item_an_adapter_yields(env):
    ledger, store, fetch = env
    bad_evidence = (LicenceEvidence(["CC0"], "https://e.org/x"),)  # type: ignore[arg-type]
    items = [
        _doc("a"),
        _doc("title-dict", title={"x": 1}),
        _doc("title-huge", title=10**5000),
        _doc("text-list", text=["t"]),
        _doc("x" * 513),
        _doc(7),
        _doc("ev-str", evidence="CC0-1.0"),
        _doc("ev-statement", evidence=bad_evidence),
        {"source_key": "not-an-item"},
        Skipped("\ud800skip", "not_text", "detail\u0000"),
        _doc("b"),
    ]
    result = ingest(ledger, store, "s", Fixed(items), fetch, progress=False)
    assert result.counts["new"] == 2 and result.counts["skipped:malformed_record"] == 8
    assert _detail(ledger, "s/title-dict") == "`title` is dict, not str"
    assert _detail(ledger, "s/title-huge") == "`title` is int, not str"
    assert _detail(ledger, "s/text-list") == "`text` is list, not str"
    assert _detail(ledger, "s/#item:5") == "`source_key` has 513 characters (1 to 512)"
    assert _detail(ledger, "s/#item:6") == "`source_key` is int, not str"
    assert _detail(ledger, "s/ev-str") == "`evidence` is str, not a tuple of LicenceEvidence"
    assert _detail(ledger, "s/ev-statement") == "`evidence[0].statement` is list, not str"
    assert _detail(ledger, "s/#item:9") == (
        "the adapter yielded a dict, not a SourceDocument or Skipped"
    )
    skipped = ledger.document("s/\ufffdskip")
    assert (skipped.status, skipped.reason) == ("skipped", "not_text")
    assert _detail(ledger, "s/\ufffdskip") == "detail"


def test_a_record_the_database_refuses_is_an_unstorable_skip_and_its_batch_is_kept(
    env, monkeypatch
):
    ledger, store, fetch = env
    write = ledger.write_ingest_batch

    def refusing(new, changed, evidence, decisions, run_id, checkpoint, seen=()):
        if any(row["title"] == "poison" for row in new + changed):
            raise DataError("INSERT INTO document …", {}, ValueError("refused"))
        write(new, changed, evidence, decisions, run_id, checkpoint, seen)

    monkeypatch.setattr(ledger, "write_ingest_batch", refusing)
    items = [_doc("a"), _doc("p", title="poison"), _doc("b")]
    result = ingest(ledger, store, "s", Fixed(items), fetch, progress=False)
    assert _rows(ledger) == [
        ("s/a", "ingested", "ingested"), ("s/b", "ingested", "ingested"),
        ("s/p", "skipped", "unstorable_record"),
    ]  # fmt: skip
    assert _detail(ledger, "s/p") == "the ledger refused the record: DataError: refused"
    assert (result.counts["new"], result.counts["skipped:unstorable_record"]) == (2, 1)


def test_a_key_repeated_across_a_batch_boundary_is_recorded_once(env, tmp_path, monkeypatch):
    ledger, store, fetch = env
    monkeypatch.setattr(ingest_module, "BATCH", 2)
    lines = [_line("a"), _line("b"), _line("c"), _line("a", text="later a"), _line("d")]
    first = ingest(ledger, store, "s", _local(tmp_path, lines), fetch, progress=False)
    assert (first.counts["new"], first.counts["repeated_source_key"]) == (4, 1)
    before = {d.doc_id: (d.seq, d.text_sha256) for d in ledger.documents()}
    assert store.get(before["s/a"][1]) == "text of a"  # the first occurrence wins
    for _ in range(2):
        again = ingest(ledger, store, "s", _local(tmp_path, lines), fetch, progress=False)
        assert dict(again.counts) == {"seen": 5, "unchanged": 4, "repeated_source_key": 1}
        assert {d.doc_id: (d.seq, d.text_sha256) for d in ledger.documents()} == before
        assert [d.reason for d in ledger.decisions("s/a")] == ["ingested"]


def test_a_real_id_shaped_like_a_position_key_never_collides_with_one(env, tmp_path):
    ledger, store, fetch = env
    lines = ["{broken", _line("#line:1"), _line("line:1"), _line("##x")]
    result = ingest(ledger, store, "s", _local(tmp_path, lines), fetch, progress=False)
    assert _rows(ledger) == [
        ("s/###x", "ingested", "ingested"), ("s/##line:1", "ingested", "ingested"),
        ("s/#line:1", "skipped", "malformed_record"), ("s/line:1", "ingested", "ingested"),
    ]  # fmt: skip
    assert result.counts["repeated_source_key"] == 0
    assert ledger.document("s/##line:1").url == "https://e.org/t/%23line%3A1"  # the id as given
    again = ingest(ledger, store, "s", _local(tmp_path, lines), fetch, progress=False)
    assert dict(again.counts) == {"seen": 4, "unchanged": 4, "repeated_source_key": 0}


def _stored(ledger: Ledger, store: TextStore) -> list[tuple]:
    return [
        (d.doc_id, d.source_key, d.title, d.creator, d.status, d.reason, store.get(d.text_sha256))
        for d in ledger.documents()
        if d.text_sha256
    ]


def test_nul_and_surrogates_end_the_same_on_postgresql_as_on_sqlite(tmp_path):
    lines = [
        _line("a"),
        _line("n\u0000ul", title="ti\u0000tle", creator="\u0000", text="a\u0000b\ud800"),
        _line("s\udfff", title="\ud800"),
        _line("b"),
    ]
    sqlite = Ledger("sqlite://")
    ingest(sqlite, TextStore(tmp_path / "t1"), "s", _local(tmp_path, lines), Fetcher(tmp_path),
           progress=False)  # fmt: skip
    expected = _stored(sqlite, TextStore(tmp_path / "t1"))
    assert expected[2] == ("s/nul", "nul", "title", "", "ingested", "ingested", "ab\ufffd")
    with postgres_server() as url:
        postgres, store = Ledger(url), TextStore(tmp_path / "t2")
        first = ingest(
            postgres, store, "s", _local(tmp_path, lines), Fetcher(tmp_path), progress=False
        )
        assert first.counts["new"] == 4
        assert _stored(postgres, store) == expected
        again = ingest(
            postgres, store, "s", _local(tmp_path, lines), Fetcher(tmp_path), progress=False
        )
        assert dict(again.counts) == {"seen": 4, "unchanged": 4, "repeated_source_key": 0}
        postgres.engine.dispose()


def test_a_poison_sidecar_is_a_skip_keyed_by_its_text_file(env, tmp_path):
    ledger, store, fetch = env
    (tmp_path / "files").mkdir()
    sidecars = {"a": '{"url": "https://e.org/a"}', "deep": DEEP, "list": "[1]", "num": HUGE}
    for name, sidecar in sidecars.items():
        (tmp_path / "files" / f"{name}.txt").write_text(f"text of {name}")
        (tmp_path / "files" / f"{name}.json").write_text(sidecar)
    adapter = LocalSource({"path": "files", "licence": "CC0-1.0"})
    result = ingest(ledger, store, "s", adapter, fetch, progress=False)
    assert (result.counts["new"], result.counts["skipped:malformed_record"]) == (1, 3)
    where = tmp_path / "files"
    assert _detail(ledger, "s/deep.txt") == f"{where}/deep.json: nested too deep to read"
    assert _detail(ledger, "s/list.txt") == f"{where}/list.json: not an object but a list"
    assert _detail(ledger, "s/num.txt").startswith(f"{where}/num.json: Exceeds the limit")
