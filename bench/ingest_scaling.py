"""Ingest of the enwiki sample with 1 and 2 workers (local engine) and on a local Ray of 2 CPUs.

    python bench/ingest_scaling.py
    python bench/ingest_scaling.py --copies 10   # the sample's pages 10 times, ids renumbered

Each run ingests into a fresh ledger and text store, in this process, through the same code as
`corpusbuilder ingest --workers N`; its wall time counts the engine's start (a process pool,
~1 s; a local Ray, ~6 s on two quiet cores) and the ledger's writes. The runs must end in the
same ledger rows (doc_id, seq, status, reason, text sha256): the script says so, or exits 1.
`--copies K` writes a dump with the sample's pages K times (page ids offset per copy, so none
is a repeat) for a figure less dominated by the engines' start than the sample's 124 pages.
"""

from __future__ import annotations

import argparse
import bz2
import hashlib
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.ingest.partitions import Parallel
from corpusbuilder.ingest.runner import ingest
from corpusbuilder.ledger import Ledger
from corpusbuilder.textstore import TextStore
from sources.mediawiki import MediaWikiSource

SAMPLE = Path(
    "/work/shared/data/mediawiki/enwiki-pages-articles1-shortened_gensim_part-dev.xml.bz2"
)
RUNS = (("local", 1), ("local", 2), ("ray", 2))
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
    adapter = MediaWikiSource({"dump": str(dump), "licence": ["CC-BY-SA-3.0", "GFDL-1.3"]})
    started = time.perf_counter()
    result = ingest(
        ledger,
        TextStore(folder / "texts"),
        "enwiki",
        adapter,
        Fetcher(folder),
        progress=False,
        parallel=Parallel(workers, engine),
    )
    seconds = time.perf_counter() - started
    rows = [(d.doc_id, d.seq, d.status, d.reason, d.text_sha256) for d in ledger.documents()]
    digest = hashlib.sha256(repr(rows).encode()).hexdigest()[:16]
    pages = result.counts["seen"]
    parsed = result.counts["new"] + result.counts["skipped:disambiguation"]
    return {"engine": engine, "workers": workers, "seconds": seconds, "pages": pages,
            "parsed": parsed, "ledger": digest, "load": load}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", type=Path, default=SAMPLE)
    parser.add_argument("--copies", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dump = args.dump if args.copies == 1 else copied_dump(args.dump, args.copies, Path(tmp))
        results = []
        for n, (engine, workers) in enumerate(RUNS):
            folder = Path(tmp) / f"run-{n}"
            folder.mkdir()
            results.append(run(dump, engine, workers, folder))
    report(results, args)
    return 0 if len({r["ledger"] for r in results}) == 1 else 1


def report(results: list[dict], args: argparse.Namespace) -> None:
    base = results[0]["seconds"]
    local2 = results[1]["seconds"]
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    print(f"HEAD {head.stdout.strip()} (+ working tree)")
    print(f"command: python {shlex.join(sys.argv)}")
    print(f"dump: {args.dump.name} x{args.copies}\n")
    print("| engine | workers | wall s | pages | parsed | pages/s | speed-up vs 1 | ledger |"
          " load before (1 min) |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|")
    for r in results:
        print(
            f"| {r['engine']} | {r['workers']} | {r['seconds']:.2f} | {r['pages']} |"
            f" {r['parsed']} | {r['pages'] / r['seconds']:.1f} | {base / r['seconds']:.2f}× |"
            f" {r['ledger']} | {r['load']} |"
        )
    ray = results[2]["seconds"]
    print(f"\nray vs local, 2 workers: {ray / local2:.2f}× the wall time")
    same = len({r["ledger"] for r in results}) == 1
    print("same ledger rows in every run:", "yes" if same else "NO")


def _load() -> str:
    """The 1-minute load average: other work on the machine skews every wall time."""
    loadavg = Path("/proc/loadavg")
    return loadavg.read_text().split()[0] if loadavg.exists() else "?"


if __name__ == "__main__":
    sys.exit(main())
