"""Curation on the local engine and on Ray, same corpus, same CPUs, with the ledger's writes timed.

    python bench/make_corpus.py --docs 20000 --out bench/out/corpus-20000
    python bench/engines.py bench/out/corpus-20000 --workers 2 --out engines.json

Ingests corpus.jsonl once, then curates a copy of that ledger and text store on each engine
(`engine: {name: ray}` starts a local Ray of `--workers` CPUs, its start and stop timed apart)
and checks that both end in the same document states. Ledger time is the wall time of the
runner's bulk writes (`update_documents`, `update_evidence`), wrapped in this process only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import time
from pathlib import Path

import ray
import yaml

from corpusbuilder.engines import ray as ray_engine
from corpusbuilder.ledger.store import Ledger
from corpusbuilder.project import Project

WRITES = ("update_documents", "update_evidence")
STATES = "SELECT doc_id, status, reason, duplicate_of, language, text_sha256 FROM document"


def timed(owner: type, name: str, spent: dict) -> None:
    """Wrap `owner.name` so that its wall time adds up in `spent[name]`."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

    setattr(owner, name, wrapper)


def ingested(corpus: Path, folder: Path) -> Path:
    """The corpus ingested once in `folder` (kept between runs: delete it to ingest again)."""
    if (folder / "work" / "ledger.db").exists():
        return folder / "corpus.yaml"
    folder.mkdir(parents=True)
    config = {
        "name": "bench-engines",
        "sources": [{"name": "bench", "adapter": "local", "path": str(corpus / "corpus.jsonl")}],
        "release": {"version": "1.0.0"},
    }
    path = folder / "corpus.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    Project.open(path, progress=False).ingest("bench")
    return path


def curate(base: Path, folder: Path, engine: str, workers: int, spent: dict) -> dict:
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(base.parent, folder)
    path = folder / base.name
    written = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump(written | {"engine": {"name": engine}}), encoding="utf-8")
    spent.clear()
    started = time.perf_counter()
    result = Project.open(path, progress=False).curate(workers)
    wall = time.perf_counter() - started
    ledger = sum(spent.get(name, 0.0) for name in WRITES)
    with sqlite3.connect(folder / "work" / "ledger.db") as connection:
        states = sorted(connection.execute(STATES).fetchall())
    figures = {"curate_s": round(wall, 2), "ledger_s": round(ledger, 2)}
    if "_start" in spent:  # a local Ray's fixed costs, to tell them from its throughput
        figures |= {"ray_start_s": round(spent["_start"], 2)}
        figures |= {"ray_stop_s": round(spent.get("shutdown", 0.0), 2)}
    figures["ledger_share"] = round(ledger / wall, 4)
    figures["counts"] = dict(result.counts)
    print(engine, json.dumps(figures), flush=True)
    return figures | {"states": states}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="a folder of bench/make_corpus.py")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path("bench/out/engines"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    spent: dict = {}
    for name in WRITES:
        timed(Ledger, name, spent)
    timed(ray_engine, "_start", spent)
    timed(ray, "shutdown", spent)
    base = ingested(args.corpus.resolve(), args.work / "ingested")
    runs = {e: curate(base, args.work / e, e, args.workers, spent) for e in ("local", "ray")}
    same = runs["local"].pop("states") == runs["ray"].pop("states")
    report = {"workers": args.workers, "same_states": same, **runs}
    report["ray_over_local"] = round(runs["ray"]["curate_s"] / runs["local"]["curate_s"], 3)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
