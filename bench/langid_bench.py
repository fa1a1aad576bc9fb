"""Accuracy and speed of ``corpusbuilder.langid`` on the shared langid sets and books.

Run: ``python bench/langid_bench.py [--data ../shared/data]``; prints markdown tables.
Accuracy counts `und` apart from wrong labels: on supported languages a wrong label is the cost
that matters; on la, eu, eo, ga (unknown to langdetect) the `und` rate is the figure of merit.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import time
from pathlib import Path

from corpusbuilder import langid, pii
from corpusbuilder.filters import build_filters

UNKNOWN = {"la", "eu", "eo", "ga"}
SETS = ("sentences.tsv", "paragraphs_concat_synthetic.tsv", "paragraphs_gutenberg.tsv")


def read_tsv(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        return [(row[0], row[1]) for row in rows]


def accuracy(rows: list[tuple[str, str]]) -> tuple[dict[str, float], float]:
    """Shares of correct / wrong / und on supported languages; docs/s."""
    counts = {"correct": 0, "wrong": 0, "und": 0, "unknown": 0, "unknown_und": 0}
    start = time.perf_counter()
    for gold, text in rows:
        guess = langid.identify(text).language
        if gold in UNKNOWN:
            counts["unknown"] += 1
            counts["unknown_und"] += guess == langid.UNDETERMINED
        elif guess == langid.UNDETERMINED:
            counts["und"] += 1
        else:
            counts["correct" if guess == gold else "wrong"] += 1
    elapsed = time.perf_counter() - start
    known = len(rows) - counts["unknown"]
    shares = {k: counts[k] / known for k in ("correct", "wrong", "und")}
    shares["unknown_und"] = counts["unknown_und"] / counts["unknown"] if counts["unknown"] else 0
    return shares, len(rows) / elapsed


def ms_per_doc(text: str, repeat: int = 20) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        langid.identify(text)
    return (time.perf_counter() - start) / repeat * 1000


def docs_per_s(texts: list[str]) -> float:
    start = time.perf_counter()
    for text in texts:
        langid.identify(text)
    return len(texts) / (time.perf_counter() - start)


def load_seconds() -> float:
    """Import and first call in a fresh process: what each curation worker pays once."""
    code = (
        "import time; t = time.perf_counter(); from corpusbuilder import langid; "
        "langid.identify('warm up'); print(time.perf_counter() - t)"
    )
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True).stdout)


def speed(books: Path) -> list[str]:
    text = (books / "en_monte_cristo.txt").read_text(encoding="utf-8")[100_000:]
    chunks = [text[i : i + 3000] for i in range(0, 300 * 3000, 3000)]
    rate = docs_per_s(chunks)
    every_book = [chunk for _, chunk in book_chunks(books)]
    fresh = docs_per_s(every_book[::2])  # words of the other books are not yet cached
    return [
        "| measure | value |",
        "|---|---|",
        f"| docs/s, 3 KB docs (one core) | {rate:.0f} |",
        f"| docs/s, 3 KB chunks of all 20 books, first pass (one core) | {fresh:.0f} |",
        f"| s to import and load profiles (fresh process) | {load_seconds():.2f} |",
        f"| ms per 2 KB doc | {ms_per_doc(text[:2000]):.2f} |",
        f"| ms per 50 KB doc | {ms_per_doc(text[:50_000]):.2f} |",
        f"| ms per 1 MB doc | {ms_per_doc(text[:1_000_000], 5):.2f} |",
        f"| sampled chars of a 50 KB doc | {sum(map(len, langid.sample(text[:50_000])))} |",
    ]


def book_chunks(books: Path, size: int = 3000, limit: int = 200_000) -> list[tuple[str, str]]:
    """(language, ~3 KB chunk) from the body of every book (header and licence skipped)."""
    chunks = []
    for path in sorted(books.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        body = text[len(text) // 10 : len(text) // 10 + limit]
        chunks += [(path.name[:2], body[i : i + size]) for i in range(0, len(body), size)]
    return chunks


def curation(data: Path) -> list[str]:
    """Per-filter pass rates by language, and docs/s per core of filters and PII redaction."""
    filters = build_filters(None)
    sets = {"books": book_chunks(data / "books")}
    sets["paragraphs"] = [
        (lang, text) for lang, text in read_tsv(data / "langid" / "paragraphs_gutenberg.tsv")
    ]
    out = ["| set | lang | docs | " + " | ".join(f.name for f in filters) + " |"]
    out.append("|---" * (3 + len(filters)) + "|")
    for name, docs in sets.items():
        for lang in sorted({lang for lang, _ in docs}):
            texts = [text for code, text in docs if code == lang]
            rates = [sum(f.check(t, lang) is None for t in texts) / len(texts) for f in filters]
            cells = " | ".join(f"{rate:.3f}" for rate in rates)
            out.append(f"| {name} | {lang} | {len(texts)} | {cells} |")
    docs = sets["books"]
    out += ["", "| 3 KB book chunks, one core | docs/s |", "|---|---|"]
    for f in filters:
        start = time.perf_counter()
        for lang, text in docs:
            f.check(text, lang)
        out.append(f"| {f.name} | {len(docs) / (time.perf_counter() - start):.0f} |")
    start = time.perf_counter()
    for _, text in docs:
        pii.redact(text)
    out.append(f"| {pii.COMPONENT} | {len(docs) / (time.perf_counter() - start):.0f} |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("--data", type=Path, default=default)
    args = parser.parse_args()
    settings = ("SHARPNESS", "MIN_SCORE", "MIN_COVERAGE")
    values = ", ".join(f"{name}={getattr(langid, name, '-')}" for name in settings)
    print(f"`{langid.COMPONENT}`: {values}")
    print()
    print("| set | correct | wrong | und (supported) | und on la/eu/eo/ga | docs/s |")
    print("|---|---|---|---|---|---|")
    for name in SETS:
        shares, rate = accuracy(read_tsv(args.data / "langid" / name))
        print(
            f"| {name} | {shares['correct']:.3f} | {shares['wrong']:.3f} | {shares['und']:.3f} "
            f"| {shares['unknown_und']:.3f} | {rate:.0f} |"
        )
    print()
    print("\n".join(speed(args.data / "books")))
    print()
    print("\n".join(curation(args.data)))


if __name__ == "__main__":
    main()
