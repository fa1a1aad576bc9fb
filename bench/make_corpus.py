"""Build a benchmark corpus with seeded near and exact duplicates from the 20 shared PG books.

    python bench/make_corpus.py --docs 20000 --out bench/out/corpus-20000

Writes corpus.jsonl (`{"id","text","licence","url","title"}`, the `local` adapter's format) and
truth.jsonl (`{"id","original","kind"}`; kind is original, near_edit, near_header, near_whitespace
or exact). 85 % originals, 10 % near-duplicates, 5 % exact duplicates, shuffled.

The books hold 18 MB, far less than 20,000 distinct ~3 KB documents need, so an original is not a
contiguous chunk: it is a run of paragraphs, each 1-5 consecutive sentences from a random place in
one book, so its text reads naturally locally, stays in one language, and two originals share
almost no word 5-grams (exact repeats among originals are redrawn).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
from pathlib import Path

BOOKS = Path(__file__).resolve().parents[2] / "shared" / "data" / "books"
PG_NUMBERS = {
    "de_alice": 19778, "en_alice": 11, "fr_alice": 55456, "it_alice": 28371,
    "en_don_quixote": 996, "es_don_quixote": 2000, "fr_don_quixote": 42524,
    "en_pinocchio": 500, "it_pinocchio": 52484, "en_monte_cristo": 1184,
    "fr_monte_cristo_1": 17989, "fr_monte_cristo_2": 17990, "fr_monte_cristo_3": 17991,
    "fr_monte_cristo_4": 17992, "it_monte_cristo": 1184, "de_faust_1": 2229, "de_faust_2": 2230,
    "en_faust_1": 14460, "es_faust_1": 68566, "fr_faust_1": 54202,
}  # fmt: skip
HEADERS = [
    "Transcribed from the 1888 edition by volunteers.",
    "Digitised by the Example Library, 2019. Scan quality: good.",
    "This text was proofread twice; report errors to the maintainers.",
]
FOOTERS = [
    "End of this part.",
    "Page numbers have been removed.",
    "-- continued in the next file --",
]
SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")


def pg_body(text: str) -> str:
    """Crude PG header/footer strip: the text between the START and END marker lines."""
    start = re.search(r"\*\*\* ?START OF.*\n", text)
    end = re.search(r"\*\*\* ?END OF", text)
    return text[start.end() if start else 0 : end.start() if end else len(text)]


def load_sentences(books: Path) -> dict[str, list[str]]:
    """Each book's sentences, hard line wraps undone."""
    out = {}
    for path in sorted(books.glob("*.txt")):
        body = pg_body(path.read_text(encoding="utf-8", errors="replace"))
        paragraphs = (" ".join(p.split()) for p in re.split(r"\n\s*\n", body))
        out[path.stem] = [s for p in paragraphs if p for s in SENTENCE_END.split(p) if s]
    return out


def draw_size(rng: random.Random) -> int:
    """Log-normal size, median 3 KB, clipped to 300 chars .. 50 KB."""
    return int(min(50_000, max(300, rng.lognormvariate(math.log(3000), 0.85))))


def original_text(sentences: list[str], size: int, rng: random.Random) -> str:
    paragraphs, length = [], 0
    while length < size:
        start, count = rng.randrange(len(sentences)), rng.randint(1, 5)
        paragraph = " ".join(sentences[start : start + count])
        paragraphs.append(paragraph[: max(size - length, 200)])
        length += len(paragraphs[-1]) + 2
    return "\n\n".join(paragraphs)


def edit_words(text: str, rng: random.Random) -> str:
    """0.5-3 % of the words substituted, deleted or inserted (at least one edit)."""
    words = text.split(" ")
    for _ in range(max(1, round(len(words) * rng.uniform(0.005, 0.03)))):
        at, op = rng.randrange(len(words)), rng.choice("sdi")
        if op == "s":
            words[at] = rng.choice(words)
        elif op == "d" and len(words) > 1:
            del words[at]
        else:
            words.insert(at, rng.choice(words))
    return " ".join(words)


def add_lines(text: str, rng: random.Random) -> str:
    header = rng.choice(HEADERS) + "\n\n" if rng.random() < 0.7 else ""
    footer = "\n\n" + rng.choice(FOOTERS) if not header or rng.random() < 0.5 else ""
    return header + text + footer


def change_whitespace(text: str, rng: random.Random) -> str:
    """Re-wrapped lines, doubled spaces, trailing blanks: only the layout changes."""
    words, lines, line = text.split(" "), [], []
    width = rng.randint(50, 90)
    for word in words:
        line.append(word)
        if sum(len(w) + 1 for w in line) > width:
            lines.append(rng.choice([" ", "  "]).join(line) + rng.choice(["", " ", "\t"]))
            line = []
    return "\n".join(lines + [" ".join(line)]) + "\n"


NEAR_KINDS = {
    "near_edit": edit_words,
    "near_header": add_lines,
    "near_whitespace": change_whitespace,
}


def build(docs: int, seed: int, books: Path = BOOKS) -> tuple[list[dict], list[dict]]:
    """(records, truth) for `docs` documents, shuffled; deterministic for a seed."""
    rng = random.Random(seed)
    sentences = load_sentences(books)
    names = sorted(sentences)
    weights = [sum(map(len, sentences[n])) for n in names]
    n_near, n_exact = docs // 10, docs // 20
    originals, seen = [], set()
    while len(originals) < docs - n_near - n_exact:
        book = rng.choices(names, weights)[0]
        text = original_text(sentences[book], draw_size(rng), rng)
        if text not in seen:
            seen.add(text)
            originals.append((book, text))
    items = [(book, text, i, "original") for i, (book, text) in enumerate(originals)]
    for i in range(n_near + n_exact):
        source = rng.randrange(len(originals))
        book, text = originals[source]
        kind = rng.choice(sorted(NEAR_KINDS)) if i < n_near else "exact"
        copy = NEAR_KINDS[kind](text, rng) if kind != "exact" else text
        items.append((book, copy, source, kind))
    rng.shuffle(items)
    return _records(items, rng)


def _records(items: list, rng: random.Random) -> tuple[list[dict], list[dict]]:
    """JSONL records and ground truth; ids follow the shuffled order."""
    ids = [f"bench-{i:07d}" for i in range(len(items))]
    original_id = {item[2]: i for i, item in zip(ids, items, strict=True) if item[3] == "original"}
    records, truth = [], []
    for doc_id, (book, text, source, kind) in zip(ids, items, strict=True):
        licence = "CC-BY-4.0" if rng.random() < 0.1 else "Public domain in the USA."
        url = f"https://www.gutenberg.org/ebooks/{PG_NUMBERS[book]}#{doc_id}"
        records.append({"id": doc_id, "text": text, "licence": licence, "url": url, "title": book})
        truth.append({"id": doc_id, "original": original_id[source], "kind": kind})
    return records, truth


def write(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--books", type=Path, default=BOOKS, help="folder of <lang>_<book>.txt")
    parser.add_argument("--out", type=Path, help="folder (default bench/out/corpus-<docs>)")
    args = parser.parse_args(argv)
    if not args.books.is_dir():
        parser.error(f"{args.books} is not a folder: pass --books pointing at shared/data/books")
    out = args.out or Path(__file__).parent / "out" / f"corpus-{args.docs}"
    out.mkdir(parents=True, exist_ok=True)
    records, truth = build(args.docs, args.seed, args.books)
    write(out / "corpus.jsonl", records)
    write(out / "truth.jsonl", truth)
    print(f"{len(records)} documents in {out / 'corpus.jsonl'}, ground truth in truth.jsonl")
    return out


if __name__ == "__main__":
    main()
