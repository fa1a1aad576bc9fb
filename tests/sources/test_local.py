"""The `local` adapter: JSONL, or a folder of texts with sidecars; bad lines are reasoned skips."""

from __future__ import annotations

import json

import pytest

from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.source import Skipped, SourceDocument
from sources.local import LocalSource


def _run(config, base):
    return list(LocalSource(config).documents(Fetcher(base_dir=base)))


def test_jsonl_records_and_skips(tmp_path):
    rows = [
        {"id": 1, "text": "Cafe\u0301", "licence": " CC BY-SA 4.0 ", "title": "T", "date": 1999},
        {"text": "no id", "licence": "CC0-1.0"},
        {"id": "x", "text": "no licence"},
        {"id": "y", "text": "   ", "licence": "CC0-1.0"},
        ["not", "an", "object"],
    ]
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n{broken\n")
    items = _run({"path": "t.jsonl", "url_prefix": "https://example.org/t/"}, tmp_path)
    doc = items[0]
    assert isinstance(doc, SourceDocument)
    assert (doc.source_key, doc.text, doc.title, doc.date) == ("1", "Caf\u00e9", "T", "1999")
    assert doc.url == "https://example.org/t/1"
    assert doc.evidence[0].statement == " CC BY-SA 4.0 "  # verbatim, spaces included
    assert doc.evidence[0].locator.endswith("t.jsonl#line=1/licence")
    assert doc.evidence[0].kind == "sidecar"
    reasons = [(i.source_key, i.reason) for i in items[1:]]
    assert reasons == [
        ("#line:2", "missing_id"), ("x", "missing_licence"), ("y", "empty_text"),
        ("#line:5", "malformed_record"), ("#line:6", "malformed_record"),
    ]  # fmt: skip


def test_folder_with_sidecars_and_collection_licence(tmp_path):
    (tmp_path / "texts" / "sub").mkdir(parents=True)
    (tmp_path / "texts" / "sub" / "a.txt").write_text("\ufeffHello", encoding="utf-8")
    (tmp_path / "texts" / "sub" / "a.json").write_text('{"url": "https://e.org/a"}')
    (tmp_path / "texts" / "b.txt").write_bytes(b"\xff\xfe bad")
    items = _run({"path": "texts", "licence": "CC0-1.0"}, tmp_path)
    assert isinstance(items[0], Skipped) and items[0].reason == "undecodable_text"
    doc = items[1]
    assert (doc.source_key, doc.text, doc.url) == ("sub/a.txt", "Hello", "https://e.org/a")
    assert [(e.statement, e.kind) for e in doc.evidence] == [("CC0-1.0", "collection")]


def test_limit_and_missing_path(tmp_path):
    (tmp_path / "t.jsonl").write_text(
        "\n".join(json.dumps({"id": i, "text": "t", "licence": "MIT"}) for i in range(5))
    )
    config = {"path": "t.jsonl", "url_prefix": "https://example.org/t/"}
    assert len(_run(config, tmp_path)) == 5
    items = list(LocalSource(config).documents(Fetcher(tmp_path), limit=2))
    assert [i.source_key for i in items] == ["0", "1"]
    with pytest.raises(ValueError, match="^local: path: required: a .jsonl file"):
        LocalSource({})


def test_a_record_without_url_is_skipped_not_published_with_a_local_path(tmp_path):
    record = {"id": "a/b c", "text": "A text.", "licence": "CC0-1.0"}
    (tmp_path / "t.jsonl").write_text(json.dumps(record) + "\n")
    (skip,) = _run({"path": "t.jsonl"}, tmp_path)
    assert (skip.source_key, skip.reason) == ("a/b c", "missing_url")
    assert "no `url`, and the source sets no `url_prefix:`" in skip.detail
    (doc,) = _run({"path": "t.jsonl", "url_prefix": "https://e.org/texts/"}, tmp_path)
    assert doc.url == "https://e.org/texts/a/b%20c"
    with pytest.raises(ValueError, match="url_prefix"):
        LocalSource({"path": "t.jsonl", "url_prefix": "/home/me/texts/"})
