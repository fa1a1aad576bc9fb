"""Contract sample for `local`: a JSONL file the test writes, with one bad line."""

from __future__ import annotations

import json
from pathlib import Path

from corpusbuilder.ingest.fetch import Fetcher


def make(tmp_path: Path) -> tuple[dict, Fetcher]:
    lines = [
        {"id": "a", "text": "Cafe\u0301 au lait, written by the test.", "licence": "CC0-1.0",
         "url": "https://example.org/a"},
        {"id": "b", "text": "A second text under CC BY 4.0.", "licence": "CC BY 4.0"},
        {"id": "c", "text": ""},
    ]  # fmt: skip
    with open(tmp_path / "texts.jsonl", "w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line) + "\n")
        handle.write("{not json\n")
    return {"path": "texts.jsonl", "url_prefix": "https://example.org/"}, Fetcher(tmp_path)
