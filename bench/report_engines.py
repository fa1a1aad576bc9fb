"""RESULTS.md's section on the engines: curation on local and Ray, ingest with 1 and 2 workers.

The inputs are what `python bench/run.py --engines` saved: bench/engines.py's and
bench/ingest_scaling.py's JSON, each merged with run.py's outside measurement of its process.
"""

from __future__ import annotations


def section(saved: dict) -> list[str]:
    engines, ingest = saved["engines"], saved["ingest"]
    local, ray = engines["local"], engines["ray"]
    fixed = _fixed(ray) or 0.0
    lines = [
        f"Command: `{saved['command']}` (code hash {engines['code']} and {ingest['code']}).",
        "",
        f"Curation of `{saved['corpus']}` (ingested once, then curated from a copy of that ledger"
        f" on each engine, {engines['workers']} workers; bench/engines.py):",
        "",
        "| engine | curate s | of which Ray's start / stop s | ledger writes s | share |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, run in (("local", local), ("ray", ray)):
        lines.append(
            f"| {name} | {run['curate_s']:.1f} | {_start_stop(run)} | "
            f"{run['ledger_s']:.1f} | {100 * run['ledger_share']:.1f} % |"
        )
    same = "yes" if engines["same_states"] else "**NO**"
    lines += [
        "",
        f"- Ray against local: {engines['ray_over_local']:.2f}× the wall time "
        f"({(ray['curate_s'] - fixed) / local['curate_s']:.2f}× without Ray's start and stop).",
        f"- the same document states on both engines: {same}",
        "",
        f"Ingest of the enwiki sample, {ingest['dump']} with its pages {ingest['copies']} times, "
        f"median of {ingest['repeat']} interleaved runs (bench/ingest_scaling.py):",
        "",
        *ingest_table(ingest["results"]),
    ]
    return lines


def ingest_table(results: list[dict]) -> list[str]:
    """The runs as a Markdown table, then Ray against the local engine and the ledgers' check."""
    lines = [
        "| dump | engine | workers | wall s (median) | runs s | CPU s: tree / driver |"
        " quiet-2-core bound | pages | parsed | pages/s | speed-up vs 1 worker, same dump |"
        " ledger | load (1 min) |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    base = {r["dump"]: r["seconds"] for r in results if r["workers"] == 1}
    one = {r["dump"]: r["tree_cpu"] for r in results if r["workers"] == 1}
    for r in results:
        rate = r["pages"] / r["seconds"]
        bound = one[r["dump"]] / max(r["driver_cpu"], r["tree_cpu"] / 2)
        lines.append(
            f"| {r['dump']} | {r['engine']} | {r['workers']} | {r['seconds']:.2f} | {r['times']} |"
            f" {r['tree_cpu']:.1f} / {r['driver_cpu']:.1f} | {bound:.2f}× | {r['pages']} |"
            f" {r['parsed']} | {rate:.1f} | {base[r['dump']] / r['seconds']:.2f}× | {r['ledger']} |"
            f" {r['load']} |"
        )
    local2 = {
        r["dump"]: r["seconds"] for r in results if (r["engine"], r["workers"]) == ("local", 2)
    }
    lines.append("")
    for r in results:
        if r["engine"] == "ray":
            ratio, fixed = r["seconds"] / local2[r["dump"]], _fixed(r)
            without = "" if fixed is None else (
                f" ({(r['seconds'] - fixed) / local2[r['dump']]:.2f}× without Ray's start and "
                f"stop, {_start_stop(r)} s)")  # fmt: skip
            lines.append(f"- {r['dump']}: Ray against local, 2 workers: {ratio:.2f}× the wall "
                         f"time{without}")  # fmt: skip
    same = len({r["ledger"] for r in results}) == 1
    lines.append("- the same ledger rows in every run: " + ("yes" if same else "**NO**"))
    return lines


def _fixed(run: dict) -> float | None:
    """A local Ray's fixed seconds in `run` (its start and stop), None if none was started."""
    if "ray_start_s" not in run:
        return None
    return run["ray_start_s"] + run.get("ray_stop_s", 0.0)


def _start_stop(run: dict) -> str:
    if "ray_start_s" not in run:
        return "—"
    return f"{run['ray_start_s']:.1f} / {run.get('ray_stop_s', 0.0):.1f}"
