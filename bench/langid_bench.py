"""Accuracy and speed of ``corpusbuilder.langid`` on the shared langid sets and books.

Run: ``python bench/langid_bench.py [--data ../shared/data]``; prints markdown tables.
Accuracy counts `und` apart from wrong labels: on supported languages a wrong label is the cost
that matters; on la, eu, eo, ga (unknown to langdetect) the `und` rate is the figure of merit.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

from corpusbuilder import langid

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


def speed(books: Path) -> list[str]:
    text = (books / "en_monte_cristo.txt").read_text(encoding="utf-8")[100_000:]
    chunks = [text[i : i + 3000] for i in range(0, 300 * 3000, 3000)]
    start = time.perf_counter()
    for chunk in chunks:
        langid.identify(chunk)
    rate = len(chunks) / (time.perf_counter() - start)
    return [
        "| measure | value |",
        "|---|---|",
        f"| docs/s, 3 KB docs (one core) | {rate:.0f} |",
        f"| ms per 2 KB doc | {ms_per_doc(text[:2000]):.2f} |",
        f"| ms per 50 KB doc | {ms_per_doc(text[:50_000]):.2f} |",
        f"| ms per 1 MB doc | {ms_per_doc(text[:1_000_000], 5):.2f} |",
        f"| sampled chars of a 50 KB doc | {sum(map(len, langid.sample(text[:50_000])))} |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("--data", type=Path, default=default)
    args = parser.parse_args()
    print(f"`{langid.COMPONENT}`: MIN_SCORE={langid.MIN_SCORE}, MIN_COVERAGE={langid.MIN_COVERAGE}")
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


if __name__ == "__main__":
    main()
