"""A small local Parquet dataset with a card, for the adapter contract test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from corpusbuilder.ingest.fetch import Fetcher

CARD = "---\nlicense: cc-by-4.0\nlanguage:\n- en\n- fr\n---\n# Sample corpus\n"

ROWS = [
    {"identifier": "doc-1", "text": "Cafe\u0301 au lait.", "license": "CC-BY-4.0", "lang": "fr"},
    {"identifier": "doc-2", "text": "An old story.", "license": "Public Domain", "lang": "en"},
    {"identifier": None, "text": "A row without an id.", "license": "CC0-1.0", "lang": "en"},
    {"identifier": "doc-3", "text": "   ", "license": "CC-BY-SA-4.0", "lang": "en"},
    {"identifier": "doc-4", "text": "Shared alike.", "license": "CC-BY-SA-4.0", "lang": "en"},
]


def make(tmp_path: Path) -> tuple[dict[str, Any], Fetcher]:
    """Write the dataset under `tmp_path`; the config names it relative to the fetcher's base."""
    folder = tmp_path / "hf_sample"
    folder.mkdir()
    (folder / "README.md").write_text(CARD, encoding="utf-8")
    pq.write_table(pa.Table.from_pylist(ROWS), folder / "train.parquet")
    config = {
        "path": "hf_sample",
        "columns": {"text": "text", "id": "identifier", "licence": "license", "language": "lang"},
    }
    return config, Fetcher(base_dir=tmp_path)
