"""corpusbuilder's curation components on a benchmark corpus, in a process pool (run by run.py).

Workers take batches of texts and time each stage (langid windows, quality filters, PII
redaction when corpusbuilder.curate.pii exists, MinHash signatures); the parent then runs the one
near-duplicate index pass with ranks (licence openness, seq, id). Every document goes through
every stage (the filters' verdicts do not stop it), so dedup recall is measured on the whole
corpus as for datatrove.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from collections import Counter
from multiprocessing import Pool
from pathlib import Path

import numpy as np

from corpusbuilder.curate import dedup, filters, langid

HAS_PII = importlib.util.find_spec("corpusbuilder.curate.pii") is not None
CONFIG = dedup.DedupConfig()
OPENNESS = {"Public domain in the USA.": 0, "CC0-1.0": 0, "CC-BY-4.0": 1}


def _stage(times: dict, name: str, start: float) -> float:
    now = time.perf_counter()
    times[name] = times.get(name, 0.0) + now - start
    return now


def process(texts: list[str]) -> tuple[dict, Counter, Counter, np.ndarray]:
    """Stage seconds, language counts, filter drop counts and signatures of one batch."""
    rules = filters.build_filters(None)
    times: dict[str, float] = {}
    start = time.perf_counter()
    languages = [langid.identify(t).language for t in texts]
    start = _stage(times, "langid", start)
    drops = Counter()
    for text, language in zip(texts, languages, strict=True):
        failure = filters.first_failure(rules, text, language)
        drops[f"{failure[0]}:{failure[1].reason}" if failure else "kept"] += 1
    start = _stage(times, "filters", start)
    if HAS_PII:
        from corpusbuilder.curate import pii

        texts = [pii.redact(t)[0] for t in texts]
        start = _stage(times, "pii", start)
    sigs = dedup.signatures(texts, CONFIG)
    _stage(times, "minhash_signatures", start)
    return times, Counter(languages), drops, sigs


def batches(path: Path, size: int, meta: list):
    """Text batches from the JSONL corpus; (id, rank) of every document appended to `meta`."""
    batch = []
    with path.open(encoding="utf-8") as lines:
        for seq, line in enumerate(lines):
            record = json.loads(line)
            meta.append((record["id"], (OPENNESS.get(record["licence"], 9), seq, record["id"])))
            batch.append(record["text"])
            if len(batch) == size:
                yield batch
                batch = []
    if batch:
        yield batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    meta: list = []
    stage_seconds, languages, drops, sigs = Counter(), Counter(), Counter(), []
    start = time.perf_counter()
    with Pool(args.workers) as pool:
        for times, langs, dropped, batch_sigs in pool.imap(
            process, batches(args.corpus, args.batch, meta)
        ):
            stage_seconds.update(times)
            languages.update(langs)
            drops.update(dropped)
            sigs.append(batch_sigs)
    pool_wall = time.perf_counter() - start
    signatures = np.vstack(sigs)
    start = time.perf_counter()
    removed = dedup.near_duplicates([m[0] for m in meta], [m[1] for m in meta], signatures, CONFIG)
    index_wall = time.perf_counter() - start
    result = {
        "docs": len(meta),
        "pool_wall_s": pool_wall,
        "index_wall_s": index_wall,
        "stage_cpu_s": dict(stage_seconds),
        "pii_measured": HAS_PII,
        "languages": dict(languages),
        "filter_outcomes": dict(drops),
        "signature_bytes_per_doc": signatures.itemsize * signatures.shape[1],
        "removed": [[d.doc_id, d.duplicate_of, d.similarity] for d in removed],
    }
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
