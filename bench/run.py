"""The benchmark, one command: corpusbuilder vs datatrove on the same seeded corpus, 2 cores.

    python bench/run.py --docs 20000

Builds (or reuses) bench/out/corpus-<docs>/, creates bench/.venv with datatrove if missing, runs
corpusbuilder's components, datatrove's Gopher filters + 4-stage MinHash and, when `corpusbuilder
build` exists, the end-to-end build; then writes bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import make_corpus  # noqa: E402
import report  # noqa: E402

VENV_PYTHON = BENCH / ".venv" / "bin" / "python"
CLI = [sys.executable, "-c", "from corpusbuilder.cli import main; main()"]
DATATROVE = ["datatrove[processing]>=0.10", "spacy", "orjson"]


def ensure_venv() -> None:
    """bench/.venv with datatrove (never the project's dependencies); rebuilt if broken."""
    probe = [str(VENV_PYTHON), "-c", "import datatrove, spacy, orjson"]
    if VENV_PYTHON.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return
    shutil.rmtree(BENCH / ".venv", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(BENCH / ".venv")], check=True)
    subprocess.run([str(VENV_PYTHON), "-m", "pip", "install", "-q", *DATATROVE], check=True)


def tree_usage(root: int, cpu_seen: dict[int, float]) -> int:
    """Resident bytes of `root` and its descendants now; records each one's CPU seconds so far."""
    parents, rss, cpu = {}, {}, {}
    ticks, page = os.sysconf("SC_CLK_TCK"), os.sysconf("SC_PAGE_SIZE")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid], rss[pid] = int(fields[1]), int(fields[21]) * page
        cpu[pid] = (int(fields[11]) + int(fields[12])) / ticks
    members, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        members.update(children)
        frontier += children
    cpu_seen.update({pid: cpu[pid] for pid in members if pid in cpu})
    return sum(rss.get(pid, 0) for pid in members)


def measure(command: list[str], log: Path) -> dict:
    """Wall time, CPU time and peak RSS of a command's whole process tree (sampled every 0.2 s).

    CPU is summed over every process seen in the tree (forkserver workers are not our children,
    so getrusage would miss them); time after a process's last sample is not counted.
    """
    load, start = os.getloadavg()[0], time.perf_counter()
    peak, cpu_seen = [0], {}
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)

        def sample() -> None:
            while process.poll() is None:
                peak[0] = max(peak[0], tree_usage(process.pid, cpu_seen))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = process.wait()
        sampler.join()
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit code {code}; see {log}")
    return {
        "wall_s": time.perf_counter() - start,
        "cpu_s": sum(cpu_seen.values()),
        "peak_tree_rss": peak[0],
        "load_before": load,
        "load_after": os.getloadavg()[0],
    }


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


def e2e_available() -> bool:
    probe = [*CLI, "--help"]
    try:
        return "build" in subprocess.run(probe, capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return False


def run_e2e(folder: Path, workers: int) -> dict | None:
    """`corpusbuilder -c corpus.yaml build` on the corpus (fresh workdir); None if unavailable."""
    if not e2e_available():
        return None
    config = folder / "corpus.yaml"
    config.write_text(
        "name: bench\nworkdir: e2e-work\nsources:\n  - name: bench\n    adapter: local\n"
        "    path: corpus.jsonl\ncurate:\n  languages: null\nrelease:\n  version: 1.0.0\n"
    )
    shutil.rmtree(folder / "e2e-work", ignore_errors=True)
    command = [*CLI, "-q", "-c", str(config), "build"]
    result = measure([*command, "--workers", str(workers)], folder / "e2e.log")
    result["log_tail"] = (folder / "e2e.log").read_text(errors="replace")[-3000:]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-e2e", action="store_true", help="skip `corpusbuilder build`")
    parser.add_argument("--results", type=Path, default=BENCH / "RESULTS.md")
    args = parser.parse_args()
    folder = BENCH / "out" / f"corpus-{args.docs}"
    if not (folder / "truth.jsonl").exists():
        make_corpus.main(["--docs", str(args.docs), "--out", str(folder)])
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
    e2e = None if args.no_e2e else run_e2e(folder, args.workers)
    command = "python bench/run.py " + " ".join(sys.argv[1:])
    text = report.render(
        report.Inputs(
            command=command,
            corpus=corpus,
            truth=folder / "truth.jsonl",
            cb=cb | json.loads(cb_out.read_text()),
            dt=dt | json.loads(dt_out.read_text()),
            e2e=e2e,
            machine=machine(),
        )
    )
    args.results.write_text(text)
    print(text)


def machine() -> dict:
    versions = subprocess.run(
        [str(VENV_PYTHON), "-m", "pip", "list", "--format=json"], capture_output=True, text=True
    )
    venv = {p["name"].lower(): p["version"] for p in json.loads(versions.stdout or "[]")}
    import numpy

    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": numpy.__version__,
        "datatrove": venv.get("datatrove"),
        "spacy": venv.get("spacy"),
        "venv_numpy": venv.get("numpy"),
    }


if __name__ == "__main__":
    main()
