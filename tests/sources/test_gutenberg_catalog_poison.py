"""Poison rows in PG's ``pg_catalog.csv`` are one recorded skip each (issue 8, item 1).

The fixtures copy the real catalog's header line and quoting (a field holding a comma or a line
break is double-quoted) from the sample in ../shared/data, then add one poison row among real ones.
"""

from __future__ import annotations

import csv
import tracemalloc

from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.ingest.runner import ingest
from corpusbuilder.ledger import Ledger
from corpusbuilder.textstore import TextStore
from sources.gutenberg import GutenbergSource
from tests.conftest import shared_path

REAL = "pg_catalog_excerpt_rows1-29.csv"


def _catalog(tmp_path, poison: list[str], at: int = 3):
    """The real catalog with the `poison` row written after its `at`-th record."""
    lines = shared_path("gutenberg", REAL).read_text(encoding="utf-8").splitlines(keepends=True)
    rows = list(csv.reader(lines))
    header, records = rows[0], rows[1:]
    path = tmp_path / "pg_catalog.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")  # the real file: LF, minimal quoting
        writer.writerow(header)
        writer.writerows(records[:at])
        writer.writerow(poison)
        writer.writerows(records[at:])
    assert path.read_text(encoding="utf-8").startswith(lines[0])  # the real header line
    return path, len(records)


def _ingest(tmp_path, catalog):
    ledger = Ledger("sqlite://")
    adapter = GutenbergSource({"catalog": str(catalog), "mirror": str(tmp_path / "mirror")})
    fetch = Fetcher(tmp_path)
    result = ingest(ledger, TextStore(tmp_path / "texts"), "pg", adapter, fetch, progress=False)
    return ledger, result


def _physical_line(catalog, marker: str) -> int:
    for number, line in enumerate(catalog.read_text(encoding="utf-8").splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(marker)


def test_a_field_over_128_kb_is_one_skip_and_the_rest_is_ingested(tmp_path):
    huge = "Fiction -- " * 20_000  # 220 KB, over csv's field_size_limit (131,072)
    poison = ["90001", "Text", "2020-01-01", "Huge, subject", "en", "Doe, Jane", huge, "PR", ""]
    catalog, real_rows = _catalog(tmp_path, poison)
    ledger, result = _ingest(tmp_path, catalog)
    line = _physical_line(catalog, "90001")
    skip = ledger.document(f"pg/#line:{line}")
    assert (skip.status, skip.reason) == ("skipped", "malformed_metadata")
    [decision] = ledger.decisions(skip.doc_id)
    assert decision.detail.startswith(f"{catalog.as_uri()}#line={line}: ")
    assert "field larger than field limit (131072)" in decision.detail
    assert result.counts["skipped:text_missing"] == real_rows  # every real row got through
    assert result.counts["seen"] == real_rows + 1


def test_a_5000_digit_ebook_number_is_one_skip_and_the_rest_is_ingested(tmp_path):
    poison = ["9" * 5000, "Text", "2020-01-01", "Long number", "en", "Doe, Jane", "", "", ""]
    catalog, real_rows = _catalog(tmp_path, poison, at=10)
    ledger, result = _ingest(tmp_path, catalog)
    line = _physical_line(catalog, "9" * 5000)
    skip = ledger.document(f"pg/#line:{line}")
    assert (skip.status, skip.reason) == ("skipped", "malformed_metadata")
    [decision] = ledger.decisions(skip.doc_id)
    assert decision.detail == (
        f"{catalog.as_uri()}#line={line}: Text# has 5000 characters, not an ebook number"
    )
    assert result.counts["skipped:text_missing"] == real_rows
    assert dict(ingest_again(tmp_path, ledger, catalog).counts) == {
        "seen": real_rows + 1,
        "unchanged": real_rows + 1,
        "repeated_source_key": 0,
    }


def ingest_again(tmp_path, ledger, catalog):
    adapter = GutenbergSource({"catalog": str(catalog), "mirror": str(tmp_path / "mirror")})
    return ingest(
        ledger, TextStore(tmp_path / "texts"), "pg", adapter, Fetcher(tmp_path), progress=False
    )


def test_a_catalog_line_over_the_limit_is_a_too_large_skip_read_in_bounded_memory(tmp_path):
    huge = "Fiction -- " * 300_000  # a 3.3 MB line: past csv's field limit and the 1 MB bound
    poison = ["90002", "Text", "2020-01-01", "Huge", "en", "Doe, Jane", huge, "PR", ""]
    catalog, real_rows = _catalog(tmp_path, poison, at=5)
    line = _physical_line(catalog, "90002")
    options = {"catalog": str(catalog), "mirror": str(tmp_path), "max_document_bytes": 2**20}
    tracemalloc.start()
    try:
        items = list(GutenbergSource(options).documents(Fetcher()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20  # the line is never held whole
    [skip] = [i for i in items if i.source_key == f"#line:{line}"]
    assert skip.reason == "too_large"
    physical = catalog.read_text(encoding="utf-8").split("\n")[line - 1] + "\n"
    assert physical.startswith("90002,")
    assert skip.detail == (
        f"{catalog.as_uri()}#line={line}: the line has {len(physical)} characters, over"
        " max_document_bytes (1048576); raise it to keep such documents"
    )
    assert sum(i.reason == "text_missing" for i in items) == real_rows
