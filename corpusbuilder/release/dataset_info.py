"""The card's `dataset_info`: each data config's features and sizes, in the form `datasets` reads
(`DatasetInfosDict.to_dataset_card_data` writes it). Features come from the shards' fixed
schema; sizes from the shards as written (rows, bytes on disk, bytes uncompressed), which are a
function of the frozen rows, so the card stays byte-identical.

`datasets` (and pandas with it: ~65 MiB and ~1.5 s) is imported when a card is written, not when
this module is: every command and curation worker would pay it otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq

from corpusbuilder.release import layout, shards

if TYPE_CHECKING:
    from datasets import Features
    from datasets.info import DatasetInfo
    from huggingface_hub import DatasetCardData

# What each column of a data config holds, in the schema's order (the card and croissant.json).
COLUMNS = {
    "id": "the document's stable id, `<source>/<key in the source>`",
    "text": "the text as released (after PII redaction)",
    "source": "the source it was ingested from (see Sources)",
    "url": "where the text is published at its origin",
    "title": "its title, as the source gives it",
    "creator": "its author(s), as the source gives them (for attribution)",
    "date": "its date, as the source gives it",
    "language": "the language identified from the text (ISO 639 code; `und`: undetermined)",
    "language_score": "the identifier's confidence in `language`, 0 to 1",
    "licence": "the licence it is released under (SPDX id where one exists)",
    "licence_url": "the URL of that licence's text",
    "text_sha256": "sha256 of `text` in UTF-8: the key to its provenance record",
    "chars": "characters of `text`",
    "words": "whitespace-separated words of `text`",
}


@cache
def features() -> Features:
    """The `datasets` features of a data config: the shards' schema."""
    from datasets import Features

    return Features.from_arrow_schema(shards.SCHEMA)


def _sizes(folder: Path, paths: list[str]) -> tuple[int, int, int]:
    """(rows, uncompressed bytes, file bytes) of the shards `paths` under `folder`."""
    rows = uncompressed = size = 0
    for path in paths:
        meta = pq.ParquetFile(folder / path).metadata
        rows += meta.num_rows
        uncompressed += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        size += (folder / path).stat().st_size
    return rows, uncompressed, size


def _info(folder: Path, paths: list[str]) -> DatasetInfo:
    from datasets import SplitDict, SplitInfo
    from datasets.info import DatasetInfo

    rows, uncompressed, size = _sizes(folder, paths)
    splits = SplitDict()
    splits.add(SplitInfo(name="train", num_bytes=uncompressed, num_examples=rows))
    return DatasetInfo(
        features=features(), splits=splits, download_size=size, dataset_size=uncompressed
    )


def add(card_data: DatasetCardData, folder: Path, configs: Iterable[str], files: Iterable[str]):
    """Set `dataset_info` of `card_data`: one entry per language config and one for the `all`
    config, from the shards under `folder` (`files` lists the release's paths)."""
    from datasets.info import DatasetInfosDict

    data = sorted(path for path in files if layout.is_data(path))
    infos = DatasetInfosDict()
    for config in configs:
        prefix = f"{layout.DATA}/{config}/"
        infos[config] = _info(folder, [p for p in data if p.startswith(prefix)])
    infos[layout.ALL_CONFIG] = _info(folder, data)
    infos.to_dataset_card_data(card_data)
