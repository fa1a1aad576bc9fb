"""corpus.yaml: paths relative to the file, never to the current directory; clear errors."""

from __future__ import annotations

import pytest

from corpusbuilder.config import ConfigError, load
from corpusbuilder.project import Project
from tests.helpers import write_corpus


def test_paths_are_relative_to_the_config_not_the_cwd(tmp_path, monkeypatch):
    path = write_corpus(tmp_path / "corpus", [], fetch={"cache_dir": "cache", "min_interval": 0})
    monkeypatch.chdir(tmp_path)
    config = load("corpus/corpus.yaml")
    assert config.workdir == tmp_path / "corpus" / "work"
    assert config.ledger_url == f"sqlite:///{tmp_path / 'corpus' / 'work' / 'ledger.db'}"
    fetcher = Project(config).fetcher
    assert fetcher.cache_dir == tmp_path / "corpus" / "cache"
    assert fetcher.min_interval == 0
    assert fetcher.path_for("texts.jsonl") == tmp_path / "corpus" / "texts.jsonl"
    assert path.exists()


@pytest.mark.parametrize(
    "text,message",
    [
        ("sources: []", "`sources:` must be a list"),
        ("sources:\n  - {adapter: local}", "every source needs `name:` and `adapter:`"),
        ("sources:\n  - {name: a, adapter: local}\n  - {name: a, adapter: local}", "unique"),
        ("sources:\n  - {name: a, adapter: local}\nfetch: {proxy: x}", "unknown `fetch:` options"),
        ("[1, 2", "not valid YAML"),
    ],
)
def test_bad_configs_say_what_to_fix(tmp_path, text, message):
    (tmp_path / "corpus.yaml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load(tmp_path / "corpus.yaml")
