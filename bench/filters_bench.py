"""Speed and decisions of the quality filters on chunks of the shared Project Gutenberg books.

    python bench/filters_bench.py --docs 1000 --decisions bench/out/filters-decisions.jsonl
    python bench/filters_bench.py --docs 1000 --compare bench/out/filters-decisions.jsonl
    python bench/filters_bench.py --docs 2000 --repeat 3 \
        --corpus bench/out/corpus-20000/corpus.jsonl

Documents come in three kinds, each 300 chars–50 KB (median ~3 KB, make_corpus's size draw):
``corpus`` documents exactly as make_corpus.py builds them (unwrapped sentence runs), ``raw``
contiguous book chunks with their hard-wrapped lines, and ``repeated`` raw chunks whose first
third is written three times (so duplicate lines and n-grams are measured on non-trivial values).

Prints docs/s per core of each filter alone and of all four (``first_failure``). The decisions
file holds every document's result under every *probe* config: the defaults, plus one config per
threshold that disables every other threshold and sets this one so it always fails, which makes
the ``detail`` show the measured value (``words=523 < 1000000000``). Identical decision files
before and after a change mean identical measurements, not only identical verdicts.

``--corpus`` instead prints the CPU ms a document of each curation step but language ID (each
filter alone, the four chained, PII, MinHash) on the first ``--docs`` documents of a bench corpus.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import Any

from corpusbuilder.curate import dedup, pii
from corpusbuilder.curate.filters import build_filters, first_failure

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
import make_corpus  # noqa: E402  (a script folder, not a package)

Doc = tuple[str, str, str]  # (id, language, text)
# Structural parameters: varied in VARIANTS, never probed (they are not limits).
STRUCTURAL = {"min_words_per_line", "min_dup_unit_words", "min_tokens", "wrap_chars"}
VARIANTS = {  # the symbol ratio 0.0 makes the ellipsis ratio show wherever there is no "#"
    "gopher_quality_v1": {"max_symbol_word_ratio": 0.0, "min_words": 20, "max_words": 5000},
    "c4_lines_v1": {"wrap_chars": 80, "min_words_per_line": 5, "drop_curly_bracket": True},
    "gopher_repetition_v1": {"min_dup_unit_words": 1, "max_dup_line_fraction": 0.01},
    "ocr_noise_v1": {"min_tokens": 0, "max_non_word_ratio": 0.001},
}


def corpus_docs(count: int, seed: int, books: Path = make_corpus.BOOKS) -> list[Doc]:
    """make_corpus.py's documents (originals and seeded near/exact duplicates)."""
    records, _ = make_corpus.build(count, seed, books)
    return [(r["id"], r["title"][:2], r["text"]) for r in records]


def raw_docs(count: int, seed: int, books: Path = make_corpus.BOOKS) -> list[Doc]:
    """Contiguous chunks of the book bodies, hard wraps kept; every third one self-repeating."""
    rng = random.Random(seed)
    bodies = {p.stem: make_corpus.pg_body(p.read_text("utf-8")) for p in books.glob("*.txt")}
    names = sorted(bodies)
    docs = []
    for i in range(count):
        name = names[i % len(names)]
        body = bodies[name]
        size = min(make_corpus.draw_size(rng), len(body))
        start = rng.randrange(len(body) - size + 1)
        text = body[start : start + size]
        kind = "raw"
        if i % 3 == 2:
            text, kind = text[: size // 3] * 3, "repeated"
        docs.append((f"{kind}-{name}-{start}", name[:2], text))
    return docs


def _always_fails(key: str) -> float:
    return 10**9 if key.startswith("min_") else -1.0


def probe_configs() -> dict[str, dict[str, dict[str, Any]]]:
    """{probe name: curate.filters config of one filter}: defaults, variants, one per threshold."""
    probes: dict[str, dict[str, dict[str, Any]]] = {}
    for rule in build_filters(None):
        limits = [k for k in rule.defaults if k[:4] in ("min_", "max_") and k not in STRUCTURAL]
        off = {k: None for k in limits}
        probes[f"{rule.name}:default"] = {rule.name: {}}
        probes[f"{rule.name}:variant"] = {rule.name: VARIANTS.get(rule.name, {})}
        for key in limits:
            sizes = rule.defaults[key]
            if isinstance(sizes, dict):
                for n in sizes:
                    config = {**off, key: {n: -1.0}}
                    probes[f"{rule.name}:{key}:{n}"] = {rule.name: config}
            else:
                probes[f"{rule.name}:{key}"] = {rule.name: {**off, key: _always_fails(key)}}
    return probes


def decisions(docs: list[Doc], probes: dict | None = None) -> list[dict[str, str]]:
    """One row per (document, probe): the filter's reason and detail, '' when it keeps the doc."""
    rows = []
    for probe, config in (probes or probe_configs()).items():
        rule = build_filters(config)[0]
        for doc_id, language, text in docs:
            result = rule.check(text, language)
            rows.append(
                {
                    "id": doc_id,
                    "probe": probe,
                    "reason": result.reason if result else "",
                    "detail": result.detail if result else "",
                }
            )
    return rows


def rates(docs: list[Doc], repeat: int = 1) -> dict[str, float]:
    """docs/s on one core of each default filter alone and of the four through first_failure."""
    out = {}
    rules = build_filters(None)
    for rule in rules:
        start = time.perf_counter()
        for _ in range(repeat):
            for _, language, text in docs:
                rule.check(text, language)
        out[rule.name] = repeat * len(docs) / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(repeat):
        for _, language, text in docs:
            first_failure(rules, text, language)
    out["all four (first_failure)"] = repeat * len(docs) / (time.perf_counter() - start)
    return out


def corpus_file_docs(path: Path, count: int) -> list[Doc]:
    """The first `count` documents of a bench corpus JSONL; the language is its title's prefix."""
    with path.open(encoding="utf-8") as f:
        records = [json.loads(line) for line in islice(f, count)]
    return [(r["id"], r["title"][:2], r["text"]) for r in records]


def step_costs(docs: list[Doc], repeat: int) -> dict[str, float]:
    """CPU ms a document, best of `repeat` passes: each default filter alone, the four chained
    (first_failure), PII redaction, MinHash signatures in batches of 200."""
    rules, texts = build_filters(None), [text for _, _, text in docs]

    def filtering(chain: list) -> Callable[[], object]:
        return lambda: [first_failure(chain, text, lang) for _, lang, text in docs]

    steps = {rule.name: filtering([rule]) for rule in rules}
    steps["four filters (first_failure)"] = filtering(rules)
    steps[pii.COMPONENT] = lambda: [pii.redact(text) for text in texts]
    steps[dedup.COMPONENT] = lambda: [
        dedup.signatures(texts[i : i + 200]) for i in range(0, len(texts), 200)
    ]
    costs = {}
    for name, run in steps.items():
        seconds = []
        for _ in range(repeat):
            start = time.process_time()
            run()
            seconds.append(time.process_time() - start)
        costs[name] = 1000 * min(seconds) / len(docs)
    return costs


def compare(rows: list[dict[str, str]], path: Path) -> int:
    """Print the rows that differ from an earlier decisions file; the number of differences."""
    with path.open(encoding="utf-8") as f:
        old = {(r["id"], r["probe"]): r for r in map(json.loads, f)}
    new = {(r["id"], r["probe"]): r for r in rows}
    differ = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    for key in differ[:20]:
        print(f"DIFF {key}: before {old.get(key)} now {new.get(key)}")
    print(f"{len(differ)} of {len(new)} decisions differ from {path}")
    return len(differ)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1000, help="per kind (corpus, raw)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="timing passes over the documents")
    parser.add_argument("--books", type=Path, default=make_corpus.BOOKS)
    parser.add_argument("--decisions", type=Path, help="write every decision here (JSONL)")
    parser.add_argument("--compare", type=Path, help="an earlier --decisions file to diff with")
    parser.add_argument("--corpus", type=Path, help="a bench corpus JSONL: time every step on it")
    args = parser.parse_args(argv)
    if args.corpus:
        docs = corpus_file_docs(args.corpus, args.docs)
        print(f"| step ({len(docs)} documents of {args.corpus}) | CPU ms a document |\n|---|---|")
        for name, cost in step_costs(docs, args.repeat).items():
            print(f"| {name} | {cost:.3f} |")
        return 0
    if not args.books.is_dir():
        parser.error(f"{args.books} is not a folder: pass --books pointing at shared/data/books")
    docs = corpus_docs(args.docs, args.seed, args.books)
    docs += raw_docs(args.docs, args.seed, args.books)
    chars = sum(len(text) for _, _, text in docs)
    print(f"{len(docs)} documents, {chars / 1e6:.1f} MB, median {_median(docs)} chars")
    print("| filter | docs/s per core |\n|---|---|")
    for name, rate in rates(docs, args.repeat).items():
        print(f"| {name} | {rate:,.0f} |")
    if not (args.decisions or args.compare):
        return 0
    rows = decisions(docs)
    defaults = Counter(f"{r['probe']}:{r['reason']}" for r in rows if "default" in r["probe"])
    print("default decisions:", json.dumps(dict(sorted(defaults.items()))))
    if args.decisions:
        args.decisions.parent.mkdir(parents=True, exist_ok=True)
        with args.decisions.open("w", encoding="utf-8") as out:
            out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        print(f"{len(rows)} decisions in {args.decisions}")
    return 1 if args.compare and compare(rows, args.compare) else 0


def _median(docs: list[Doc]) -> int:
    return sorted(len(text) for _, _, text in docs)[len(docs) // 2]


if __name__ == "__main__":
    sys.exit(main())
