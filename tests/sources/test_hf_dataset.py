"""The hf_dataset adapter on local Parquet and JSONL datasets the tests write themselves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpusbuilder.ingest.fetch import Fetcher, FetchError
from corpusbuilder.project import Project
from corpusbuilder.source import Checkpoint, Skipped, SourceDocument
from sources import hf_dataset
from sources.hf_dataset import HfDatasetSource, card_licences
from tests.helpers import write_corpus

CARD = "---\nlicense: cc-by-4.0\npretty_name: Test\n---\n# A test dataset\n"
COLUMNS = {"text": "text", "id": "id", "licence": "license"}
BASIC = {"text": "text", "id": "id"}


def write_parquet(folder: Path, rows: list[dict[str, Any]], card: str | None = CARD) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), folder / "train.parquet")
    if card is not None:
        (folder / "README.md").write_text(card, encoding="utf-8")
    return folder


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def run(tmp_path: Path, limit: int | None = None, resume: str | None = None, **config: Any):
    config.setdefault("columns", COLUMNS)
    items = HfDatasetSource(config).documents(Fetcher(base_dir=tmp_path), limit, resume)
    return list(items)


def docs(items):
    return [i for i in items if isinstance(i, SourceDocument)]


def skips(items):
    return [(i.source_key, i.reason) for i in items if isinstance(i, Skipped)]


def test_parquet_rows_become_documents_with_item_and_card_evidence(tmp_path):
    rows = [
        {
            "id": "a1",
            "text": "Cafe\u0301 cre\u0300me",
            "license": "CC-BY-SA-4.0",
            "link": "https://example.org/a1",
            "name": "Title A",
            "author": "Ann",
            "year": 1901,
            "lang": "fr",
        }
    ]
    folder = write_parquet(tmp_path / "ds", rows)
    columns = COLUMNS | {
        "url": "link",
        "title": "name",
        "creator": "author",
        "date": "year",
        "language": "lang",
    }
    [doc] = run(tmp_path, path="ds", columns=columns)
    assert doc.source_key == "a1"
    assert doc.text == "Caf\u00e9 cr\u00e8me"  # NFC
    assert (doc.url, doc.title, doc.creator, doc.date, doc.language_hint) == (
        "https://example.org/a1",
        "Title A",
        "Ann",
        "1901",
        "fr",
    )
    item, card = doc.evidence
    base = folder.resolve().as_uri()
    assert (item.statement, item.kind) == ("CC-BY-SA-4.0", "item")
    assert item.locator == f"{base}#split=train&row=0&column=license"
    assert (card.statement, card.kind) == ("cc-by-4.0", "collection")
    assert card.locator == f"{base}/README.md#license"
    assert item.retrieved_at.tzinfo is not None and card.retrieved_at.utcoffset().seconds == 0


def test_licence_statement_is_kept_verbatim_and_url_defaults_to_row_locator(tmp_path):
    write_parquet(tmp_path / "ds", [{"id": "x", "text": "t", "license": " cc by-sa 3.0 "}], None)
    [doc] = run(tmp_path, path="ds")
    [evidence] = doc.evidence  # no card: no collection evidence
    assert evidence.statement == " cc by-sa 3.0 "
    assert doc.url == f"{(tmp_path / 'ds').resolve().as_uri()}#split=train&row=0"


def test_each_skip_reason_and_first_id_wins(tmp_path):
    rows = [
        {"id": "k1", "text": "first", "license": "CC0-1.0"},
        {"id": None, "text": "no id", "license": "CC0-1.0"},
        {"id": "  ", "text": "blank id", "license": "CC0-1.0"},
        {"id": "k1", "text": "second", "license": "CC0-1.0"},
        {"id": "k2", "text": "", "license": "CC0-1.0"},
        {"id": "k3", "text": None, "license": "CC0-1.0"},
        {"id": "k4", "text": "fine", "license": None},
    ]
    write_parquet(tmp_path / "ds", rows, card=None)
    items = run(tmp_path, path="ds")
    # the repeated k1 is yielded as read: ingest keeps the first (tested below)
    assert [(d.source_key, d.text) for d in docs(items)] == [("k1", "first"), ("k1", "second")]
    assert skips(items) == [
        ("#row:1", "missing_id"),
        ("#row:2", "missing_id"),
        ("k2", "empty_text"),
        ("k3", "empty_text"),
        ("k4", "no_licence_evidence"),
    ]


def test_text_that_is_not_a_string_is_skipped(tmp_path):
    rows = [{"id": "t1", "tokens": ["a", "b"], "license": "MIT"}, {"id": "t2", "tokens": None}]
    write_parquet(tmp_path / "ds", rows)
    items = run(tmp_path, path="ds", columns={"text": "tokens", "id": "id"})
    assert skips(items) == [("t1", "bad_text_type"), ("t2", "empty_text")]
    assert "list" in items[0].detail


def test_jsonl_data_file_with_integer_ids_and_collection_licence(tmp_path):
    rows = [{"n": 7, "body": "seven"}, {"n": 8, "body": "eight"}]
    write_jsonl(tmp_path / "corpus" / "rows.jsonl", rows)
    (tmp_path / "corpus" / "README.md").write_text(CARD, encoding="utf-8")
    items = run(
        tmp_path,
        path="corpus",
        data_files="rows.jsonl",
        columns={"text": "body", "id": "n"},
        collection_licence="Public domain in the USA.",
    )
    assert [d.source_key for d in items] == ["7", "8"]
    [evidence] = items[0].evidence  # the config replaces the card
    assert (evidence.statement, evidence.kind) == ("Public domain in the USA.", "collection")
    assert evidence.locator == "config:hf_dataset.collection_licence"


def test_a_single_data_file_as_path_reads_the_card_beside_it(tmp_path):
    path = write_jsonl(tmp_path / "corpus" / "rows.jsonl", [{"id": "a", "text": "x"}])
    (tmp_path / "corpus" / "README.md").write_text(CARD, encoding="utf-8")
    [doc] = run(tmp_path, path=str(path), columns=BASIC)
    assert [e.statement for e in doc.evidence] == ["cc-by-4.0"]
    assert doc.url.startswith(path.resolve().as_uri() + "#split=train&row=0")


def test_limit_counts_documents_not_skips(tmp_path):
    rows = [{"id": None, "text": "x"}] + [{"id": f"d{i}", "text": "x"} for i in range(5)]
    write_parquet(tmp_path / "ds", rows)
    items = run(tmp_path, limit=2, path="ds", columns=BASIC)
    assert [d.source_key for d in docs(items)] == ["d0", "d1"]
    assert skips(items) == [("#row:0", "missing_id")]
    assert run(tmp_path, limit=0, path="ds", columns=BASIC) == []


def test_checkpoints_resume_after_the_rows_already_read(tmp_path):
    write_parquet(tmp_path / "ds", [{"id": f"d{i}", "text": f"t{i}"} for i in range(5)])
    items = run(tmp_path, path="ds", columns=BASIC, checkpoint_every=2)
    assert [i.value for i in items if isinstance(i, Checkpoint)] == ["2", "4"]
    resumed = run(tmp_path, resume="4", path="ds", columns=BASIC)
    assert [d.source_key for d in docs(resumed)] == ["d4"]
    assert resumed[0].url.endswith("#split=train&row=4")
    with pytest.raises(ValueError, match="row index"):
        run(tmp_path, resume="token-x", path="ds", columns=BASIC)


def test_relative_path_is_resolved_against_the_corpus_folder_not_cwd(tmp_path, monkeypatch):
    write_parquet(tmp_path / "base" / "ds", [{"id": "a", "text": "x"}])
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "ds").mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    [doc] = run(tmp_path / "base", path="ds", columns=BASIC)
    assert doc.source_key == "a"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"columns": COLUMNS}, "hf_dataset: path: required"),
        ({"path": "ds"}, "columns: required"),
        ({"path": "ds", "columns": {"text": "t"}}, r"columns\.id: required"),
        (
            {"path": "ds", "columns": {"text": "t", "id": "i", "author": "a"}},
            r"columns\.author: unknown key; did you mean columns\.creator\?",
        ),
        (
            {"path": "ds", "columns": COLUMNS, "collection_license": "x"},
            r"collection_license: unknown key; did you mean collection_licence\?",
        ),
        ({"path": "ds", "columns": COLUMNS, "checkpoint_every": 0}, "must be >= 1, not 0"),
        ({"path": "ds", "columns": COLUMNS, "name": "en"}, "name: unknown key"),
    ],
)
def test_bad_config_says_what_to_fix(config, message):
    with pytest.raises(ValueError, match=message):
        HfDatasetSource(config)


def test_a_mapped_column_absent_from_the_dataset_is_named(tmp_path):
    write_parquet(tmp_path / "ds", [{"id": "a", "content": "x"}])
    with pytest.raises(ValueError, match=r"'text'.*its columns are: id, content"):
        run(tmp_path, path="ds")


def test_missing_folder_and_corrupt_file_are_clear_errors(tmp_path):
    with pytest.raises(FetchError, match="does not exist"):
        run(tmp_path, path="./nowhere")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "train.parquet").write_bytes(b"PAR1 not parquet")
    with pytest.raises(FetchError, match="check"):
        run(tmp_path, path="bad")


@pytest.mark.parametrize(
    ("card", "expected"),
    [
        (CARD, ["cc-by-4.0"]),
        ("\ufeff---\r\nlicense:\r\n- cc0-1.0\r\n- odc-by\r\n---\r\n", ["cc0-1.0", "odc-by"]),
        ("---\nlicense: other\nlicense_name: custom\n---\n", ["other"]),
        ("---\npretty_name: x\n---\n", []),
        ("---\nlicense: [unclosed\n---\n", []),
        ("# no front matter\nlicense: mit\n", []),
        ("", []),
    ],
)
def test_card_licences(card, expected):
    assert card_licences(card) == expected


def test_card_without_licence_gives_no_collection_evidence(tmp_path):
    write_parquet(tmp_path / "ds", [{"id": "a", "text": "x"}], card="# No front matter\n")
    assert skips(run(tmp_path, path="ds", columns=BASIC)) == [("a", "no_licence_evidence")]


def test_malformed_card_yaml_is_a_clear_error(tmp_path):
    # datasets itself parses the card of a local folder and refuses a broken one
    write_parquet(tmp_path / "ds", [{"id": "a", "text": "x"}], card="---\nlicense: [x\n---\n")
    with pytest.raises(FetchError, match="cannot open dataset 'ds'.*while parsing"):
        run(tmp_path, path="ds", columns=BASIC)


def test_hub_dataset_goes_through_datasets_streaming_and_hub_card(tmp_path, monkeypatch):
    calls = {}

    def fake_load(path, **kwargs):
        calls["load"] = (path, kwargs)
        return [{"identifier": "cc-1", "text": "Hello", "license": "CC-BY-4.0"}]

    def fake_download(repo_id, filename, **kwargs):
        calls["card"] = (repo_id, filename, kwargs)
        card = tmp_path / "card.md"
        card.write_text(CARD, encoding="utf-8")
        return str(card)

    monkeypatch.setattr(hf_dataset, "load_dataset", fake_load)
    monkeypatch.setattr(hf_dataset, "hf_hub_download", fake_download)
    columns = {"text": "text", "id": "identifier", "licence": "license"}
    [doc] = run(tmp_path, path="PleIAs/common_corpus", config_name="default", columns=columns)
    assert calls["load"] == (
        "PleIAs/common_corpus",
        {"data_files": None, "split": "train", "streaming": True, "name": "default"},
    )
    assert calls["card"] == (
        "PleIAs/common_corpus",
        "README.md",
        {"repo_type": "dataset", "revision": None},
    )
    item, card = doc.evidence
    assert item.locator == "hf://datasets/PleIAs/common_corpus#split=train&row=0&column=license"
    assert card.locator.endswith("/datasets/PleIAs/common_corpus/blob/main/README.md#license")


def test_unreadable_hub_card_means_no_collection_evidence(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("offline")

    rows = [{"id": "r", "text": "x", "license": "MIT"}]
    monkeypatch.setattr(hf_dataset, "load_dataset", lambda *a, **k: rows)
    monkeypatch.setattr(hf_dataset, "hf_hub_download", no_network)
    [doc] = run(tmp_path, path="org/name", revision="abc123")
    assert [(e.statement, e.kind) for e in doc.evidence] == [("MIT", "item")]
    assert doc.url == "hf://datasets/org/name@abc123#split=train&row=0"


def test_dotted_columns_read_nested_metadata_like_common_pile(tmp_path):
    rows = [
        {
            "id": "cp-1",
            "text": "Body",
            "metadata": {"license": "CC BY 4.0", "url": "https://example.org/cp-1"},
        },
        {"id": "cp-2", "text": "Body", "metadata": None},
    ]
    write_jsonl(tmp_path / "pile" / "part-0.jsonl", rows)
    columns = {"text": "text", "id": "id", "licence": "metadata.license", "url": "metadata.url"}
    items = run(tmp_path, path="pile", columns=columns)
    doc = items[0]
    assert (doc.url, doc.evidence[0].statement) == ("https://example.org/cp-1", "CC BY 4.0")
    assert doc.evidence[0].locator.endswith("#split=train&row=0&column=metadata.license")
    assert skips(items) == [("cp-2", "no_licence_evidence")]
    with pytest.raises(ValueError, match="meta.license"):
        run(tmp_path, path="pile", columns=BASIC | {"licence": "meta.license"})


def test_a_repeated_id_keeps_the_first_row_and_a_real_id_never_meets_a_position_key(tmp_path):
    rows = [
        {"id": "k1", "text": "first", "license": "CC0-1.0"},
        {"id": None, "text": "no id", "license": "CC0-1.0"},
        {"id": "#row:1", "text": "an id that looks like a position", "license": "CC0-1.0"},
        {"id": "k1", "text": "second", "license": "CC0-1.0"},
    ]
    write_parquet(tmp_path / "ds", rows, card=None)
    source = {"name": "h", "adapter": "hf_dataset", "path": "ds", "columns": COLUMNS}
    config = write_corpus(tmp_path, [], sources=[source])
    project = Project.open(config, progress=False)
    counts = project.ingest("h").counts
    assert counts["repeated_source_key"] == 1, counts
    texts = {d.doc_id: d.status for d in project.ledger.documents()}
    assert texts == {"h/k1": "ingested", "h/#row:1": "skipped", "h/##row:1": "ingested"}
    sha = project.ledger.document("h/k1").text_sha256
    assert list(project.store.get_many([sha])) == [(sha, "first")]
