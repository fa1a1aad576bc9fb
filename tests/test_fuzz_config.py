"""corpus.yaml fuzzed: every mutation of a real config loads, or fails with one ConfigError line.

The line names the file, and the line when there is one that exists in the file; no other
exception (a RecursionError, a TypeError from a value of the wrong shape) ever escapes `load`.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from hypothesis import given, settings

from corpusbuilder.config import ConfigError, CorpusConfig, load
from corpusbuilder.config_yaml import MAX_DEPTH, YamlProblem, read
from tests.fuzzing import FUZZ, MAX_INPUT, bounded, mutated, outcome, reported, tally

DEMO = Path(__file__).resolve().parents[1] / "corpusbuilder" / "demo"
FULL = """\
name: fuzzed
description: every section written out
workdir: work
sources:
  - name: texts
    adapter: local
    path: texts.jsonl
    url_prefix: https://example.org/t/
  - name: arxiv
    adapter: oai_pmh
    base_url: http://export.arxiv.org/oai2
    metadata_prefix: arXiv
    from: 2024-01-31
    max_pages: 10
  - name: wiki
    adapter: mediawiki
    dump: wiki.xml.bz2
    licence: [CC-BY-SA-3.0, GFDL-1.3]
    namespaces: [0, 14]
  - name: pg
    adapter: gutenberg
    catalog: rdf
    mirror: https://www.gutenberg.org/cache/epub
    books: [1342, "84"]
fetch:
  cache_dir: work/http-cache
  min_interval: 1.0
licences:
  allow: [CC-BY-NC-4.0]
  deny: []
  jurisdictions: null
curate:
  languages: [en, fr]
  pii: true
  near_dedup: false
  filters:
    ocr_noise_v1: {}
    gopher_quality_v1: {min_words: 30}
release:
  version: 1.2.0-rc.1
  shard_bytes: 1000
publish: {repo_id: org/corpus, private: true, message: "monthly"}
"""
# An error costs ~0.2 s (pydantic's JSON schema, for the suggestions), hence fewer examples.
CONFIG_FUZZ = settings(FUZZ, max_examples=FUZZ.max_examples * 2 // 3)
SAMPLES = [
    (DEMO / "corpus.yaml").read_bytes(),
    (DEMO / "template.yaml").read_bytes(),
    FULL.encode(),
]


def test_every_sample_loads_before_it_is_mutated(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for sample in SAMPLES:
        Path("corpus.yaml").write_bytes(sample)
        assert isinstance(load("corpus.yaml"), CorpusConfig)


@pytest.fixture(scope="module", autouse=True)
def _report():
    with reported():
        yield


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@CONFIG_FUZZ
@given(data=mutated(SAMPLES))
def test_a_mutated_corpus_yaml_loads_or_is_one_clear_line(folder, data) -> None:
    path = folder / "corpus.yaml"
    path.write_bytes(data)
    with bounded(megabytes=64), contextlib.suppress(YamlProblem, UnicodeDecodeError):
        read(data.decode("utf-8"))  # the part that could grow with the input (aliases, nesting)
    items, error = outcome(lambda: [load(path)])
    tally("corpus.yaml", [], error)
    if error is None:
        assert isinstance(items[0], CorpusConfig)
        return
    assert isinstance(error, ConfigError), f"{type(error).__name__}: {error}"
    where = re.match(rf"^{re.escape(str(path))}:(?:(\d+):)? ", str(error))
    assert where, f"the error does not name the file first: {error}"
    if where.group(1):
        assert 1 <= int(where.group(1)) <= data.count(b"\n") + 1, str(error)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("name: x\nsources: " + "[" * 500 + "\n", 2),  # found by fuzzing: a RecursionError
        ("name: x\nsources:\n" + "".join(" " * i + "- \n" for i in range(1, 400)), MAX_DEPTH + 2),
    ],
    ids=["flow", "block"],
)
def test_a_value_nested_too_deep_is_one_line_with_its_line(tmp_path, text, line) -> None:
    (tmp_path / "corpus.yaml").write_text(text)
    with pytest.raises(ConfigError) as raised:
        load(tmp_path / "corpus.yaml")
    message = str(raised.value)
    assert f"corpus.yaml:{line}: nested more than {MAX_DEPTH} levels deep" in message
    assert "\n" not in message and len(text) < MAX_INPUT
