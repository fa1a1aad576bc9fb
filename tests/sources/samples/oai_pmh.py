"""Contract sample for `oai_pmh`: a loopback server answering with real arXiv records.

The first page is the real arXiv ListRecords response (three records, each with ``<license>``);
its resumptionToken leads to a page this sample writes, holding one deleted record (a skip).
The server stops when the returned fetcher is garbage collected (or at interpreter exit).
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any

from corpusbuilder.ingest.fetch import Fetcher
from tests.oai_server import OaiServer, envelope, identify, real, with_token

DELETED = (
    '<record><header status="deleted"><identifier>oai:arXiv.org:0000.00000</identifier>'
    "<datestamp>2017-12-14</datestamp></header></record>"
)


def make(tmp_path: Path) -> tuple[dict[str, Any], Fetcher]:
    """Start the server; `tmp_path` is unused (the responses are served from memory)."""
    first = real("arxiv", "ListRecords_arXiv_physics-hep-ex_2017-12-14.xml")
    pages = {
        "Identify": identify(),
        "ListRecords": with_token(first, "deleted-page"),
        "deleted-page": envelope(DELETED),
    }
    server = OaiServer(pages)
    fetcher = Fetcher(base_dir=tmp_path, min_interval=0, max_attempts=2, backoff=0)
    weakref.finalize(fetcher, server.close)
    return {"base_url": server.url, "metadata_prefix": "arXiv"}, fetcher
