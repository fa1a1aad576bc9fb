"""The benchmarks time the project's methods by name; a renamed or removed method must fail here,
not an hour into a benchmark chain."""

import importlib.util
import json
import subprocess
import sys
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
    parts = e2e.STORES | e2e.PARTS
    wanted += [(owner, name) for owner, names in parts.items() for name in names]
    wanted.append((e2e.Curator, "_deduplicate"))
    missing = [f"{owner.__name__}.{name}" for owner, name in wanted if not hasattr(owner, name)]
    assert missing == []


HIGH_WATER_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
import e2e

class Work:
    def small(self):
        return bytearray(2**20)

    def large(self):
        held = bytearray(256 * 2**20)
        held[::4096] = b"x" * len(range(0, len(held), 4096))  # touched, so the pages count
        return len(held)

    def both(self):
        return self.small(), self.large()

timers = e2e.Timers()
for name in ("small", "large", "both"):
    timers.wrap(Work, name, name)
Work().both()
print(json.dumps({"rises": timers.high_water_rises, "high_water": timers.high_water}))
"""


def test_a_rise_of_the_high_water_mark_is_charged_to_the_call_that_made_it():
    """e2e.py finds which part of a stage raised the kernel's high-water mark (VmHWM), which a
    0.2-s sampler can miss; nested calls charge the innermost. A fresh interpreter, so that no
    earlier test's peak hides the rise."""
    run = subprocess.run(
        [sys.executable, "-c", HIGH_WATER_SCRIPT, str(BENCH)],
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(run.stdout)
    rises = found["rises"]
    assert rises["large"]["bytes"] >= 200 * 2**20, rises
    assert rises.get("both", {}).get("bytes", 0) < 16 * 2**20, rises
    assert rises["large"]["VmHWM"] == found["high_water"], rises


def test_every_ledger_write_the_engines_bench_times_exists():
    engines = bench_module("engines")
    assert [name for name in engines.WRITES if not hasattr(Ledger, name)] == []


def test_the_ray_start_and_stop_the_engine_benches_time_exist():
    """bench/engines.py and bench/ingest_scaling.py wrap these to time a local Ray's fixed costs."""
    import ray

    from corpusbuilder.engines import ray as ray_engine

    wanted = [(ray_engine, "_start"), (ray, "shutdown")]
    assert [f"{owner.__name__}.{name}" for owner, name in wanted if not hasattr(owner, name)] == []
