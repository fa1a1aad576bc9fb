"""The benchmarks time the project's methods by name; a renamed or removed method must fail here,
not an hour into a benchmark chain."""

import importlib.util
from pathlib import Path

from corpusbuilder.ledger.store import Ledger
from corpusbuilder.project import Project

BENCH = Path(__file__).resolve().parent.parent / "bench"


def bench_module(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_method_the_end_to_end_bench_times_exists():
    e2e = bench_module("e2e")
    wanted = [(Project, name) for name in e2e.STAGES]
    wanted += [(Ledger, name) for name in e2e.LEDGER_WRITES + e2e.LEDGER_READS]
    wanted += [(owner, name) for owner, names in e2e.STORES.items() for name in names]
    wanted.append((e2e.Curator, "_deduplicate"))
    missing = [f"{owner.__name__}.{name}" for owner, name in wanted if not hasattr(owner, name)]
    assert missing == []


def test_every_ledger_write_the_engines_bench_times_exists():
    engines = bench_module("engines")
    assert [name for name in engines.WRITES if not hasattr(Ledger, name)] == []


def test_the_ray_start_and_stop_the_engine_benches_time_exist():
    """bench/engines.py and bench/ingest_scaling.py wrap these to time a local Ray's fixed costs."""
    import ray

    from corpusbuilder.engines import ray as ray_engine

    wanted = [(ray_engine, "_start"), (ray, "shutdown")]
    assert [f"{owner.__name__}.{name}" for owner, name in wanted if not hasattr(owner, name)] == []
