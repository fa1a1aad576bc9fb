"""Peak memory and time of the out-of-core near-dedup, from 20k to 1M documents.

Synthetic signatures (not texts: signing is per-document work that does not grow with the corpus),
a tenth of them near copies of another document (10 of 112 values changed), generated a chunk at a
time. Each size runs in its own process, in two stages as curation runs them:

- store: the signatures put in 2,000-row segments (as curation batches write them), then folded
  into the sorted shards (`SignatureStore.compact`);
- lsh: the shards read one at a time into `NearDedup` in random rank order, then its run.

With `--full`, the whole of curation's deduplication instead (`dedup_stage.Deduplication`): a
SQLite ledger of kept documents (5 % repeating another's text, random licences and ingest order)
and the signature store are set up first, then the three passes run and their verdicts are
counted; the peak RSS after the set-up is reported apart.

Usage: python bench/dedup_memory.py [--sizes 20000 200000 1000000] [--dir /tmp/x] [--full]
Prints, per size: seconds and peak RSS (ru_maxrss of the child process) and the removed count.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpusbuilder.curate.dedup import DedupConfig  # noqa: E402
from corpusbuilder.curate.dedup_lsh import NearDedup, partitions_for  # noqa: E402
from corpusbuilder.curate.signatures import SignatureStore  # noqa: E402

CONFIG = DedupConfig()
CHUNK = 2000  # documents a segment, as a curation batch writes them


def fake_sha(number: int) -> str:
    """A sha256-like key that ends with the document's number (so no dict maps them back)."""
    return hashlib.sha256(f"{number}".encode()).hexdigest()[:48] + f"{number:016x}"


def chunks(size: int, seed: int = 0):
    """(sha256s, signatures) a chunk at a time; 10 % of each chunk copies an earlier row of it."""
    rng = np.random.default_rng(seed)
    for start in range(0, size, CHUNK):
        n = min(CHUNK, size - start)
        sigs = rng.integers(0, 2**32, size=(n, CONFIG.num_perm), dtype=np.uint32)
        copies = rng.choice(np.arange(1, n), n // 10, replace=False) if n > 1 else []
        for i in copies:
            sigs[i] = sigs[rng.integers(0, i)]
            sigs[i, rng.choice(CONFIG.num_perm, 10, replace=False)] = rng.integers(0, 2**32, 10)
        shas = [fake_sha(start + i) for i in range(n)]
        yield shas, sigs


def one_size(size: int, folder: Path) -> dict:
    store = SignatureStore(folder / "signatures", "bench")
    began = time.perf_counter()
    for shas, sigs in chunks(size):
        store.put(shas, sigs)
    store.compact()
    stored = time.perf_counter() - began
    rss_store = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    rank = np.random.default_rng(1).permutation(size)  # position of document i (its sha's number)
    lsh = NearDedup(folder / "lsh", CONFIG, partitions_for(size, CONFIG))
    for name in store.storage.names("shard-", ".parquet"):
        table = store.storage.read_parquet(name)
        numbers = [int(sha[48:], 16) for sha in table["sha256"].to_pylist()]
        sigs = np.frombuffer(b"".join(table["sig"].to_pylist()), np.uint32)
        lsh.add(rank[numbers], sigs.reshape(len(table), CONFIG.num_perm))
    removed = sum(len(chunk) for chunk in lsh.run())
    return {
        "size": size,
        "store_s": round(stored, 1),
        "lsh_s": round(time.perf_counter() - began, 1),
        "peak_rss_after_store_mib": round(rss_store / 1024),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "removed": removed,
    }


def full_dedup(size: int, folder: Path) -> dict:
    from datetime import UTC, datetime

    from corpusbuilder.curate.dedup_stage import Deduplication
    from corpusbuilder.ledger import Ledger
    from corpusbuilder.ledger.models import Document
    from corpusbuilder.textstore import TextStore

    began = time.perf_counter()
    ledger = Ledger(f"sqlite:///{folder / 'ledger.db'}")
    store = SignatureStore(folder / "signatures", "bench")
    rng = np.random.default_rng(2)
    seq = rng.permutation(size)
    now = datetime.now(UTC)
    for shas, sigs in chunks(size):
        store.put(shas, sigs)
        first = int(shas[0][48:], 16)
        repeat = rng.random(len(shas)) < 0.05  # the text of an earlier document of the chunk
        rows = [
            {"doc_id": f"b/{first + i:08d}", "source": "b", "source_key": str(first + i)}
            | {"seq": int(seq[first + i]), "licence": ["PD", "BY", "SA"][(first + i) % 3]}
            | {"text_sha256": shas[rng.integers(0, i)] if repeat[i] and i else shas[i]}
            | {"status": "kept", "ingested_at": now}
            for i in range(len(shas))
        ]
        with ledger.engine.begin() as connection:
            connection.execute(Document.__table__.insert(), rows)
    setup = time.perf_counter() - began
    rss_setup = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    openness = {"PD": 0, "BY": 1, "SA": 2}.get
    run = Deduplication(ledger, openness, CONFIG, store, TextStore(folder / "texts"), None,
                        folder / "scratch")  # fmt: skip
    verdicts = sum(1 for _ in run.verdicts(run_id=1))
    return {
        "size": size,
        "setup_s": round(setup, 1),
        "dedup_s": round(time.perf_counter() - began, 1),
        "peak_rss_after_setup_mib": round(rss_setup / 1024),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "verdicts": verdicts,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000, 1_000_000])
    parser.add_argument("--dir", type=Path, default=None, help="scratch folder (default: tmp)")
    parser.add_argument("--full", action="store_true", help="curation's whole deduplication")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure = full_dedup if args.full else one_size
        print(json.dumps(measure(args.child, args.dir)))
        return
    for size in args.sizes:
        with tempfile.TemporaryDirectory(dir=args.dir) as folder:
            command = [sys.executable, __file__, "--child", str(size), "--dir", folder]
            command += ["--full"] if args.full else []
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            print(done.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
