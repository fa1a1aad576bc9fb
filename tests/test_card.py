"""The dataset card of a release: metadata the Hub and `datasets` read as they are (configs, `all`,
dataset_info), every section written from the frozen release, thresholds frozen with it, and the
funnel figure (issue 10, item 4)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import datasets
import yaml
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard

from corpusbuilder import steps
from corpusbuilder.project import Project
from corpusbuilder.reasons import Status
from corpusbuilder.release import card, croissant, funnel, layout, shards
from tests.demo_copies import files, run

CONFIGS = {"de": 1, "en": 2, "es": 1, "fr": 2, "it": 1}


def folder_of(config: Path, version: str = "1.0.0") -> Path:
    return config.parent / "work" / "releases" / version


def section(text: str, title: str) -> str:
    """The body of the `## title` section of a card."""
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_card_metadata_reads_as_the_hub_and_datasets_read_it(built: Path):
    readme = folder_of(built) / "README.md"
    data = DatasetCard.load(readme).data  # huggingface_hub's own parser of the front matter
    assert data.multilinguality == ["multilingual"]
    assert data.source_datasets == ["original"]
    assert (data.task_categories, data.task_ids) == (["text-generation"], ["language-modeling"])
    configs = MetadataConfigs.from_dataset_card_data(data)  # what load_dataset resolves
    every = [{"split": "train", "path": "data/*/train-*.parquet"}]
    assert configs[layout.ALL_CONFIG]["data_files"] == every
    assert configs["provenance"]["data_files"][0]["path"] == "provenance/train-*.parquet"
    infos = DatasetInfosDict.from_dataset_card_data(data)
    assert {name: info.splits["train"].num_examples for name, info in infos.items()} == (
        CONFIGS | {"all": 7}
    )
    assert infos["all"].features == datasets.Features.from_arrow_schema(shards.SCHEMA)
    shard = folder_of(built) / "data/fr/train-00000-of-00001.parquet"
    assert infos["fr"].download_size == shard.stat().st_size


def test_the_all_config_loads_every_document_of_the_language_configs(built: Path, tmp_path):
    folder, cache = str(folder_of(built)), str(tmp_path / "cache")
    every = datasets.load_dataset(folder, layout.ALL_CONFIG, split="train", cache_dir=cache)
    ids = sorted(every["id"])
    per_language = [
        datasets.load_dataset(folder, c, split="train", cache_dir=cache)["id"] for c in CONFIGS
    ]
    assert len(ids) == 7 and ids == sorted(i for found in per_language for i in found)


def test_every_column_and_every_exclusion_reason_is_explained(built: Path):
    text = (folder_of(built) / "README.md").read_text()
    structure = section(text, "Dataset structure")
    for column in shards.SCHEMA.names:
        assert f"| `{column}` |" in structure, column
    funnel_section = section(text, "Funnel")
    assert "| skipped | `empty_text` | `local@1.0.0` | the source adapter (local@1.0.0)" in (
        funnel_section
    )
    assert (
        "| duplicate | `exact_duplicate` | `exact_sha256_v1` | the same text (sha256) is kept"
        in funnel_section
    )
    assert "| quarantined | `licence_unknown` | `licences.yaml@" in funnel_section
    usage = section(text, "How to use")
    assert 'load_dataset("ORG/NAME", "provenance", split="train", revision="v1.0.0")' in usage
    assert "streaming=True" in usage
    sources = section(text, "Sources")
    assert "Local texts: a JSONL file" in sources and "documents released: 7" in sources
    assert f"`{steps.PII}` replaced" in section(text, "Personal information")
    assert "@misc{corpusbuilder_demo_1_0_0," in section(text, "Citation")


def test_thresholds_are_those_frozen_with_the_release_not_todays(built: Path):
    folder = folder_of(built)
    before = files(folder)
    curation = section(before["README.md"].decode(), "Curation")
    assert '"min_words": 50' in curation and "`threshold`: 0.65" in curation
    settings = yaml.safe_load(built.read_text())
    settings["curate"] |= {"filters": {"gopher_quality_v1": {"min_words": 20}}}
    settings["curate"] |= {"near_dedup": {"threshold": 0.8}}
    built.write_text(yaml.safe_dump(settings))

    assert run(built, "release", "1.0.0").exit_code == 0
    assert files(folder) == before  # card and croissant.json written again from the frozen facts
    assert run(built, "curate", "--all").exit_code == 0
    result = run(built, "release", "1.1.0")
    assert result.exit_code == 0, result.output
    newer = (folder_of(built, "1.1.0") / "README.md").read_text()
    assert '"min_words": 20' in section(newer, "Curation")
    assert "`threshold`: 0.8" in section(newer, "Curation")
    assert "`gopher_repetition_v1`" not in section(newer, "Curation")  # not configured any more
    assert "min_words" in (folder_of(built, "1.1.0") / "croissant.json").read_text()


def test_a_collection_licence_is_shown_as_the_source_terms(tmp_path: Path, built: Path):
    settings = yaml.safe_load(built.read_text())
    settings["sources"][0]["licence"] = "CC0-1.0"
    built.write_text(yaml.safe_dump(settings))
    for args in (("ingest", "demo"), ("curate", "--all"), ("release", "1.1.0")):
        assert run(built, *args).exit_code == 0
    sources = section((folder_of(built, "1.1.0") / "README.md").read_text(), "Sources")
    assert "- terms of the collection: “CC0-1.0”\n" in sources  # its locator is no URL


def test_the_funnel_figure_shows_each_stage_and_is_referenced(built: Path):
    folder = folder_of(built)
    release = Project.open(built, progress=False).ledger.release("1.0.0")
    assert funnel.stages(release.counts["funnel"]) == {"demo": [11, 8, 8, 7, 7]}
    figure = (folder / layout.FUNNEL_FIGURE).read_text()
    root = ET.fromstring(figure)
    labels = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert labels == [
        "demo",
        "raw",
        "11",
        "licence",
        "8",
        "filters",
        "8",
        "dedup",
        "7",
        "kept",
        "7",
    ]
    assert f"![Items remaining after each stage, per source]({layout.FUNNEL_FIGURE})" in (
        (folder / "README.md").read_text()
    )


def test_funnel_stages_count_every_ending_at_its_stage():
    rows = [
        ("a", None, Status.SKIPPED, "empty_text", 2),
        ("a", None, Status.QUARANTINED, "licence_unknown", 3),
        ("a", "fr", Status.FILTERED, "too_few_words", 4),
        ("a", "fr", Status.HELD, "language_mismatch", 1),
        ("a", "fr", Status.DUPLICATE, "near_duplicate", 5),
        ("a", "fr", Status.TAKEN_DOWN, "takedown", 1),
        ("a", "fr", Status.KEPT, "kept", 10),
        ("b", "de", Status.KEPT, "kept", 1),
    ]
    assert funnel.stages(rows) == {"a": [26, 21, 16, 11, 10], "b": [1, 1, 1, 1, 1]}
    assert funnel.svg(rows) == funnel.svg(list(reversed(rows)))  # the order of rows is no input


def test_a_release_frozen_before_curation_facts_still_renders(built: Path):
    release = Project.open(built, progress=False).ledger.release("1.0.0")
    counts = {k: v for k, v in release.counts.items() if k != "curation"}
    older = release._replace(counts=counts)
    text = card.render(older, folder_of(built))
    assert "frozen before its curation steps were recorded" in section(text, "Curation")
    assert "## Sources" not in text
    assert "PII was redacted was not recorded" in section(text, "Personal information")
    assert "rai:dataPreprocessingProtocol" not in croissant.render(older)


def test_a_source_reingesting_a_hub_dataset_is_its_source_dataset(built: Path):
    release = Project.open(built, progress=False).ledger.release("1.0.0")
    counts = release.counts | {"curation": dict(release.counts["curation"])}
    source = counts["curation"]["sources"]["demo"] | {"hub_dataset": "PleIAs/common_corpus"}
    counts["curation"]["sources"] = {"demo": source}
    derived = release._replace(counts=counts)
    folder = folder_of(built)
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert card.card_data(derived, folder, files).source_datasets == [
        "extended|PleIAs/common_corpus"
    ]
    assert card.card_data(release, folder, files).source_datasets == ["original"]


def test_the_configured_hub_repo_is_where_card_and_croissant_send_users(built: Path):
    settings = yaml.safe_load(built.read_text())
    settings["publish"] = {"repo_id": "open-org/demo-corpus"}
    built.write_text(yaml.safe_dump(settings))
    assert run(built, "release", "1.1.0").exit_code == 0
    folder = folder_of(built, "1.1.0")
    text = (folder / "README.md").read_text()
    assert 'load_dataset("open-org/demo-corpus", "all", split="train", streaming=True,' in text
    assert "ORG/NAME" not in text
    described = json.loads((folder / layout.CROISSANT).read_text())
    assert described["url"] == "https://huggingface.co/datasets/open-org/demo-corpus"
    assert "url" not in json.loads((folder_of(built) / layout.CROISSANT).read_text())
