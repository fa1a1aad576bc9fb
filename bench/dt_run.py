"""datatrove on the same corpus (run by run.py inside bench/.venv): Gopher filters, 4-stage MinHash.

Input is the corpus split into shards (datatrove parallelises over files). Its fastText
LanguageFilter is not run: it downloads its model at run time, which this machine cannot do.
Filters and dedup both see the whole corpus, as corpusbuilder's components do.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup import MinhashDedupSignature
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
)
from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter


def timed(name: str, executor: LocalPipelineExecutor, seconds: dict) -> None:
    start = time.perf_counter()
    executor.run()
    seconds[name] = time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("shards", type=Path)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    tasks = len(list(args.shards.glob("*.jsonl")))
    work, seconds = args.work, {}
    reader = JsonlReader(str(args.shards), glob_pattern="*.jsonl")
    filtering = [reader, GopherRepetitionFilter(), GopherQualityFilter()]
    run = {"tasks": tasks, "workers": args.workers}
    timed(
        "gopher_filters",
        LocalPipelineExecutor(filtering, logging_dir=str(work / "logs/filters"), **run),
        seconds,
    )
    config = MinhashConfig()  # 5-grams, 14 buckets x 8 hashes
    stages = [
        ("minhash_1_signatures", [reader, MinhashDedupSignature(str(work / "sigs"), config)], run),
        (
            "minhash_2_buckets",
            [MinhashDedupBuckets(str(work / "sigs"), str(work / "buckets"), config=config)],
            {"tasks": config.num_buckets, "workers": args.workers},
        ),
        (
            "minhash_3_cluster",
            [MinhashDedupCluster(str(work / "buckets"), str(work / "remove"), config=config)],
            {"tasks": 1, "workers": 1},
        ),
        (
            "minhash_4_filter",
            [
                reader,
                MinhashDedupFilter(
                    str(work / "remove"),
                    exclusion_writer=JsonlWriter(str(work / "removed"), compression=None),
                ),
            ],
            run,
        ),
    ]
    for name, pipeline, options in stages:
        executor = LocalPipelineExecutor(pipeline, logging_dir=str(work / "logs" / name), **options)
        timed(name, executor, seconds)
    removed = []
    for path in sorted((work / "removed").glob("*.jsonl")):
        removed += [json.loads(line)["id"] for line in path.open(encoding="utf-8")]
    stats = json.loads((work / "logs/filters/stats.json").read_text())
    args.out.write_text(json.dumps({"seconds": seconds, "removed": removed, "filter_stats": stats}))


if __name__ == "__main__":
    main()
