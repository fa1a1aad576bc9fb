"""The real bgwiki sample (UTF-16LE with a BOM, bz2) for the adapter contract test.

It holds one article (ns 0) and two project pages (ns 4) that the adapter skips as
``non_content_namespace``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from corpusbuilder.ingest.fetch import Fetcher
from tests.conftest import shared_path


def make(tmp_path: Path) -> tuple[dict[str, Any], Fetcher]:
    dump = shared_path("mediawiki", "bgwiki-latest-pages-articles-shortened.xml.bz2")
    config = {"dump": str(dump), "licence": ["CC-BY-SA-3.0", "GFDL-1.3"]}
    return config, Fetcher(base_dir=tmp_path)
