"""`docs` lists documents by outcome; `sample` shows what one reason removed (the measured value
and the start of the text), the same draw for the same seed."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpusbuilder.cli import cli
from tests.helpers import write_corpus

PHRASE = (
    "the river runs past the old mill where children play and farmers bring their grain every"
    " autumn before the first snow falls on the quiet hills"
)
WORDS = PHRASE.split(" ")
LONG = " ".join([PHRASE] * 3)  # 431 characters
SHORT = 10  # documents of 10..19 words: under min_words 20


def records() -> list[dict]:
    rng = random.Random(1)
    found = [
        {"id": f"doc-{i:02d}", "text": " ".join(rng.choice(WORDS) for _ in range(10 + i)) + ".",
         "licence": "CC0-1.0", "title": f"Note {i}"}
        for i in range(30)
    ]  # fmt: skip
    found.append({"id": "odd-licence", "text": LONG, "licence": "ask my aunt"})
    return found


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    curate = {"filters": {"gopher_quality_v1": {"min_words": 20}}}
    config = write_corpus(tmp_path_factory.mktemp("docs") / "c", records(), curate=curate)
    for step in (["ingest", "t"], ["curate", "--workers", "1"]):
        result = CliRunner().invoke(cli, ["-q", "-c", str(config), *step])
        assert result.exit_code == 0, result.output
    return config


def invoke(config: Path, *args: str):
    return CliRunner().invoke(cli, ["-q", "-c", str(config), *args])


def as_json(config: Path, *args: str) -> dict:
    result = invoke(config, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_docs_lists_documents_by_status_reason_and_source(corpus):
    found = as_json(corpus, "docs", "--status", "quarantined", "--reason", "licence_unknown")
    url = "https://example.org/texts/odd-licence"
    assert found == {"documents": [{"doc_id": "t/odd-licence", "source": "t",
                                    "status": "quarantined", "reason": "licence_unknown",
                                    "title": None, "url": url}]}  # fmt: skip
    filtered = as_json(corpus, "docs", "--status", "filtered", "--source", "t")["documents"]
    assert [d["doc_id"] for d in filtered] == [f"t/doc-{i:02d}" for i in range(SHORT)]
    assert {d["reason"] for d in filtered} == {"too_few_words"}
    assert filtered[3]["title"] == "Note 3"
    limited = invoke(corpus, "docs", "--reason", "too_few_words", "--limit", "2")
    assert limited.output.splitlines() == [
        "t/doc-00\tt\tfiltered\ttoo_few_words\tNote 0\thttps://example.org/texts/doc-00",
        "t/doc-01\tt\tfiltered\ttoo_few_words\tNote 1\thttps://example.org/texts/doc-01",
    ]
    assert as_json(corpus, "docs", "--source", "nope") == {"documents": []}
    assert invoke(corpus, "docs", "--source", "nope").output == "no document has this outcome\n"


def test_sample_shows_the_measured_value_and_the_text(corpus):
    report = as_json(corpus, "sample", "too_few_words", "-n", "4", "--seed", "7")
    assert list(report) == ["reason", "removed", "seed", "documents"]
    assert (report["removed"], report["seed"], len(report["documents"])) == (SHORT, 7, 4)
    for row in report["documents"]:
        assert (row["status"], row["component"]) == ("filtered", "gopher_quality_v1")
        measured = int(re.fullmatch(r"words=(\d+) < 20", row["detail"]).group(1))
        assert measured == len(row["text"].split()) == 10 + int(row["doc_id"][-2:])
    ids = [row["doc_id"] for row in report["documents"]]
    assert ids == sorted(ids)
    again = as_json(corpus, "sample", "too_few_words", "-n", "4", "--seed", "7")
    other = as_json(corpus, "sample", "too_few_words", "-n", "4", "--seed", "8")
    assert again == report and other["documents"] != report["documents"]
    everything = as_json(corpus, "sample", "too_few_words", "-n", "50")["documents"]
    assert [row["doc_id"] for row in everything] == [f"t/doc-{i:02d}" for i in range(SHORT)]


def test_sample_text_output_and_an_unknown_reason(corpus):
    lines = invoke(corpus, "sample", "too_few_words", "-n", "1", "--seed", "3").output
    head, blank, decided, text = lines.splitlines()
    assert head == "too_few_words: 10 documents removed; 1 drawn with seed 3"
    assert re.fullmatch(r"t/doc-0\d \(filtered by gopher_quality_v1\): words=1\d < 20", decided)
    assert blank == "" and text.startswith("  ") and text.endswith(".")
    [quarantined] = as_json(corpus, "sample", "licence_unknown")["documents"]
    assert quarantined["text"] == LONG[:300]  # the first 300 characters
    assert invoke(corpus, "sample", "licence_unknown").output.endswith(f"\n  {LONG[:300]}\n")
    unknown = invoke(corpus, "sample", "too_short")
    assert unknown.exit_code != 0
    assert unknown.output == (
        "Error: no document was removed for 'too_short'; reasons found: licence_unknown,"
        " too_few_words\n"
    )
