"""How many bytes a new release re-uploads, with and without content-defined chunking (CDC).

Release B is release A (N documents, one shard) with K documents removed, added, or both
(`swap`) in the middle. Each is written with corpusbuilder's writer options, with and without
CDC. The upload is estimated like the Hub's deduplicating (Xet) storage does it: each file cut
into content-defined chunks (gear hash, ~64 KiB average), and B's chunks absent from A counted.

    python bench/cdc_upload.py --docs 4000 --change remove
"""

from __future__ import annotations

import argparse
import hashlib
import random
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corpusbuilder.release import shards

GEAR = [random.Random(seed).getrandbits(64) for seed in range(256)]
MASK = (1 << 16) - 1  # a boundary every ~64 KiB on average
MIN_CHUNK, MAX_CHUNK = 8 * 2**10, 128 * 2**10


def document(index: int, words: list[str]) -> dict:
    rng = random.Random(index)
    text = " ".join(rng.choice(words) for _ in range(rng.randint(200, 900)))
    sha = hashlib.sha256(text.encode()).hexdigest()
    return {"id": f"s/{index}", "text": text, "source": "s", "url": f"https://example.org/{index}"}|{
        "title": f"Title {index}", "creator": None, "date": None, "language": "en",
        "language_score": 0.99, "licence": "CC0-1.0", "licence_url": None, "text_sha256": sha,
        "chars": len(text), "words": len(text.split())}  # fmt: skip


def chunks(data: bytes) -> list[bytes]:
    """Content-defined chunks of `data` (a gear hash, as deduplicating storage cuts files)."""
    found, value, start = [], 0, 0
    for i, byte in enumerate(data):
        value = ((value << 1) + GEAR[byte]) & 0xFFFFFFFFFFFFFFFF
        size = i - start
        if (value & MASK) == 0 and size >= MIN_CHUNK or size >= MAX_CHUNK:
            found.append(data[start : i + 1])
            start, value = i + 1, 0
    return [*found, data[start:]]


def write(rows: list[dict], path: Path, cdc: bool) -> bytes:
    options = dict(shards.SHARD_OPTIONS)
    if not cdc:
        options.pop("use_content_defined_chunking", None)
    with pq.ParquetWriter(path, shards.SCHEMA, **options) as writer:
        writer.write_table(pa.Table.from_pylist(rows, schema=shards.SCHEMA))
    return path.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=4000)
    parser.add_argument("--changed", type=int, default=3)
    parser.add_argument("--change", choices=("remove", "add", "swap"), default="remove")
    args = parser.parse_args()
    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rng.choices(letters, k=rng.randint(2, 9))) for _ in range(20000)]
    n, k = args.docs, args.changed
    a = [document(i, words) for i in range(n)]
    new = [document(n + j, words) for j in range(k)]
    head, tail = a[: n // 2], a[n // 2 :]
    b = {"remove": head[:-k] + tail, "add": head + new + tail, "swap": head[:-k] + new + tail}
    b = b[args.change]
    print(f"{n} documents, {k} {args.change}d in the middle; CDC available:",
          "use_content_defined_chunking" in shards.WRITER_OPTIONS)  # fmt: skip
    folder = Path(tempfile.mkdtemp())
    for cdc in (False, True):
        old, now = write(a, folder / "a.parquet", cdc), write(b, folder / "b.parquet", cdc)
        have = {hashlib.sha256(c).digest() for c in chunks(old)}
        sent = sum(len(c) for c in chunks(now) if hashlib.sha256(c).digest() not in have)
        print(f"  CDC {'on ' if cdc else 'off'}: A {len(old):,} B, B {len(now):,} B;"
              f" B's bytes in chunks A lacks: {sent:,} ({sent / len(now):.1%})")  # fmt: skip


if __name__ == "__main__":
    main()
