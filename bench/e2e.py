"""corpusbuilder's whole build in this process, timed per stage, with the ledger's writes timed.

    python bench/e2e.py bench/out/corpus-20000 --config full --workers 2 --out e2e-full.json

Runs `Project.open(corpus.yaml).build()` on a fresh workdir. Stage and ledger timers are wrappers
set on the classes in this process only (the project's code is unchanged); a thread samples the
process tree's memory from /proc every 0.2 s and keeps the peak of each stage, and each rise of
the build process's high-water mark is charged to the timed call it happened in. Run by run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from collections import Counter
from collections.abc import Generator
from pathlib import Path

import yaml
from sqlalchemy import func, make_url, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from proctree import Sampler  # noqa: E402

from corpusbuilder import project as project_module  # noqa: E402
from corpusbuilder.curate.dedup_stage import Deduplication  # noqa: E402
from corpusbuilder.curate.pipeline import Curator  # noqa: E402
from corpusbuilder.curate.signatures import SignatureStore  # noqa: E402
from corpusbuilder.ledger.models import Decision, Document  # noqa: E402
from corpusbuilder.ledger.store import Ledger  # noqa: E402
from corpusbuilder.project import Project  # noqa: E402
from corpusbuilder.reasons import Status  # noqa: E402
from corpusbuilder.release import (  # noqa: E402
    card,
    croissant,
    manifest,
    provenance_files,
    shards,
    signatures,
)
from corpusbuilder.release import files as release_files  # noqa: E402
from corpusbuilder.textstore import TextStore  # noqa: E402

SAME_STEPS = {"gopher_quality_v1": {}, "gopher_repetition_v1": {}}
CONFIGS = {
    "full": {"languages": None},  # every default filter, PII, near-dedup
    "same_steps": {"languages": None, "filters": SAME_STEPS, "pii": False},  # datatrove's steps
}
STAGES = ("ingest", "curate", "release", "publish")
LEDGER_WRITES = (
    "write_ingest_batch",
    "update_documents",
    "update_evidence",
    "add_release",
    "add_release_rows",
    "discard_unfrozen",
    "record_release_files",
    "start_run",
    "finish_run",
    "register_source",
    "mark_published",
)
LEDGER_READS = (
    "awaiting_curation",
    "count_awaiting_curation",
    "next_seq",
    "evidence",
    "documents",
    "funnel",
)
LEDGER_READS += ("release", "latest_release", "release_members", "release_rows", "resume_point")
LEDGER_READS += ("source",)
STORES = {TextStore: ("put_many", "get_many"), SignatureStore: ("put", "get")}
# Timed and charged for high-water rises only, to find which part of a stage raised it.
PARTS = {
    Curator: ("_decide", "_licensed", "_collect"),
    Deduplication: ("_park", "_group", "_hold"),
    project_module: ("freeze",),
    release_files: ("_stage",),
    shards: ("write_shard",),
    signatures: ("write",),
    provenance_files: ("write",),
    manifest: ("digest_tree", "render"),
    card: ("render",),
    croissant: ("render",),
}


def memory_status() -> dict[str, int]:
    """This process's memory lines of /proc/self/status, in bytes."""
    lines = Path("/proc/self/status").read_text().splitlines()
    fields = (line.split() for line in lines if line.endswith(" kB"))
    return {name.rstrip(":"): int(value) * 1024 for name, value, _ in fields}


class Timers:
    """Seconds and calls per label, accumulated by wrappers around methods."""

    def __init__(self) -> None:
        self.seconds: Counter = Counter()
        self.calls: Counter = Counter()
        self.cpu: Counter = Counter()  # this process's CPU seconds, for the stage wrappers
        self.thread_cpu: Counter = Counter()  # the calling thread's CPU seconds, for every label
        self.high_water = memory_status()["VmHWM"]
        self.high_water_rises: dict[str, dict[str, int]] = {}

    def _add(self, label: str, start: float, thread_start: float) -> None:
        self.seconds[label] += time.perf_counter() - start
        self.thread_cpu[label] += time.thread_time() - thread_start
        self.calls[label] += 1
        self._note_high_water(label)

    def _note_high_water(self, label: str) -> None:
        """Charges a rise of the kernel's high-water mark to the innermost call that ended after
        it (0.2-s samples can miss a short peak, or one while a C call holds the GIL)."""
        status = memory_status()
        if status["VmHWM"] > self.high_water:
            rise = self.high_water_rises.setdefault(label, Counter())
            rise["bytes"] += status["VmHWM"] - self.high_water
            rise["times"] += 1
            for key in ("VmHWM", "RssAnon", "RssFile"):  # anonymous or file pages at the end
                rise[key] = status[key]
            self.high_water = status["VmHWM"]

    def wrap(self, owner: type, name: str, label: str, sampler: Sampler | None = None) -> None:
        """Time `owner.name`; generators are timed per item, not while their consumer works."""
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            start, cpu, before = time.perf_counter(), time.process_time(), sampler and sampler.label
            thread_start = time.thread_time()
            if sampler:
                sampler.label = label
            try:
                result = original(*args, **kwargs)
            finally:
                self._add(label, start, thread_start)
                if sampler:
                    sampler.label = before
                    self.cpu[label] += time.process_time() - cpu
            return _timed_items(result, label, self) if isinstance(result, Generator) else result

        setattr(owner, name, timed)


def _timed_items(items, label: str, timers: Timers):
    while True:
        start = time.perf_counter()
        try:
            item = next(items)
        except StopIteration:
            return
        finally:
            timers.seconds[label] += time.perf_counter() - start
        yield item


def write_config(folder: Path, name: str, ledger: str | None, run: str) -> Path:
    """corpus-<run>.yaml next to the corpus, curated as config `name`, with a fresh workdir
    e2e-<run>-work/ (and its ledger at `ledger`, an SQLAlchemy URL, when given)."""
    config = {
        "name": "bench",
        "workdir": f"e2e-{run}-work",
        **({"ledger": ledger} if ledger else {}),
        "sources": [{"name": "bench", "adapter": "local", "path": "corpus.jsonl"}],
        "curate": CONFIGS[name],
        "release": {"version": "1.0.0"},
    }
    path = folder / f"corpus-{run}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    shutil.rmtree(folder / f"e2e-{run}-work", ignore_errors=True)
    return path


def _counts(connection, column) -> dict[str, int]:
    rows = connection.execute(select(column, func.count()).group_by(column)).all()
    return {str(key): count for key, count in rows}


def outcomes(ledger: Ledger) -> dict:
    """What the ledger holds after the build: decisions, statuses, removals for scoring."""
    removed = (Status.DUPLICATE, Status.FILTERED)
    query = select(Document.source_key, Document.status, Document.duplicate_of)
    with ledger.engine.connect() as connection:
        decisions = connection.execute(select(func.count()).select_from(Decision)).scalar()
        status, languages = (
            _counts(connection, Document.status),
            _counts(connection, Document.language),
        )
        rows = connection.execute(query.where(Document.status.in_(removed))).all()
    prefix = len("bench/")
    return {
        "decisions": decisions,
        "status": status,
        "languages": languages,
        "removed": [[k, (d or "")[prefix:]] for k, s, d in rows if s == Status.DUPLICATE],
        "filtered": [k for k, s, _ in rows if s == Status.FILTERED],
    }


def disk(workdir: Path) -> dict[str, int]:
    """Bytes of each top-level entry of the workdir (ledger, texts, signatures, releases)."""
    sizes = {}
    for entry in workdir.iterdir():
        files = [entry] if entry.is_file() else [p for p in entry.rglob("*") if p.is_file()]
        sizes[entry.name] = sum(p.stat().st_size for p in files)
    return sizes


def instrument(timers: Timers, sampler: Sampler) -> None:
    for stage in STAGES:
        timers.wrap(Project, stage, f"stage:{stage}", sampler)
    timers.wrap(Curator, "_deduplicate", "curate:dedup", sampler)
    for name in LEDGER_WRITES:
        timers.wrap(Ledger, name, f"ledger_write:{name}")
    for name in LEDGER_READS:
        timers.wrap(Ledger, name, f"ledger_read:{name}")
    for owner, names in (STORES | PARTS).items():
        for name in names:
            timers.wrap(owner, name, f"{owner.__name__}.{name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="holds corpus.jsonl")
    parser.add_argument("--config", choices=sorted(CONFIGS), default="full")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--ledger", help="an SQLAlchemy URL (default: SQLite in the workdir)")
    parser.add_argument("--name", help="names the config file and workdir (default: --config)")
    args = parser.parse_args()
    path = write_config(args.folder, args.config, args.ledger, args.name or args.config)
    timers = Timers()
    with Sampler(os.getpid()) as sampler:
        instrument(timers, sampler)
        start = time.perf_counter()
        project = Project.open(path, progress=False)
        done = project.build(workers=args.workers)
        wall = time.perf_counter() - start
        sampler.label = "after"
    writes = sum(s for k, s in timers.seconds.items() if k.startswith("ledger_write:"))
    write_cpu = sum(s for k, s in timers.thread_cpu.items() if k.startswith("ledger_write:"))
    result = {
        "config": args.config,
        "ledger": make_url(args.ledger).get_backend_name() if args.ledger else "sqlite",
        "curate": CONFIGS[args.config],
        "workers": args.workers,
        "build_wall_s": wall,
        "released": done.release.documents,
        "corpus_bytes": (args.folder / "corpus.jsonl").stat().st_size,
        "timers": {k: [timers.calls[k], s] for k, s in sorted(timers.seconds.items())},
        "parent_cpu": dict(timers.cpu),
        "ledger_write_s": writes,
        "ledger_write_share": writes / wall,
        "ledger_write_cpu_s": write_cpu,  # the driver thread's CPU in them: wall minus waiting
        "peak_tree_rss": sampler.peak_rss,
        "peak_tree_pss": sampler.peak_pss,
        "peak_by_stage": sampler.by_label,
        # ru_maxrss carries run.py's high-water mark across vfork and exec; VmHWM (in
        # high_water_rises) is this process's own.
        "maxrss_self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "maxrss_children": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
        "high_water_rises": timers.high_water_rises,
        "disk": disk(project.config.workdir),
        **outcomes(project.ledger),
    }
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
