"""croissant.json of a release: Croissant 1.1 that `mlcroissant` loads without an issue, whose
record sets yield every released row, with the RAI and PROV facts frozen with the release
(issue 10, item 3)."""

from __future__ import annotations

import json
from pathlib import Path

import mlcroissant as mlc
import pyarrow.parquet as pq
import pytest

from corpusbuilder import steps as corpus_steps
from corpusbuilder.project import Project
from corpusbuilder.release import layout


@pytest.fixture(scope="module")
def release_folder(template: Path) -> Path:
    return template.parent / "work" / "releases" / "1.0.0"


@pytest.fixture(scope="module")
def dataset(release_folder: Path) -> mlc.Dataset:
    return mlc.Dataset(jsonld=str(release_folder / layout.CROISSANT))


def test_mlcroissant_loads_it_without_errors_or_warnings(dataset: mlc.Dataset):
    issues = dataset.metadata.ctx.issues
    assert (issues.errors, issues.warnings) == (set(), set())
    assert dataset.metadata.conforms_to == ["http://mlcommons.org/croissant/1.1"]


def test_every_record_of_every_record_set_is_a_released_row(
    dataset: mlc.Dataset, release_folder: Path, template: Path
):
    release = Project.open(template, progress=False).ledger.release("1.0.0")
    names = [r.name for r in dataset.metadata.record_sets]
    assert names == [*sorted(release.counts["configs"]), layout.ALL_CONFIG]
    released = {}
    for shard in sorted(release_folder.glob("data/*/*.parquet")):
        table = pq.read_table(shard, columns=["id", "licence_url"]).to_pylist()
        released |= {row["id"]: row["licence_url"] for row in table}
    for name in names:
        records = list(dataset.records(name))
        expected = release.counts["documents"] if name == "all" else release.counts["configs"][name]
        assert len(records) == expected, name
        for record in records:
            doc_id = record[f"{name}/id"].decode()
            assert record[f"{name}/licence_url"].decode() == released[doc_id]
    every = {r["all/id"].decode() for r in dataset.records(layout.ALL_CONFIG)}
    assert every == set(released) and len(every) == release.counts["documents"]


def test_the_record_licence_is_a_field_and_the_dataset_licences_are_listed(dataset: mlc.Dataset):
    fields = {f.name: f for f in dataset.metadata.record_sets[0].fields}
    assert fields["licence_url"].equivalentProperty == ["sc:license"]
    assert dataset.metadata.license == [
        "https://creativecommons.org/licenses/by/4.0/",
        "https://creativecommons.org/publicdomain/zero/1.0/",
        "https://spdx.org/licenses/etalab-2.0.html",
    ]


def test_rai_fields_carry_the_frozen_curation_and_prov_its_making(
    dataset: mlc.Dataset, release_folder: Path
):
    metadata = dataset.metadata
    protocol = metadata.data_preprocessing_protocol
    steps = [line.split(" ", 1)[0] for line in protocol[:-1]]
    assert steps[:2] == ["licences.yaml", corpus_steps.LANGUAGE]
    assert {"gopher_quality_v1", corpus_steps.PII, corpus_steps.MINHASH} <= set(steps)
    assert steps[-1] == "exact_sha256_v1"
    gopher = next(line for line in protocol if line.startswith("gopher_quality_v1"))
    assert '"min_words": 50' in gopher
    assert protocol[-1].startswith("Keep policy: in each group of exact or near duplicates")
    assert "<EMAIL>" in metadata.personal_sensitive_information[0]
    assert "local" in metadata.data_collection
    written = json.loads((release_folder / layout.CROISSANT).read_text())
    assert [s["prov:label"] for s in written["prov:wasDerivedFrom"]] == ["demo"]
    activities = [a["prov:label"] for a in written["prov:wasGeneratedBy"]]
    assert activities[0] == "licence: licences.yaml" and f"pii: {corpus_steps.PII}" in activities
    assert set(metadata.extra_properties) == {"prov:wasDerivedFrom", "prov:wasGeneratedBy"}
