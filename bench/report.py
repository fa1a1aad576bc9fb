"""Score the removals against the ground truth and render bench/RESULTS.md (used by run.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import removals
import report_e2e
import report_engines

MB = 1_000_000


DIFFERENCES = [
    "- Tokeniser: corpusbuilder's Gopher filters split words with one regular expression"
    " (`curate/filter_rules/base.py` WORD_RE); datatrove's use its english word tokenizer"
    " (spaCy's). Counts of words, stop words and n-grams differ a little, and spaCy costs more"
    " per document.",
    "- Language: corpusbuilder identifies every document's language (langdetect + fastText,"
    " windows) in every config; datatrove runs no language step (its LanguageFilter downloads a"
    " model at run time, which this machine cannot).",
    "- Records: corpusbuilder writes every decision to the ledger (SQLite), keeps texts in its"
    " store and writes a release (Parquet shards per language, card, provenance); datatrove"
    " writes its signatures, buckets and the ids it removes, no output dataset.",
    "- Dedup: corpusbuilder 28 bands x 4 rows, every candidate verified (estimated Jaccard ≥"
    " 0.65), over what passed the filters; datatrove 14 x 8 with no verification, over the whole"
    " corpus. Both use word 5-grams and 112 hashes.",
    "- Licence: corpusbuilder decides every document's licence first (the corpus's records carry"
    " one); datatrove has no such step.",
]
NOTES = [
    "- Same corpus, same run, 2 worker processes each, one run after the other on an otherwise idle"
    " machine (load average columns); compare ratios rather than absolutes.",
    "- datatrove runs GopherRepetitionFilter + GopherQualityFilter (defaults, english tokenizer),"
    " then MinhashDedupSignature/Buckets/Cluster/Filter (5-grams, 14 buckets x 8 hashes) on"
    " 4 JSONL shards; it writes no output dataset (only its signatures, buckets and the removed"
    " documents). Its fastText LanguageFilter is NOT run: it downloads its model at run time,"
    " which this machine cannot.",
    "- corpusbuilder build = bench/e2e.py: `Project.open(corpus.yaml).build()` in one process on a"
    " fresh workdir: ingest (local JSONL adapter → ledger + content-addressed text store), curate"
    " (licence decision, langid, filters, [PII], MinHash in 2 workers; exact + near dedup in the"
    " parent), release (manifest in the ledger, language-split Parquet shards, card); no publish"
    " target. Every decision is a ledger row. `same_steps` sets `curate: {filters:"
    " {gopher_quality_v1: {}, gopher_repetition_v1: {}}, pii: false}`; `full` is the default.",
    "- corpusbuilder components (cb_components.py): the curation functions alone over the JSONL,"
    " in a pool: langid, the 4 default filters, PII, MinHash, then the index pass; no ledger,"
    " no store.",
    "- Dedup scoring is by seeded cluster: a cluster of n copies must lose n - 1 documents,"
    " whichever are kept; removals beyond that or outside any cluster are false removals (% of the"
    " documents scored). Components and datatrove deduplicate the whole corpus; the build"
    " deduplicates only what passed its filters, so it is scored on those documents. The truth"
    " file knows only the seeded copies, and the generator's documents are passages of 20 books,"
    " so chance near copies grow with the square of N: each removal whose kept copy is outside"
    " its seeded cluster is checked on the two texts (bench/removals.py), and counts as a false"
    " removal on the texts when their exact Jaccard is below near-dedup's threshold.",
    "- Stage docs/s for the components are per-stage seconds summed over the workers, divided by"
    " 2; datatrove stages are the wall time of each executor run; build stages are wall time in"
    " the build's process. CPU s sums every process of the tree sampled from /proc every 0.2 s."
    " Peak RSS is the tree's sampled sum (pages shared after fork counted in each process: an"
    " upper bound); PSS shares them out, so the PSS sum is the tree's real footprint. The"
    " sampler costs ~1 ms of CPU a sample. Curation workers come from a forkserver, so getrusage"
    " of children misses them; the tree sampling does not.",
    "- Scale runs (`--scale N`) run only the full build: the same generator draws N documents"
    " from 18 MB of books, so at 200k sentence runs repeat a lot (fine for memory and speed; the"
    " dedup figures there include near-duplicates the generator made). datatrove is not run at"
    " 200k (~35 min here).",
]


@dataclass
class Inputs:
    corpus: Path
    truth: Path
    command: str
    cb: dict
    dt: dict
    e2e: dict[str, dict]  # config name -> bench/e2e.py's figures and run.py's measurement
    machine: dict
    scales: dict[int, dict] = field(default_factory=dict)  # docs -> saved `--scale` run
    engines: dict | None = None  # the saved `--engines` run
    postgres: dict | None = None  # the saved `--postgres` run


@dataclass
class Score:
    seeded: int  # documents to remove: every cluster of n copies should lose n - 1
    found: int
    false: int  # removals outside any seeded cluster, or beyond n - 1 in one
    docs: int
    by_kind: dict[str, tuple[int, int]]  # kind -> (found, seeded), pairs of two only

    @property
    def recall(self) -> float:
        return self.found / self.seeded if self.seeded else 1.0


def score(truth: list[dict], removed: set[str]) -> Score:
    """Cluster-based: whichever copy is kept, a cluster of n identical texts must lose n - 1."""
    clusters: dict[str, list[dict]] = {}
    for row in truth:
        clusters.setdefault(row["original"], []).append(row)
    seeded = found = false = 0
    kinds: dict[str, list[int]] = {}
    for members in clusters.values():
        hit = sum(m["id"] in removed for m in members)
        need = len(members) - 1
        seeded, found, false = seeded + need, found + min(hit, need), false + max(0, hit - need)
        if len(members) == 2:
            kind = next(m["kind"] for m in members if m["kind"] != "original")
            tally = kinds.setdefault(kind, [0, 0])
            tally[0], tally[1] = tally[0] + min(hit, 1), tally[1] + 1
    return Score(seeded, found, false, len(truth), {k: tuple(v) for k, v in sorted(kinds.items())})


def _rate(docs: int, seconds: float, megabytes: float) -> str:
    if not seconds:
        return "n/a | n/a"
    return f"{docs / seconds:,.0f} | {megabytes / seconds:,.2f}"


def _stage_rows(inputs: Inputs, docs: int, mb: float) -> list[str]:
    """Each tool's stages in the time it can measure: worker CPU for corpusbuilder's
    components, each executor run's wall time for datatrove. The two are not comparable (one
    leaves out process start, scheduling and I/O waits), so no ratio is given."""
    cb, dt = inputs.cb, inputs.dt
    workers = 2
    rows = []
    for name, seconds in cb["stage_cpu_s"].items():
        rate = _rate(docs, seconds / workers, mb)
        rows.append(f"| corpusbuilder | {name} | worker CPU ÷ {workers} | {rate} |")
    rows.append(f"| corpusbuilder | near_duplicates index pass | parent wall | "
                f"{_rate(docs, cb['index_wall_s'], mb)} |")  # fmt: skip
    for name, seconds in dt["seconds"].items():
        rows.append(f"| datatrove | {name} | executor wall | {_rate(docs, seconds, mb)} |")
    return rows


def _dedup_line(name: str, s: Score) -> str:
    kinds = ", ".join(f"{k} {f}/{n}" for k, (f, n) in s.by_kind.items())
    return (
        f"| {name} | {s.found}/{s.seeded} = {100 * s.recall:.2f} % | {s.false} = "
        f"{100 * s.false / s.docs:.3f} % | {kinds} |"
    )


E2E_LABELS = {
    "same_steps": "corpusbuilder build, same steps (Gopher quality + repetition, near-dedup;"
    " + langid, ledger, release)",
    "full": "corpusbuilder build, full (4 filters + PII + near-dedup; + langid, ledger, release)",
}


def _end_to_end(inputs: Inputs, docs: int, mb: float) -> list[str]:
    cb, dt = inputs.cb, inputs.dt
    runs = [(E2E_LABELS.get(name, name), result) for name, result in inputs.e2e.items()]
    runs.append(("corpusbuilder components only (langid + 4 filters + PII + MinHash + index)", cb))
    runs.append(("datatrove (Gopher quality + repetition, 4-stage MinHash)", dt))
    lines = [
        "| run | docs/s | MB/s | wall s | CPU s | peak RSS / PSS (tree) | load before→after "
        "| x datatrove |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, m in runs:
        lines.append(
            f"| {name} | {_rate(docs, m['wall_s'], mb)} | {m['wall_s']:.1f} | {m['cpu_s']:.1f} | "
            f"{m['peak_tree_rss'] / 2**20:,.0f} / {m.get('peak_tree_pss', 0) / 2**20:,.0f} MiB | "
            f"{m['load_before']:.1f}→{m['load_after']:.1f} | {dt['wall_s'] / m['wall_s']:.2f}x |"
        )
    lines += [
        "",
        "Wall time is the whole process, imports included; the x datatrove column divides"
        " datatrove's wall time by each run's wall time (see Differences of work).",
    ]
    return lines


def _dedup(inputs: Inputs, truth: list[dict]) -> list[str]:
    cb, dt = inputs.cb, inputs.dt
    lines = [
        "| tool | seeded duplicates removed | false removals | clusters of two, by kind |",
        "|---|---|---|---|",
        _dedup_line(
            "corpusbuilder components minhash_lsh_v1 (28x4, J>=0.65 verified)",
            score(truth, {r[0] for r in cb["removed"]}),
        ),  # fmt: skip
        _dedup_line("datatrove MinHash (14x8, no verification)", score(truth, set(dt["removed"]))),
    ]
    outside = {"components": removals.check(inputs.corpus, truth, cb["removed"])}
    for name, result in inputs.e2e.items():
        found, outside[f"build {name}"] = _removals(inputs.corpus, truth, result)
        label = f"corpusbuilder build {name} ({found.docs:,} docs passed its filters)"
        lines.append(_dedup_line(label, found))
    lines += [
        "",
        "Removals whose `duplicate_of` is outside the seeded cluster (of them, pairs whose exact"
        f" Jaccard on the texts is below {removals.THRESHOLD}, bench/removals.py): "
        + ", ".join(f"{k} {c.outside} ({c.below})" for k, c in outside.items())
        + ".",
        f"Filters (components, first failure per doc): {json.dumps(cb['filter_outcomes'])}.",
        f"Languages (components langid): {json.dumps(cb['languages'])}.",
    ]
    return lines


def _removals(corpus: Path, truth: list[dict], full: dict) -> tuple[Score, removals.Checked]:
    """A build's removals scored against the truth file (on the documents that passed its
    filters), and those outside a seeded cluster checked on the texts."""
    filtered = set(full["filtered"])
    reached = [row for row in truth if row["id"] not in filtered]
    found = score(reached, {doc for doc, _ in full["removed"]})
    return found, removals.check(corpus, truth, full["removed"])


def _scale_runs(inputs: Inputs, truth: list[dict], mb: float) -> tuple[list, list, list[str]]:
    """(docs, MB, full build) per size, the full build's removals per size (`_removals`), and
    one line per scale run on its own dedup figures."""
    full = inputs.e2e["full"]
    runs, lines = [(len(truth), mb, full)], []
    scored = [_removals(inputs.corpus, truth, full)]
    for size, saved in sorted(inputs.scales.items()):
        if size == len(truth):
            continue
        full = saved["e2e"]["full"]
        runs.append((size, full["corpus_bytes"] / MB, full))
        status = ", ".join(f"{k} {v:,}" for k, v in sorted(full["status"].items()))
        folder = inputs.truth.parents[1] / f"corpus-{size}"
        truth_at = [json.loads(line) for line in (folder / "truth.jsonl").open(encoding="utf-8")]
        found, checked = _removals(folder / "corpus.jsonl", truth_at, full)
        scored.append((found, checked))
        lowest = "none" if checked.lowest is None else f"{checked.lowest:.3f}"
        lines.append(
            f"- {size:,} docs (`{saved['command']}`): {status}; seeded duplicates removed "
            f"{found.found:,}/{found.seeded:,} = {100 * found.recall:.2f} %, false removals "
            f"{found.false} = {100 * found.false / found.docs:.3f} %; removals whose kept copy is"
            f" outside the seeded cluster {checked.outside:,}, of them below Jaccard"
            f" {removals.THRESHOLD} on the texts {checked.below:,} ="
            f" {100 * checked.below / found.docs:.3f} % (lowest {lowest})."
        )
    return runs, scored, lines


def _targets(inputs: Inputs, runs: list, scored: list) -> list[str]:
    """Each target of the issue against this run's figures."""
    dt, e2e = inputs.dt, inputs.e2e
    full, same = e2e["full"], e2e["same_steps"]
    s = scored[0][0]
    raw = " · ".join(f"{100 * f.false / f.docs:.3f}" for f, _ in scored)
    below = " · ".join(f"{100 * c.below / f.docs:.3f}" for f, c in scored)
    peaks = [r["peak_tree_rss"] for _, _, r in runs]
    pss = [r["peak_tree_pss"] for _, _, r in runs]
    own = [max(p["root_rss"] for p in r["peak_by_stage"].values()) for _, _, r in runs]
    shares = [r["ledger_write_share"] for r in e2e.values()] + [
        r["ledger_write_share"] for _, _, r in runs
    ]
    rows = [
        ("end to end ≥ 10x datatrove, same steps", f"{dt['wall_s'] / same['wall_s']:.2f}x",
         dt["wall_s"] / same["wall_s"] >= 10),
        ("(full build, more steps, vs datatrove)", f"{dt['wall_s'] / full['wall_s']:.2f}x",
         dt["wall_s"] / full["wall_s"] >= 10),
        ("≥ 98 % seeded duplicates removed (full build)", f"{100 * s.recall:.2f} %",
         s.recall >= 0.98),
        ("≤ 0.1 % false removals, full build, each size: against the truth file; on the texts"
         f" (outside a seeded cluster, exact Jaccard < {removals.THRESHOLD})",
         f"{raw} %; {below} %",
         all(c.below / f.docs <= 0.001 for f, c in scored)),
        ("peak RSS ≤ 1 GiB, process tree, GiB (RSS sum / PSS sum, each size)",
         " · ".join(f"{r / 2**30:.2f} / {p / 2**30:.2f}" for r, p in zip(peaks, pss, strict=True)),
         max(peaks) <= 2**30),
        ("memory flat from smallest to largest run (growth ≤ 10 %): tree PSS; build process",
         f"{pss[-1] / pss[0]:.2f}x; {own[-1] / own[0]:.2f}x" if len(runs) > 1 else "not measured",
         len(runs) > 1 and max(pss[-1] / pss[0], own[-1] / own[0]) <= 1.1),
        ("ledger writes ≤ 5 % of build time (max over runs)", f"{100 * max(shares):.1f} %",
         max(shares) <= 0.05),
    ]  # fmt: skip
    lines = ["| target | measured | met |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {'yes' if ok else '**no**'} |" for t, m, ok in rows]
    return lines


def _ledgers(inputs: Inputs) -> dict[str, dict]:
    """The e2e runs whose ledger writes are shown: each config, and the full build on PostgreSQL."""
    if inputs.postgres is None:
        return inputs.e2e
    return inputs.e2e | {"full on PostgreSQL": inputs.postgres["e2e"]["full"]}


def _postgres_note(inputs: Inputs) -> list[str]:
    if inputs.postgres is None:
        return ["The ledger on PostgreSQL: not measured yet (`python bench/run.py --postgres`)."]
    run, sqlite = inputs.postgres["e2e"]["full"], inputs.e2e["full"]
    same = (run["status"], run["released"]) == (sqlite["status"], sqlite["released"])
    return [
        f"The ledger on PostgreSQL: `{inputs.postgres['command']}`, the same full build with its "
        "ledger on a PostgreSQL server the run starts on 127.0.0.1 (fsync on, default settings) "
        "on the same 2 cores: its wall time counts; its CPU and memory are not in the process "
        f"tree's figures. Build {run['build_wall_s']:.1f} s against {sqlite['build_wall_s']:.1f} s "
        f"with SQLite; the same statuses and released documents: {'yes' if same else '**no**'}.",
    ]


def render(inputs: Inputs) -> str:
    truth = [json.loads(line) for line in inputs.truth.open(encoding="utf-8")]
    docs = len(truth)
    mb = inputs.corpus.stat().st_size / MB
    runs, scored, scale_lines = _scale_runs(inputs, truth, mb)
    commands = [inputs.command] + [
        s["command"] for n, s in sorted(inputs.scales.items()) if n != docs
    ]
    reading = Path(__file__).with_name("READING.md")
    lines = [
        "# Benchmark: corpusbuilder vs datatrove",
        "",
        "Commands: " + "; ".join(f"`{c}`" for c in commands) + f". Comparison corpus "
        f"`{inputs.corpus.parent.name}`: {docs:,} documents, {mb:,.1f} MB of JSONL, 10 % seeded "
        "near-duplicates and 5 % exact duplicates.",
        "",
        report_e2e.code_line(inputs),
        "",
        "## Targets",
        "",
        *_targets(inputs, runs, scored),
        "",
        "## End to end",
        "",
        *_end_to_end(inputs, docs, mb),
        "",
        "## Where the build's time goes (per stage)",
        "",
        *report_e2e.stage_table(inputs.e2e, docs, mb),
        "",
        "## Ledger writes",
        "",
        *report_e2e.ledger_table(_ledgers(inputs)),
        "",
        *_postgres_note(inputs),
        "",
        "## Memory and speed, full build, by corpus size",
        "",
        *report_e2e.memory_table(runs),
        "",
        *report_e2e.high_water_table(runs),
        "",
        *scale_lines,
        "",
        "## Engines: curation on local and Ray, ingest with 1 and 2 workers",
        "",
        *(
            report_engines.section(inputs.engines)
            if inputs.engines
            else ["Not measured yet: `python bench/run.py --engines`."]
        ),  # fmt: skip
        "",
        "## Components per stage (not comparable across tools: different clocks)",
        "",
        "| tool | stage | measured as | docs/s | MB/s |",
        "|---|---|---|---|---|",
        *_stage_rows(inputs, docs, mb),
        "",
        "## Duplicates removed vs ground truth",
        "",
        *_dedup(inputs, truth),
        "",
        *(reading.read_text().splitlines() + [""] if reading.exists() else []),
        "## Differences of work (same steps)",
        "",
        *DIFFERENCES,
        "",
        "## Notes",
        "",
        *NOTES,
        "",
        "## Machine",
        "",
        "```",
        json.dumps(inputs.machine, indent=1),
        "```",
    ]
    return "\n".join(lines) + "\n"
