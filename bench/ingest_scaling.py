"""Ingest of the enwiki sample with 1 and 2 workers (local engine) and on a local Ray of 2 CPUs,
read as one bz2 stream and re-packed as Wikimedia's multistream dump with its index.

    python bench/ingest_scaling.py
    python bench/ingest_scaling.py --copies 10 --repeat 3   # the pages 10 times, ids renumbered

Each run ingests into a fresh ledger and text store, in this process, through the same code as
`corpusbuilder ingest --workers N`; its wall time counts the engine's start and stop (a process
pool, ~1 s; a local Ray, 3-4 s and ~1.3 s, each timed apart) and the ledger's writes. "driver
CPU" is this process's CPU time in the run: the serial share (reading the dump, writing the
ledger; with one worker, the parsing too, and the /proc sampler, ~1 % of a core); "tree" adds
the workers' (sampled from /proc each second, bench/proctree.py: a worker's last second may be
missed). On a loaded machine wall times say little, so the table also gives the speed-up two
quiet cores could reach at most: the tree's CPU with 1 worker over max(driver CPU, tree CPU /
2). The runs must end in the same ledger rows (doc_id, seq, status, reason, text sha256): the
script says so, or exits 1.
`--copies K` writes a dump with the sample's pages K times (page ids offset per copy, so none
is a repeat) for a figure less dominated by the engines' start than the sample's 124 pages.
The multistream copy is written by `tests/multistream_dumps.py` (Wikimedia's recompressxml
layout, 100 pages a stream); both are read with ``checkpoint_every: 100``, so a multistream
part is one stream. `--repeat N` runs every configuration N times, interleaved (one of each,
then again), and reports the median, so that other work on the machine skews all alike.
"""

from __future__ import annotations

import argparse
import bz2
import hashlib
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.multistream_dumps

from engines import timed  # bench/, on the path as the script's folder
from proctree import Sampler, tree_usage
from report_engines import ingest_table

from corpusbuilder.engines import ray as ray_engine
from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.ingest.partitions import Parallel
from corpusbuilder.ingest.runner import ingest
from corpusbuilder.ledger import Ledger
from corpusbuilder.textstore import TextStore
from sources.mediawiki import MediaWikiSource
from tests.multistream_dumps import write_multistream

SAMPLE = Path(
    "/work/shared/data/mediawiki/enwiki-pages-articles1-shortened_gensim_part-dev.xml.bz2"
)
RUNS = tuple((dump, engine, workers) for dump in ("single", "multistream")
             for engine, workers in (("local", 1), ("local", 2), ("ray", 2)))  # fmt: skip
CHECKPOINT_EVERY = 100
RAY_SPENT: dict[str, float] = {}  # seconds of the local Rays' starts and stops, timed apart
timed(ray_engine, "_start", RAY_SPENT)
try:
    import ray
except ImportError:  # --no-ray
    pass
else:
    timed(ray, "shutdown", RAY_SPENT)
PAGE = re.compile(rb"<page>.*?</page>\s*", re.S)
PAGE_ID = re.compile(rb"(<page>.*?<id>)(\d+)(</id>)", re.S)


def copied_dump(sample: Path, copies: int, folder: Path) -> Path:
    """The sample with its pages `copies` times, each copy's page ids offset by 10^8 × copy."""
    xml = bz2.decompress(sample.read_bytes())
    pages = PAGE.findall(xml)
    head, tail = xml[: xml.index(pages[0])], xml[xml.rindex(pages[-1]) + len(pages[-1]) :]

    def renumbered(page: bytes, copy: int) -> bytes:
        return PAGE_ID.sub(lambda m: m[1] + b"%d" % (int(m[2]) + copy * 10**8) + m[3], page, 1)

    body = b"".join(renumbered(page, copy) for copy in range(copies) for page in pages)
    path = folder / f"enwiki-sample-x{copies}.xml.bz2"
    path.write_bytes(bz2.compress(head + body + tail))
    return path


def run(dump: Path, engine: str, workers: int, folder: Path) -> dict:
    load = _load()
    ledger = Ledger(f"sqlite:///{folder / 'ledger.db'}")
    config = {"licence": ["CC-BY-SA-3.0", "GFDL-1.3"], "checkpoint_every": CHECKPOINT_EVERY}
    adapter = MediaWikiSource({"dump": str(dump), **config})
    before: dict[int, float] = {}
    tree_usage(os.getpid(), before)  # the CPU each process of the tree has used until now
    started, cpu = time.perf_counter(), time.process_time()
    spent = dict(RAY_SPENT)
    with Sampler(os.getpid(), interval=1.0) as tree:  # rarely: its CPU counts as the driver's
        result = _ingest(ledger, folder, adapter, Parallel(workers, engine))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    tree_cpu = sum(used - before.get(pid, 0.0) for pid, used in tree.cpu_seen.items())
    rows = [(d.doc_id, d.seq, d.status, d.reason, d.text_sha256) for d in ledger.documents()]
    digest = hashlib.sha256(repr(rows).encode()).hexdigest()[:16]
    pages = result.counts["seen"]
    parsed = result.counts["new"] + result.counts["skipped:disambiguation"]
    return {"engine": engine, "workers": workers, "seconds": seconds, "pages": pages,
            "parsed": parsed, "ledger": digest, "load": load, "driver_cpu": cpu,
            "tree_cpu": tree_cpu, "ray_start_s": _since(spent, "_start"),
            "ray_stop_s": _since(spent, "shutdown")}  # fmt: skip


def _since(before: dict[str, float], name: str) -> float:
    """Seconds `RAY_SPENT[name]` grew since `before`."""
    return RAY_SPENT.get(name, 0.0) - before.get(name, 0.0)


def _ingest(ledger: Ledger, folder: Path, adapter: MediaWikiSource, parallel: Parallel):
    texts, fetch = TextStore(folder / "texts"), Fetcher(folder)
    return ingest(ledger, texts, "enwiki", adapter, fetch, progress=False, parallel=parallel)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", type=Path, default=SAMPLE)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-ray", action="store_true", help="local engine only")
    parser.add_argument("--out", type=Path, help="also save the runs' medians here, as JSON")
    args = parser.parse_args()
    configs = [r for r in RUNS if not (args.no_ray and r[1] == "ray")]
    with tempfile.TemporaryDirectory() as tmp:
        single = args.dump if args.copies == 1 else copied_dump(args.dump, args.copies, Path(tmp))
        dumps = {"single": single, "multistream": write_multistream(single, Path(tmp), "x")[0]}
        runs: dict[tuple, list[dict]] = {config: [] for config in configs}
        for round_ in range(args.repeat):
            for n, (kind, engine, workers) in enumerate(configs):
                folder = Path(tmp) / f"run-{round_}-{n}"
                folder.mkdir()
                result = run(dumps[kind], engine, workers, folder)
                runs[(kind, engine, workers)].append({**result, "dump": kind})
    results = [_median(runs[config]) for config in configs]
    report(results, args)
    if args.out:
        saved = {"dump": args.dump.name, "copies": args.copies, "repeat": args.repeat}
        args.out.write_text(json.dumps(saved | {"results": results}), encoding="utf-8")
    return 0 if len({r["ledger"] for r in results}) == 1 else 1


def _median(runs: list[dict]) -> dict:
    """The run of median wall time (of several, interleaved with the other configurations)."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    middle = ordered[len(ordered) // 2]
    times = " / ".join(f"{r['seconds']:.1f}" for r in runs)
    return {**middle, "seconds": statistics.median(r["seconds"] for r in runs), "times": times}


def report(results: list[dict], args: argparse.Namespace) -> None:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    print(f"HEAD {head.stdout.strip()} (+ working tree)")
    print(f"command: python {shlex.join(sys.argv)}")
    print(f"dump: {args.dump.name} x{args.copies}, median of {args.repeat} interleaved runs\n")
    print("\n".join(ingest_table(results)))


def _load() -> str:
    """The 1-minute load average: other work on the machine skews every wall time."""
    loadavg = Path("/proc/loadavg")
    return loadavg.read_text().split()[0] if loadavg.exists() else "?"


if __name__ == "__main__":
    sys.exit(main())
