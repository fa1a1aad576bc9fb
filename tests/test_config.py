"""corpus.yaml: paths relative to the file; a mistake is one line: file, line, key and the fix."""

from __future__ import annotations

import pickle

import pytest
from pydantic import ValidationError

from corpusbuilder.config import ConfigError, load
from corpusbuilder.project import Project
from tests.helpers import write_corpus

SOURCE = "sources:\n  - name: demo\n    adapter: local\n    path: texts.jsonl\n"  # lines 1-4
BOMB = (  # 250 bytes that PyYAML expands to 9**7 strings: the 126 MB dataset card
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "description: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
)


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


MISTAKES = {
    "unknown curate key": (
        SOURCE + "curate:\n  languages: [en]\n  filtres: {}\n",
        "7: curate.filtres: unknown key; did you mean curate.filters?",
    ),
    "unknown top-level key": (
        SOURCE + "relase:\n  version: 1.0.0\n",
        "5: relase: unknown key; did you mean release?",
    ),
    "duplicate key": (
        "name: a\n" + SOURCE + "name: b\n",
        "6: name: duplicate key (first on line 1); keep one (YAML would silently keep the last)",
    ),
    "languages as a string": (
        SOURCE + "curate:\n  languages: en\n",
        '6: curate.languages: must be a list, not "en"; write [en]',
    ),
    "Norwegian read as false": (
        SOURCE + "curate:\n  languages: [en, no]\n",
        "6: curate.languages[1]: must be a string, not false"
        " (YAML reads yes, no, on and off as true or false): quote it",
    ),
    "upper-case language": (
        SOURCE + "curate:\n  languages: [EN]\n",
        "6: curate.languages[0]: 'EN' is not a lowercase language code such as en, fr or zh-cn",
    ),
    "private as a string": (
        SOURCE + "publish:\n  repo_id: org/corpus\n  private: 'yes'\n",
        '7: publish.private: must be true or false, not "yes"',
    ),
    "two publish targets": (
        SOURCE + "publish:\n  to: hub\n  repo_id: org/corpus\n",
        "5: publish: choose one: `to:` (a folder) or `repo_id:` (the Hub), not both",
    ),
    "shard_bytes 0": (
        SOURCE + "release:\n  shard_bytes: 0\n",
        "6: release.shard_bytes: must be > 0, not 0",
    ),
    "version as a number": (
        SOURCE + "release:\n  version: 1.0\n",
        "6: release.version: must be a string, not 1.0; quote it",
    ),
    "version not SemVer": (
        SOURCE + "release:\n  version: '1.0'\n",
        "6: release.version: version '1.0' is not MAJOR.MINOR.PATCH[-pre] like 1.0.0 or 2.1.0-rc.1",
    ),
    "alias bomb": (
        BOMB + SOURCE,
        "1: YAML anchors and aliases (&a) are not accepted; write the value out where it is used",
    ),
    "hf_dataset name: beside the source's name:": (
        "sources:\n  - name: common\n    adapter: hf_dataset\n    path: PleIAs/common_corpus\n"
        "    name: fr\n    columns: {text: text, id: identifier}\n",
        "5: sources[0].name: duplicate key (first on line 2); keep one"
        " (YAML would silently keep the last)",
    ),
    "mistyped adapter option": (
        SOURCE + "    pth: other.jsonl\n",
        "5: sources[0].pth: unknown key; did you mean sources[0].path?",
    ),
    "adapter option of the wrong type": (
        "sources:\n  - name: arxiv\n    adapter: oai_pmh\n    base_url: http://x/oai\n"
        "    full_text: 'yes'\n",
        '5: sources[0].full_text: must be true or false, not "yes"',
    ),
    "missing adapter option": (
        "sources:\n  - name: wiki\n    adapter: mediawiki\n    dump: wiki.xml.bz2\n",
        "2: sources[0].licence: required: the wiki's terms, e.g. [CC-BY-SA-3.0, GFDL-1.3]"
        " (collection evidence)",
    ),
    "empty adapter option": (
        "sources:\n  - name: demo\n    adapter: local\n    path: ''\n",
        "4: sources[0].path: must not be empty",
    ),
    "unknown adapter": (
        "sources:\n  - name: x\n    adapter: nosuch\n",
        "3: sources[0].adapter: unknown source 'nosuch';"
        " available: gutenberg, hf_dataset, local, mediawiki, oai_pmh",
    ),
    "unsafe source name": (
        "sources:\n  - name: ../../etc\n    adapter: local\n    path: t.jsonl\n",
        "2: sources[0].name: '../../etc' is not a safe source name: 1-64 letters, digits, '_',"
        " '.' or '-', starting with a letter or digit (it forms doc ids and folder names)",
    ),
    "two sources of one name": (
        SOURCE + "  - name: demo\n    adapter: local\n    path: more.jsonl\n",
        "5: sources[1].name: 'demo' is also the name of sources[0] (line 2);"
        " source names are unique",
    ),
    "empty sources": ("sources: []\n", "1: sources: must not be empty"),
    "unknown filter": (
        SOURCE + "curate:\n  filters:\n    gopher_qualty_v1: {}\n",
        "7: curate.filters.gopher_qualty_v1: unknown key;"
        " did you mean curate.filters.gopher_quality_v1?",
    ),
    "unknown threshold of one language": (
        SOURCE + "curate:\n  filters:\n    gopher_quality_v1:\n      languages:\n"
        "        de: {max_mean_word_lenght: 12}\n",
        "9: curate.filters.gopher_quality_v1.languages.de.max_mean_word_lenght: unknown key;"
        " did you mean curate.filters.gopher_quality_v1.languages.de.max_mean_word_length?",
    ),
    "negative threshold": (
        SOURCE + "curate:\n  filters:\n    c4_lines_v1: {min_kept_fraction: -1}\n",
        "7: curate.filters.c4_lines_v1.min_kept_fraction: must be >= 0.0, not -1",
    ),
    "near_dedup true": (
        SOURCE + "curate:\n  near_dedup: true\n",
        "6: curate.near_dedup: must be false or a mapping, not true",
    ),
    "near_dedup typo": (
        SOURCE + "curate:\n  near_dedup: {tresh: 0.5}\n",
        "6: curate.near_dedup.tresh: unknown key; did you mean curate.near_dedup.threshold?",
    ),
    "near_dedup inconsistent": (
        SOURCE + "curate:\n  near_dedup: {bands: 10}\n",
        "6: curate.near_dedup: bands x rows must equal num_perm (10 x 4 != 112):"
        " change one of them",
    ),
    "unknown fetch option": (
        SOURCE + "fetch: {proxy: x}\n",
        "5: fetch.proxy: unknown key; valid keys: cache_dir, timeout, min_interval,"
        " max_attempts, backoff, max_wait, respect_robots",
    ),
    "fetch out of range": (
        SOURCE + "fetch: {max_attempts: 0}\n",
        "5: fetch.max_attempts: must be >= 1, not 0",
    ),
    "unknown licence id": (
        SOURCE + "licences: {deny: [CC0]}\n",
        "5: licences.deny[0]: unknown licence id 'CC0'; did you mean CC0-1.0",  # then licences.py's
    ),
    "not YAML": ("[1, 2", "1: not valid YAML: while parsing a flow sequence;"),
    "several mistakes": (
        SOURCE + "relase: 1\nfoo: 2\n",
        "5: relase: unknown key; did you mean release? (and 1 more)",
    ),
}


@pytest.mark.parametrize("text,expected", MISTAKES.values(), ids=MISTAKES.keys())
def test_a_mistake_is_one_line_with_file_line_key_and_fix(tmp_path, text, expected):
    path = tmp_path / "corpus.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load(path)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{expected}")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("name: x\n", "sources: required: what to ingest: a list of {name, adapter, …options}"),
        ("- 1\n", "must be a mapping, not a list"),
    ],
)
def test_whole_file_mistakes_name_the_file(tmp_path, text, expected):
    (tmp_path / "corpus.yaml").write_text(text)
    with pytest.raises(ConfigError, match=r"corpus\.yaml: ") as raised:
        load(tmp_path / "corpus.yaml")
    assert str(raised.value).endswith(expected)


def test_the_error_names_the_file_as_given(tmp_path, monkeypatch):
    (tmp_path / "corpus.yaml").write_text(SOURCE + "relase: {}\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"^corpus\.yaml:5: relase: unknown key"):
        load("corpus.yaml")


def test_settings_are_typed_frozen_and_plain_where_workers_need_it(tmp_path):
    (tmp_path / "corpus.yaml").write_text(
        SOURCE + "curate:\n  languages: [en, fr]\n  near_dedup: false\n  filters:\n"
        "    ocr_noise_v1: {}\n    gopher_quality_v1: {min_words: 30}\n"
        "publish: {repo_id: org/corpus, private: true, message: monthly}\n"
        "release: {version: 1.2.0-rc.1, shard_bytes: 1000}\n"
    )
    config = load(tmp_path / "corpus.yaml")
    filters = {"ocr_noise_v1": {}, "gopher_quality_v1": {"min_words": 30}}
    assert config.settings.publish.private is True
    assert config.settings.release.shard_bytes == 1000
    with pytest.raises(ValidationError, match="frozen"):
        config.settings.publish.private = False
    assert config.curate == {"languages": ["en", "fr"], "filters": filters, "near_dedup": False}
    assert list(config.curate["filters"]) == ["ocr_noise_v1", "gopher_quality_v1"]  # run order
    assert pickle.loads(pickle.dumps(config.curate)) == config.curate
    assert config.publish == {"repo_id": "org/corpus", "private": True, "message": "monthly"}


def test_hf_dataset_configuration_is_config_name(tmp_path):
    (tmp_path / "corpus.yaml").write_text(
        "sources:\n  - name: common-fr\n    adapter: hf_dataset\n    path: PleIAs/common_corpus\n"
        "    config_name: fr\n    columns: {text: text, id: identifier}\n"
    )
    [source] = load(tmp_path / "corpus.yaml").sources
    assert (source.name, source.options["config_name"]) == ("common-fr", "fr")


def test_an_unquoted_oai_date_is_an_oai_datestamp(tmp_path):
    (tmp_path / "corpus.yaml").write_text(
        "sources:\n  - name: hal\n    adapter: oai_pmh\n    base_url: http://x/oai\n"
        "    from: 2024-01-31\n"
    )
    assert load(tmp_path / "corpus.yaml").sources[0].options["from"] == "2024-01-31"


def test_the_demo_curation_hash_is_unchanged(tmp_path):
    """The value the untyped loader gave: typing the file must not change what was released."""
    from tests.helpers import demo_project

    config = demo_project(tmp_path).config
    assert config.curation_hash() == (
        "eb73b0bc91c4fcb429be807d802d22b388c5f481c669007d1eda2bbd99faa818"
    )


def test_a_section_with_every_key_commented_out_is_empty(tmp_path):
    (tmp_path / "corpus.yaml").write_text(
        SOURCE + "description:\ncurate:\n  # languages: [en]\nrelease:\n"
    )
    config = load(tmp_path / "corpus.yaml")
    assert (config.curate, config.release, config.description) == ({}, {}, "")


def test_the_fetch_limits_are_set_in_corpus_yaml(tmp_path):
    path = write_corpus(tmp_path, [], fetch={"deadline": 30, "max_bytes": 2**20, "min_rate": 10})
    limits = Project.open(path, progress=False).fetcher.limits
    assert (limits.deadline, limits.max_bytes, limits.min_rate) == (30, 2**20, 10)
    bad = write_corpus(tmp_path / "bad", [], fetch={"max_bytes": 0})
    with pytest.raises(ConfigError, match=r"fetch\.max_bytes: must be > 0"):
        load(bad)
