"""A decompression bomb ends as a `too_large` skip in bounded memory (issue 8, item 2).

The issue's case: a 505 KB bz2 dump holding one 1 GB page passed 4 GB of memory and left its run
`running`. The bomb is written here at runtime: the page's text is one compressed 1 MiB block of
a repeated letter, repeated (bz2 and gzip both read concatenated streams), so 1 GiB of XML takes
about 50 KB on disk and no time to write. The peak of Python's allocations (`tracemalloc`:
the decompressed chunks and the parser's text are Python objects) is the measure: a limit, not a
timing.
"""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.ingest.runner import ingest
from corpusbuilder.ledger import Ledger
from corpusbuilder.textstore import TextStore
from sources.mediawiki import MediaWikiSource
from tests.helpers import peak_allocated
from tests.sources.test_mediawiki import dump_xml, page

MB = 2**20
PAGE_MB = 1024  # the page's text: 1 GiB once decompressed


def _bomb(path: Path, compress) -> None:
    """A dump: one small page, one page of `PAGE_MB` MiB of text, then a page never reached."""
    head, tail = dump_xml(
        page(1, "Petit", "Un petit texte."), page(2, "Bombe", "@@"), page(3, "Après", "Texte.")
    ).split("@@")
    block = compress(b"a" * MB)
    with path.open("wb") as out:
        out.write(compress(head.encode()))
        for _ in range(PAGE_MB):
            out.write(block)
        out.write(compress(tail.encode()))


def _ingest_measured(dump: Path, folder: Path) -> tuple[int, Ledger, dict]:
    """Ingest `dump` with a 1 MiB limit: the peak of Python's allocations, the ledger, counts."""
    ledger = Ledger(f"sqlite:///{folder}/ledger.sqlite")
    options = {"dump": str(dump), "licence": "CC-BY-SA-4.0", "max_document_bytes": MB}
    store, adapter = TextStore(folder / "texts"), MediaWikiSource(options)
    result, peak = peak_allocated(
        lambda: ingest(ledger, store, "wiki", adapter, Fetcher(), progress=False)
    )
    return peak, ledger, dict(result.counts)


def test_a_1_gb_page_in_a_small_bz2_dump_is_a_too_large_skip_in_bounded_memory(tmp_path):
    dump = tmp_path / "bomb.xml.bz2"
    _bomb(dump, bz2.compress)
    assert dump.stat().st_size < 100_000  # the bomb was 505 KB
    peak, ledger, counts = _ingest_measured(dump, tmp_path)
    assert peak < 40 * MB  # 1 MiB limit → at most 7 MiB of XML read at once, not 1 GiB
    assert [run.status for run in ledger.runs()] == ["completed"]  # never left `running`
    assert (counts["new"], counts["skipped:too_large"]) == (1, 1)
    location = dump.as_uri()
    documents = [(d.doc_id, d.reason) for d in ledger.documents()]
    assert documents == [("wiki/1", "ingested"), (f"wiki/{location}", "too_large")]
    [decision] = ledger.decisions(f"wiki/{location}")
    assert decision.detail == (  # page 3 comes after the bomb: it cannot be reached
        f"page 2 ('Bombe'): a revision holds more than {6 * MB + MB} bytes of XML;"
        " the rest of the dump cannot be reached (raise max_document_bytes)"
    )


def test_a_gzip_bomb_is_read_no_further_than_its_budget(tmp_path):
    dump = tmp_path / "bomb.xml.gz"
    _bomb(dump, gzip.compress)
    adapter = MediaWikiSource({"dump": str(dump), "licence": "CC0-1.0", "max_document_bytes": MB})
    items, peak = peak_allocated(lambda: list(adapter.documents(Fetcher())))
    assert peak < 40 * MB  # the budget is 7 MiB of XML; the page is 1 GiB
    assert [(i.source_key, getattr(i, "reason", "document")) for i in items] == [
        ("1", "document"),
        (dump.as_uri(), "too_large"),
    ]
