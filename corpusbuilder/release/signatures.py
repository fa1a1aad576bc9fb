"""A release's MinHash signatures as a small file of the release (`layout.SIGNATURES`): one row per
released document (doc_id, config, url, text_sha256, signature), so that `lookup` can say from the
Hub alone whether a text, or a near copy of it, is in the release.

The signatures are those near-dedup computes (same normalisation, shingles and hash functions),
under one fixed `LOOKUP` configuration rather than corpus.yaml's, so the file of a frozen release
has the same bytes whatever the config says today. The configuration is written into the file's
metadata, and a reader computes the query's signature from it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpusbuilder.curate import dedup
from corpusbuilder.curate.dedup import DedupConfig
from corpusbuilder.curate.signatures import SignatureStore
from corpusbuilder.ledger import Ledger
from corpusbuilder.release import layout
from corpusbuilder.storage import Storage
from corpusbuilder.textstore import TextStore

LOOKUP = DedupConfig()
METADATA_KEY = b"corpusbuilder.minhash"
BATCH = 1000  # texts read and signed at once
COLUMNS = ("doc_id", "config", "url", "text_sha256")


def store(root: Path | Storage, config: DedupConfig = LOOKUP) -> SignatureStore:
    """The signature store curation keeps for `config` (the same key as the curator's)."""
    return SignatureStore(root, f"{config.num_perm}-{config.ngram}-{config.seed}")


def signatures_of(
    shas: Sequence[str],
    texts: TextStore,
    signed: SignatureStore,
    remember: bool = False,
    config: DedupConfig = LOOKUP,
) -> np.ndarray:
    """(len(shas), num_perm) signatures: from the store, or computed from the texts (and put in
    the store when `remember`). KeyError names a text missing from the text store."""
    missing = sorted(signed.missing(shas))
    computed: dict[str, np.ndarray] = {}
    for start in range(0, len(missing), BATCH):
        batch = list(texts.get_many(missing[start : start + BATCH]))
        sigs = dedup.signatures([text for _, text in batch], config)
        if remember:
            signed.put([sha for sha, _ in batch], sigs)
        computed.update(zip((sha for sha, _ in batch), sigs, strict=True))
    found, out = signed.lookup(shas, config.num_perm)
    for i in np.flatnonzero(~found):
        out[i] = computed[shas[i]]
    return out


def frozen_rows(ledger: Ledger, version: str) -> pa.Table:
    """The COLUMNS of release `version`'s frozen rows, in their (shard, row) order."""
    rows = list(ledger.release_rows(version))
    return pa.table({name: pa.array([getattr(r, name) for r in rows], pa.string())
                     for name in COLUMNS})  # fmt: skip


def write(
    folder: Path, ledger: Ledger, version: str, texts: TextStore, root: Path | Storage
) -> None:
    """Write the signature file of release `version` into its `folder`, from its frozen rows in
    their order; the signatures come from the store under `root` (the missing ones are computed
    and kept there)."""
    rows = frozen_rows(ledger, version)
    sigs = signatures_of(rows["text_sha256"].to_pylist(), texts, store(root), remember=True)
    values = pa.array(sigs.ravel(), pa.uint32())
    table = rows.append_column(
        "signature", pa.FixedSizeListArray.from_arrays(values, LOOKUP.num_perm)
    )
    metadata = {METADATA_KEY: json.dumps(asdict(LOOKUP), sort_keys=True).encode()}
    path = folder / layout.SIGNATURES
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.replace_schema_metadata(metadata), path, compression="zstd")


def read(path: Path) -> tuple[DedupConfig, pa.Table, np.ndarray]:
    """The configuration, the rows (COLUMNS) and the (n, num_perm) signatures of a file."""
    table = pq.read_table(path)
    config = DedupConfig(**json.loads((table.schema.metadata or {})[METADATA_KEY]))
    signature = table.column("signature").combine_chunks()
    sigs = signature.flatten().to_numpy().reshape(len(table), config.num_perm)
    return config, table.select(list(COLUMNS)), sigs.astype(np.uint32)
