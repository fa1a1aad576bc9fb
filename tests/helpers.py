"""Corpora the tests write themselves (real samples live in ../shared/data)."""

from __future__ import annotations

import json
import shutil
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import yaml

from corpusbuilder.ledger.store import Ledger
from corpusbuilder.project import Project
from corpusbuilder.source import SourceAdapter
from tests import ledger_backend


def ledger_holding(url: str, documents: list[dict]) -> Ledger:
    """A ledger at `url` whose one ingest run wrote `documents` (each with at least doc_id "s/…",
    seq and status) from source "s"."""
    ledger = Ledger(url)
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    rows = [{"source": "s", "source_key": row["doc_id"][2:], "ingested_at": when} | row
            for row in documents]  # fmt: skip
    ledger.write_ingest_batch(rows, [], [], [], ledger.start_run("ingest", "s"), None)
    return ledger


def write_corpus(folder: Path, records: list[dict], **sections) -> Path:
    """A corpus.yaml with one `local` source reading `records` as JSONL; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "texts.jsonl", "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    config = {
        "name": "test-corpus",
        "sources": [
            {
                "name": "t",
                "adapter": "local",
                "path": "texts.jsonl",
                "url_prefix": "https://example.org/texts/",
            }
        ],  # fmt: skip
        "curate": {"filters": {}},
        **ledger_backend.ledger_of(folder / "corpus.yaml"),
        **sections,
    }
    path = folder / "corpus.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def demo_project(folder: Path) -> Project:
    """A copy of the shipped demo corpus in `folder`, opened without progress bars."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("corpus.yaml", "texts.jsonl"):
        with resources.as_file(resources.files("corpusbuilder") / "demo" / name) as path:
            shutil.copyfile(path, folder / name)
    if ledger := ledger_backend.new_ledger():
        config = folder / "corpus.yaml"
        config.write_text(config.read_text(encoding="utf-8") + yaml.safe_dump(ledger))
    return Project.open(folder / "corpus.yaml", progress=False)


class Fixed(SourceAdapter):
    """An adapter that yields the items it was given, for ingest tests."""

    name, version = "fixed", "0"

    def __init__(self, items):
        super().__init__()
        self.items = items

    def documents(self, fetch, limit=None, resume=None):
        yield from self.items


def peak_allocated(run: Callable[[], object]) -> tuple[object, int]:
    """What `run()` returns, and the peak of Python's allocations (bytes) while it ran."""
    tracemalloc.start()
    try:
        result = run()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
