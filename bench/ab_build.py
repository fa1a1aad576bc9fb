"""The same build of an older commit's code and of the working tree, interleaved: is a slower run
the code or the machine?

    python bench/ab_build.py --base 6d1f5a0 --rounds 2

Runs bench/e2e.py (one config, the 20k comparison corpus) with `--base`'s corpusbuilder/,
sources/ and licences.yaml first on PYTHONPATH, then with the working tree, `--rounds` times,
each measured from outside as run.py measures (wall, tree CPU). Prints one line a run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the older commit")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--config", default="same_steps")
    parser.add_argument("--docs", type=int, default=20_000)
    args = parser.parse_args()
    folder = run.corpus_folder(args.docs)
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "-C", str(BENCH.parent), "archive", args.base, "corpusbuilder", "sources",
             "licences.yaml"], check=True, capture_output=True,
        ).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        for round_ in range(args.rounds):
            for label, path in ((args.base, tmp), ("working tree", None)):
                print(label, round_, json.dumps(_build(folder, args.config, path)), flush=True)


def _build(folder: Path, config: str, code: str | None) -> dict:
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    command = [sys.executable, str(BENCH / "e2e.py"), str(folder), "--config", config]
    command += ["--workers", "2", "--out", str(out)]
    env = os.environ | {"PYTHONPATH": code} if code else None
    measured = run.measure(command, out.with_suffix(".log"), env)
    result = json.loads(out.read_text())
    return {
        "wall_s": round(measured["wall_s"], 1),
        "tree_cpu_s": round(measured["cpu_s"], 1),
        "curate_s": round(result["timers"]["stage:curate"][1], 1),
        "ledger_write_s": round(result["ledger_write_s"], 2),
    }


if __name__ == "__main__":
    main()
