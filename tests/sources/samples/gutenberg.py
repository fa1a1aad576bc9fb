"""The real Project Gutenberg samples in ../shared/data, for the adapter contract test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from corpusbuilder.ingest.fetch import Fetcher
from tests.conftest import shared_path


def make(tmp_path: Path) -> tuple[dict[str, Any], Fetcher]:
    """Catalog and mirror are the sample folder: 1012 yields a document, 23962 (RDF only) a
    ``text_missing`` skip. `tmp_path` is unused: the samples are read in place."""
    root = shared_path("gutenberg")
    config = {"catalog": str(root), "mirror": str(root), "books": [1012, 23962]}
    return config, Fetcher()
