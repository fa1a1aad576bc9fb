"""The engines: the same corpus curated on the local process pool and on a local Ray (2 CPUs,
loopback only) ends in the same decisions, the same manifest hash and the same release bytes; a
missing Ray, or a misspelt engine, is one line that says what to do."""

from __future__ import annotations

import logging
import random
import shutil
import time
from pathlib import Path

import pytest
import yaml

from corpusbuilder.config import ConfigError
from corpusbuilder.curate import pipeline
from corpusbuilder.engines import ray as ray_engine
from corpusbuilder.engines.ordered import in_order
from corpusbuilder.engines.ray import RayMissing
from corpusbuilder.ledger import Ledger
from corpusbuilder.project import Project
from sources import local_parts
from sources.local import LocalSource
from sources.mediawiki import MediaWikiSource
from tests.conftest import shared_path
from tests.demo_copies import files
from tests.helpers import demo_project, write_corpus
from tests.multistream_dumps import write_multistream
from tests.processes import VOCABULARY, query, records, states
from tests.test_ingest_partitions import ENWIKI, Engines, _ingest, _parts, _state

GENERATED = 2500  # documents: two ledger batches of 2,000 and 500, in chunks of 250
DECISIONS = "SELECT doc_id, stage, component, outcome, reason, detail FROM decision ORDER BY id"


@pytest.fixture(scope="module")
def ray():
    """One local Ray for the module, as a user's notebook would start it; the engine uses it."""
    ray = pytest.importorskip("ray", reason="Ray is the optional extra corpusbuilder[ray]")
    started = time.perf_counter()
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        logging_level=logging.WARNING,
    )
    print(f"Ray started in {time.perf_counter() - started:.1f} s")
    yield ray
    ray.shutdown()


def generated_records(count: int) -> list[dict]:
    """`records` (exact duplicates, rejected licences) with every 50th document a near copy of
    an earlier one: three words of it changed."""
    rows, rng = records(count), random.Random(11)
    for i in range(30, count, 50):
        words = rows[rng.randrange(i)]["text"].split(" ")
        for _ in range(3):
            words[rng.randrange(len(words))] = rng.choice(VOCABULARY)
        rows[i]["text"] = " ".join(words)
    return rows


def test_batches_come_back_in_order_with_a_bounded_number_in_flight():
    in_flight, most = set(), []

    def submit(batch):
        in_flight.add(batch)
        most.append(len(in_flight))
        return batch

    def result(batch):
        in_flight.remove(batch)
        return batch * 10

    assert list(in_order(submit, result, iter(range(50)), window=4)) == [i * 10 for i in range(50)]
    assert max(most) == 4 and not in_flight


def _on(ingested: Path, folder: Path, engine: dict | None) -> Project:
    """A copy of the ingested corpus, curated on `engine` (None: the default) and released."""
    shutil.copytree(ingested.parent, folder)
    config = folder / ingested.name
    if engine is not None:
        written = yaml.safe_load(config.read_text(encoding="utf-8"))
        config.write_text(yaml.safe_dump(written | {"engine": engine}), encoding="utf-8")
    project = Project.open(config, progress=False)
    started = time.perf_counter()
    project.curate(workers=2)
    print(f"curate on {engine or 'local'}: {time.perf_counter() - started:.1f} s")
    project.release("1.0.0")
    return project


def _assert_same(local: Project, on_ray: Project) -> None:
    config_a, config_b = local.config.path, on_ray.config.path
    assert states(config_a) == states(config_b)
    assert query(config_a, DECISIONS) == query(config_b, DECISIONS)
    release_a, release_b = local.release("1.0.0"), on_ray.release("1.0.0")
    assert release_a.manifest_hash == release_b.manifest_hash
    shards = files(release_a.directory)
    assert any(name.startswith("data/") for name in shards)
    assert shards == files(release_b.directory)


def test_the_demo_curates_the_same_on_ray(ray, tmp_path, monkeypatch):
    # Ledger batches of 3 in chunks of 2: batches answered by several tasks, and the last batch
    # (a quarantined document) with nothing for the steps, written in its turn all the same.
    monkeypatch.setattr(pipeline, "BATCH", 3)
    monkeypatch.setattr(pipeline, "CHUNK", 2)
    demo = demo_project(tmp_path / "ingested")
    demo.ingest("demo")
    local = _on(demo.config.path, tmp_path / "local", None)
    on_ray = _on(demo.config.path, tmp_path / "ray", {"name": "ray"})
    _assert_same(local, on_ray)
    languages = {row[5] for row in states(on_ray.config.path)}
    assert {"en", "fr", "de"} <= languages


def test_a_generated_corpus_with_duplicates_curates_the_same_on_ray(ray, tmp_path):
    config = write_corpus(tmp_path / "ingested", generated_records(GENERATED))
    Project.open(config, progress=False).ingest("t")
    local = _on(config, tmp_path / "local", None)
    on_ray = _on(config, tmp_path / "ray", {"name": "ray"})
    _assert_same(local, on_ray)
    reasons = {row[2] for row in states(local.config.path)}
    assert {"exact_duplicate", "near_duplicate", "licence_rejected", "kept"} <= reasons


def test_ray_missing_is_one_line_naming_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(__import__("sys").modules, "ray", None)  # `import ray` fails
    demo = demo_project(tmp_path)
    demo.ingest("demo")
    config = demo.config.path
    written = yaml.safe_load(config.read_text(encoding="utf-8"))
    config.write_text(yaml.safe_dump(written | {"engine": {"name": "ray"}}), encoding="utf-8")
    with pytest.raises(RayMissing) as raised:
        Project.open(config, progress=False).curate()
    assert str(raised.value) == (
        "engine: ray needs Ray, an optional dependency: pip install 'corpusbuilder[ray]'"
    )


def test_an_unknown_engine_is_refused_with_the_choices(tmp_path):
    config = write_corpus(tmp_path, [], engine={"name": "spark"})
    with pytest.raises(ConfigError, match=r"engine\.name: .*'local'.*'ray'"):
        Project.open(config)


@pytest.mark.parametrize("dump", ["one stream", "multistream"])
def test_a_dump_ingested_on_ray_writes_the_ledger_of_one_worker(ray, tmp_path, dump):
    """One stream: the driver reads the pages and Ray's workers parse them, 16 a task;
    multistream (10 pages a stream, a part a checkpoint): each worker reads its own part."""
    path = shared_path("mediawiki", ENWIKI)
    if dump == "multistream":
        path = write_multistream(path, tmp_path, "enwiki-sample", pages_per_stream=10)[0]
    options = {"dump": str(path), "licence": ["CC-BY-SA-3.0", "GFDL-1.3"], "checkpoint_every": 10}
    alone, on_ray = Ledger("sqlite://"), Ledger("sqlite://")
    Engines.opened.clear()
    _ingest(alone, tmp_path, MediaWikiSource(options), Engines(1), texts="alone")
    _ingest(on_ray, tmp_path, MediaWikiSource(options), Engines(2, "ray"), texts="ray")
    assert Engines.opened == [("local", 1), ("ray", 2)]
    assert len(_state(alone)) == 124
    assert _state(on_ray) == _state(alone)


def test_local_partitions_read_in_parts_on_ray_write_the_ledger_of_one_worker(
    ray, tmp_path, monkeypatch
):
    """Three JSONL partitions in parts of 4 lines: each Ray task reads its own lines."""
    monkeypatch.setattr(local_parts, "PART_RECORDS", 4)
    options = _parts(tmp_path)
    alone, on_ray = Ledger("sqlite://"), Ledger("sqlite://")
    Engines.opened.clear()
    _ingest(alone, tmp_path, LocalSource(options), Engines(1), texts="alone")
    _ingest(on_ray, tmp_path, LocalSource(options), Engines(2, "ray"), texts="ray")
    assert Engines.opened == [("local", 1), ("ray", 2)]
    assert len(_state(alone)) == 3 * 12 - 4  # "shared" and "x" are in every partition
    assert _state(on_ray) == _state(alone)


class _FakeRay:
    """Records how the engine starts Ray (no cluster in this test)."""

    def __init__(self):
        self.calls = []

    def init(self, **options):
        self.calls.append(options)


@pytest.mark.parametrize(
    ("configured", "environment", "expected"),
    [
        ("ray://head:10001", "10.0.0.9:6379", {"address": "ray://head:10001"}),
        (None, "10.0.0.9:6379", {"address": "10.0.0.9:6379"}),
        (None, None, {"address": "local", "num_cpus": 3, "_node_ip_address": "127.0.0.1"}),
    ],
)
def test_the_cluster_is_the_configured_address_then_ray_address_then_a_local_ray(
    monkeypatch, configured, environment, expected
):
    if environment:
        monkeypatch.setenv("RAY_ADDRESS", environment)
    else:
        monkeypatch.delenv("RAY_ADDRESS", raising=False)
    fake = _FakeRay()
    ray_engine._start(fake, 3, ray_engine._address(configured))
    (options,) = fake.calls
    assert {key: options[key] for key in expected} == expected
    assert ("num_cpus" in options) == (expected["address"] == "local")
