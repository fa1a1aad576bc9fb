"""RESULTS.md's tables for corpusbuilder's whole build: per stage, ledger writes, memory at scale.

The inputs are bench/e2e.py's JSON merged with run.py's outside measurement of the same process.
"""

from __future__ import annotations

MiB = 2**20
STAGES = ("ingest", "curate", "release", "publish")


def seconds(result: dict, key: str) -> float:
    return result["timers"].get(key, [0, 0.0])[1]


def _mib(value: int) -> str:
    return f"{value / MiB:,.0f} MiB"


def _peak(result: dict, label: str, keys: tuple[str, ...] = ("rss", "pss", "root_rss")) -> str:
    peak = result["peak_by_stage"].get(label)
    return " / ".join(_mib(peak.get(key, 0)) for key in keys) if peak else "—"


def own_high_water(result: dict) -> int:
    """The build process's own high-water mark (VmHWM at its last rise). Not `ru_maxrss`: the
    kernel carries a parent's high-water mark into a child across vfork and exec, so after
    run.py generated the 1M corpus in-process its 7.5 GB showed there."""
    return max(rise["VmHWM"] for rise in result["high_water_rises"].values())


def _cpu(result: dict, label: str) -> str:
    spent = result.get("parent_cpu", {}).get(label)
    return "—" if spent is None else f"{spent:.1f}"


def stage_table(e2e: dict[str, dict], docs: int, mb: float) -> list[str]:
    """Wall seconds, share of the build, docs/s, MB/s and peak memory of each stage."""
    lines = [
        "| config | stage | wall s | share of build | docs/s | MB/s | CPU s of the build process "
        "| peak RSS / PSS (tree) / RSS (build process; the build row: its high-water mark) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, result in e2e.items():
        wall = result["build_wall_s"]
        for stage in STAGES:
            spent = seconds(result, f"stage:{stage}")
            if not spent:
                lines.append(f"| {name} | {stage} | not configured | — | — | — | — | — |")
                continue
            lines.append(
                f"| {name} | {stage} | {spent:.1f} | {100 * spent / wall:.0f} % | "
                f"{docs / spent:,.0f} | {mb / spent:,.2f} | {_cpu(result, f'stage:{stage}')} | "
                f"{_peak(result, f'stage:{stage}')} |"
            )
            if stage == "curate":
                dedup = seconds(result, "curate:dedup")
                lines.append(
                    f"| {name} | … of which dedup (exact + near, parent) | {dedup:.1f} | "
                    f"{100 * dedup / wall:.0f} % | {docs / dedup:,.0f} | {mb / dedup:,.2f} | "
                    f"{_cpu(result, 'curate:dedup')} | {_peak(result, 'curate:dedup')} |"
                )
        lines.append(
            f"| {name} | **build** | {wall:.1f} | 100 % | {docs / wall:,.0f} | {mb / wall:,.2f} | "
            f"{result['cpu_s']:.1f} (tree) | {_mib(result['peak_tree_rss'])} / "
            f"{_mib(result['peak_tree_pss'])} / {_mib(own_high_water(result))} |"
        )
    return lines


def ledger_table(e2e: dict[str, dict]) -> list[str]:
    """Time inside each ledger write method (calls, seconds), reads and text/signature stores."""
    names = list(e2e)
    keys = sorted({k for r in e2e.values() for k in r["timers"] if k.startswith("ledger_write:")})
    lines = [
        "| ledger method | " + " | ".join(f"{n}: calls, s" for n in names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for key in keys:
        cells = [e2e[n]["timers"].get(key, [0, 0.0]) for n in names]
        label = key.split(":", 1)[1]
        lines.append(f"| {label} | " + " | ".join(f"{c}, {s:.2f}" for c, s in cells) + " |")

    def total(prefix: str) -> list[float]:
        timers = [e2e[n]["timers"].items() for n in names]
        return [sum(s for k, (_, s) in items if k.startswith(prefix)) for items in timers]

    shares = [f"**{e2e[n]['ledger_write_s']:.2f} = {100 * e2e[n]['ledger_write_share']:.1f} %**"
              for n in names]  # fmt: skip
    lines.append("| **all writes, share of build wall** | " + " | ".join(shares) + " |")
    cpu = [e2e[n].get("ledger_write_cpu_s") for n in names]
    cells = " | ".join("not measured" if c is None else f"{c:.2f}" for c in cpu)
    lines.append(f"| … of which the driver thread's CPU (the rest is waiting) | {cells} |")
    rows = [("reads (not in the share)", "ledger_read:"), ("TextStore", "TextStore."),
            ("SignatureStore", "SignatureStore.")]  # fmt: skip
    for label, prefix in rows:
        lines.append(f"| {label} | " + " | ".join(f"{s:.2f}" for s in total(prefix)) + " |")
    decisions = [f"{e2e[n]['decisions']:,}" for n in names]
    lines.append("| decision rows written | " + " | ".join(decisions) + " |")
    return lines


def memory_table(runs: list[tuple[int, float, dict]]) -> list[str]:
    """The full build at each size: speed, tree memory overall and per stage, ledger share, disk."""
    labels = [f"stage:{s}" for s in STAGES[:2]] + ["curate:dedup", "stage:release"]
    lines = [
        "| docs | JSONL MB | build s | docs/s | MB/s | peak RSS / PSS (tree) | "
        "PSS (tree) in ingest · curate · dedup · release | RSS of the build process in the same |"
        " RSS of the workers (+ forkserver) in curate | ledger writes | ledger.db + WAL |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for docs, mb, r in runs:
        wall = r["build_wall_s"]
        tree = " · ".join(_peak(r, label, ("pss",)) for label in labels)
        parent = " · ".join(_peak(r, label, ("root_rss",)) for label in labels)
        ledger = sum(v for k, v in r["disk"].items() if k.startswith("ledger.db"))
        lines.append(
            f"| {docs:,} | {mb:,.0f} | {wall:.1f} | {docs / wall:,.0f} | {mb / wall:,.2f} | "
            f"{_mib(r['peak_tree_rss'])} / {_mib(r['peak_tree_pss'])} | {tree} | {parent} | "
            f"{_peak(r, 'stage:curate', ('others_rss',))} | "
            f"{100 * r['ledger_write_share']:.1f} % | {_mib(ledger)} |"
        )
    return lines


def high_water_table(runs: list[tuple[int, float, dict]]) -> list[str]:
    """The kernel's high-water mark of the build process against the sampled peak, and the calls
    during which it rose most (a peak the 0.2-s sampler missed would show here)."""
    lines = [
        "| docs | build process: high-water mark (VmHWM) / sampled peak RSS / `ru_maxrss` "
        "(with run.py's, carried across exec) | largest rises of the high-water mark: call, MiB "
        "(anonymous / file RSS after it) |",
        "|---|---|---|",
    ]
    for docs, _, r in runs:
        sampled = max(peak["root_rss"] for peak in r["peak_by_stage"].values())
        rises = sorted(r["high_water_rises"].items(), key=lambda item: -item[1]["bytes"])
        where = "; ".join(
            f"{label} {rise['bytes'] / MiB:,.0f} ({_mib(rise['RssAnon'])} / "
            f"{_mib(rise['RssFile'])})"
            for label, rise in rises[:3]
        )
        lines.append(
            f"| {docs:,} | {_mib(own_high_water(r))} / {_mib(sampled)} / {_mib(r['maxrss_self'])} "
            f"| {where} |"
        )
    return lines


def code_line(inputs) -> str:
    """Which code was measured: others commit while the bench runs, so each run records a hash."""
    runs = {"components": inputs.cb, "datatrove": inputs.dt}
    runs |= {f"build {name}": result for name, result in inputs.e2e.items()}
    runs |= {f"build full at {n:,}": s["e2e"]["full"] for n, s in sorted(inputs.scales.items())}
    runs |= {"build full, PostgreSQL": inputs.postgres["e2e"]["full"]} if inputs.postgres else {}
    hashes = {name: run.get("code", "not recorded") for name, run in runs.items()}
    machine = inputs.machine
    state = (
        f"git HEAD {machine.get('git_head')}, uncommitted: {machine.get('uncommitted') or 'none'}"
    )
    if len(set(hashes.values())) == 1:
        return f"Code: {state}; every run imported the same code (hash {hashes['components']})."
    each = ", ".join(f"{name} {value}" for name, value in hashes.items())
    return f"Code: {state}; **the code changed between or during runs**: {each}."
