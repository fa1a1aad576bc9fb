"""The benchmark, one command: corpusbuilder vs datatrove on the same seeded corpus, 2 cores.

    python bench/run.py --docs 20000       # components, datatrove, e2e `full` and `same_steps`
    python bench/run.py --scale 200000     # e2e `full` only, at 200k docs (memory, docs/s)
    python bench/run.py --engines          # curation on local and Ray, ingest with 1 and 2 workers
    python bench/run.py --postgres         # e2e `full` at --docs, its ledger on PostgreSQL
    python bench/run.py --render           # RESULTS.md again from the saved figures

Builds (or reuses) bench/out/corpus-<docs>/, creates bench/.venv with datatrove if missing, runs
corpusbuilder's components, datatrove's Gopher filters + 4-stage MinHash and corpusbuilder's
whole build (bench/e2e.py) once per config; saves the figures in the corpus folder and renders
bench/RESULTS.md from the comparison at --docs, every saved scale run and bench/READING.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import make_url

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(1, str(BENCH.parent))  # tests.postgres, for --postgres

import make_corpus  # noqa: E402
import report  # noqa: E402
from proctree import Sampler  # noqa: E402

VENV_PYTHON = BENCH / ".venv" / "bin" / "python"
E2E_CONFIGS = ("full", "same_steps")
DATATROVE = ["datatrove[processing]>=0.10", "spacy", "orjson"]


def ensure_venv() -> None:
    """bench/.venv with datatrove (never the project's dependencies); rebuilt if broken."""
    probe = [str(VENV_PYTHON), "-c", "import datatrove, spacy, orjson"]
    if VENV_PYTHON.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return
    shutil.rmtree(BENCH / ".venv", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(BENCH / ".venv")], check=True)
    subprocess.run([str(VENV_PYTHON), "-m", "pip", "install", "-q", *DATATROVE], check=True)


def measure(command: list[str], log: Path, env: dict[str, str] | None = None) -> dict:
    """Wall time, CPU time and peak memory of a command's whole process tree (sampled every 0.2 s).

    CPU is summed over every process seen in the tree (forkserver workers are not our children,
    so getrusage would miss them); time after a process's last sample is not counted.
    """
    code, load, start = code_hash(), os.getloadavg()[0], time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        with Sampler(process.pid) as sampler:
            status = process.wait()
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit code {status}; see {log}")
    return {
        "wall_s": time.perf_counter() - start,
        "cpu_s": sampler.cpu_s,
        "peak_tree_rss": sampler.peak_rss,
        "peak_tree_pss": sampler.peak_pss,
        "load_before": load,
        "load_after": os.getloadavg()[0],
        "code": code if code == code_hash() else f"{code}, changed during the run",
    }


def code_hash() -> str:
    """Hash of the code a run imports: others edit the tree while runs go on, so it is recorded."""
    digest = hashlib.sha256()
    root = BENCH.parent
    for path in sorted((root / "corpusbuilder").rglob("*")) + sorted((root / "sources").rglob("*")):
        if path.suffix in (".py", ".yaml") and path.is_file():
            digest.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def shard(corpus: Path, folder: Path, parts: int) -> None:
    """The corpus split round-robin into `parts` JSONL files (datatrove parallelises over files)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    outs = [(folder / f"part{i:02d}.jsonl").open("w", encoding="utf-8") for i in range(parts)]
    with corpus.open(encoding="utf-8") as lines:
        for i, line in enumerate(lines):
            outs[i % parts].write(line)
    for out in outs:
        out.close()


def corpus_folder(docs: int) -> Path:
    """bench/out/corpus-<docs>/, generated (seed 0) unless it is already there."""
    folder = BENCH / "out" / f"corpus-{docs}"
    if not (folder / "truth.jsonl").exists():
        make_corpus.main(["--docs", str(docs), "--out", str(folder)])
    return folder


def run_e2e(folder: Path, config: str, workers: int, ledger: str | None = None) -> dict:
    """bench/e2e.py (one in-process `build` on a fresh workdir), measured from outside as well;
    `ledger`: an SQLAlchemy URL for the ledger instead of SQLite in the workdir."""
    name = config if ledger is None else f"{config}-{make_url(ledger).get_backend_name()}"
    out = folder / f"e2e-{name}.json"
    command = [sys.executable, str(BENCH / "e2e.py"), str(folder), "--config", config]
    command += ["--workers", str(workers), "--out", str(out)]
    command += ["--ledger", ledger, "--name", name] if ledger else []
    measured = measure(command, folder / f"e2e-{name}.log")
    return measured | json.loads(out.read_text())


def run_comparison(args: argparse.Namespace) -> dict:
    """Components, datatrove and every e2e config on the same corpus, one after the other."""
    folder = corpus_folder(args.docs)
    corpus = folder / "corpus.jsonl"
    ensure_venv()
    shard(corpus, folder / "shards", 2 * args.workers)
    cb_out, dt_out, work = folder / "cb.json", folder / "dt.json", folder / "dt-work"
    shutil.rmtree(work, ignore_errors=True)
    workers = ["--workers", str(args.workers)]
    cb_command = [sys.executable, str(BENCH / "cb_components.py"), str(corpus), *workers]
    cb = measure([*cb_command, "--out", str(cb_out)], folder / "cb.log")
    dt_command = [str(VENV_PYTHON), str(BENCH / "dt_run.py"), str(folder / "shards"), *workers]
    dt = measure([*dt_command, "--work", str(work), "--out", str(dt_out)], folder / "dt.log")
    return {
        "command": "python bench/run.py " + " ".join(sys.argv[1:]),
        "cb": cb | json.loads(cb_out.read_text()),
        "dt": dt | json.loads(dt_out.read_text()),
        "e2e": {name: run_e2e(folder, name, args.workers) for name in E2E_CONFIGS},
        "machine": machine(),
    }


def run_engines(args: argparse.Namespace) -> dict:
    """bench/engines.py on the comparison corpus and bench/ingest_scaling.py on the enwiki
    sample (its pages 40 times, so that Ray's fixed start, ~7 s, is not most of what is timed;
    median of 2), each measured from outside as well."""
    folder, out = corpus_folder(args.docs), BENCH / "out"
    engines = [sys.executable, str(BENCH / "engines.py"), str(folder), "--workers"]
    engines += [str(args.workers), "--work", str(out / "engines"), "--out", str(out / "e.json")]
    ingest = [sys.executable, str(BENCH / "ingest_scaling.py"), "--copies", "40", "--repeat"]
    ingest += ["2", "--out", str(out / "i.json")]
    runs = {"engines": (engines, out / "e.json"), "ingest": (ingest, out / "i.json")}
    saved = {"command": "python bench/run.py " + " ".join(sys.argv[1:]), "corpus": folder.name}
    for name, (command, result) in runs.items():
        measured = measure(command, out / f"{name}.log")
        saved[name] = measured | json.loads(result.read_text())
    return saved


def run_postgres(args: argparse.Namespace) -> dict:
    """The full build at --docs with its ledger on a PostgreSQL server started for it on
    127.0.0.1 (tests/postgres.py, durable: fsync on), as a cluster's build would write it."""
    from tests.postgres import postgres_server

    with postgres_server(durable=True) as url:
        e2e = run_e2e(corpus_folder(args.docs), "full", args.workers, ledger=url)
    return {"command": "python bench/run.py " + " ".join(sys.argv[1:]), "e2e": {"full": e2e}}


def render(docs: int, path: Path) -> None:
    """RESULTS.md from the saved comparison at `docs` and every saved scale run."""
    saved = BENCH / "out" / f"corpus-{docs}" / "results.json"
    if not saved.exists():
        print(f"no comparison at {docs} docs yet: run `python bench/run.py --docs {docs}`")
        return
    scales = {}
    for scale in sorted((BENCH / "out").glob("corpus-*/scale.json")):
        scales[int(scale.parent.name.split("-")[1])] = json.loads(scale.read_text())
    folder, engines = saved.parent, BENCH / "out" / "engines.json"
    postgres = folder / "postgres.json"
    inputs = report.Inputs(folder / "corpus.jsonl", folder / "truth.jsonl", scales=scales,
                           engines=json.loads(engines.read_text()) if engines.exists() else None,
                           postgres=json.loads(postgres.read_text()) if postgres.exists() else None,
                           **json.loads(saved.read_text()))  # fmt: skip
    path.write_text(report.render(inputs))
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20_000, help="size of the comparison corpus")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--scale",
        type=int,
        metavar="N",
        help="instead: only corpusbuilder's full build at N docs (memory and docs/s at scale)",
    )
    parser.add_argument("--results", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument("--render", action="store_true", help="only re-render from saved figures")
    parser.add_argument(
        "--engines", action="store_true", help="instead: curation on local and Ray, ingest scaling"
    )
    parser.add_argument(
        "--postgres", action="store_true", help="instead: the full build, ledger on PostgreSQL"
    )
    args = parser.parse_args()
    if args.render:
        render(args.docs, args.results)
        return
    if args.engines:
        (BENCH / "out" / "engines.json").write_text(json.dumps(run_engines(args)))
    elif args.postgres:
        (corpus_folder(args.docs) / "postgres.json").write_text(json.dumps(run_postgres(args)))
    elif args.scale:
        folder = corpus_folder(args.scale)
        result = {
            "command": "python bench/run.py " + " ".join(sys.argv[1:]),
            "e2e": {"full": run_e2e(folder, "full", args.workers)},
        }
        (folder / "scale.json").write_text(json.dumps(result))
    else:
        result = run_comparison(args)
        (corpus_folder(args.docs) / "results.json").write_text(json.dumps(result))
    render(args.docs, args.results)


def machine() -> dict:
    versions = subprocess.run(
        [str(VENV_PYTHON), "-m", "pip", "list", "--format=json"], capture_output=True, text=True
    )
    venv = {p["name"].lower(): p["version"] for p in json.loads(versions.stdout or "[]")}
    import numpy

    git = ["git", "-C", str(BENCH.parent)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--", "corpusbuilder", "sources"],
        capture_output=True,
        text=True,
    )
    return {
        "git_head": head.stdout.strip(),
        "uncommitted": [line[3:] for line in dirty.stdout.splitlines()],
        "nproc": os.cpu_count(),
        "cpu": next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").open()
                if line.startswith("model name")
            ),
            None,
        ),  # fmt: skip
        "memory_gib": round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": numpy.__version__,
        "datatrove": venv.get("datatrove"),
        "spacy": venv.get("spacy"),
        "venv_numpy": venv.get("numpy"),
    }


if __name__ == "__main__":
    main()
