"""A release's MinHash signatures as a small file of the release (`layout.SIGNATURES`): one row per
released document (doc_id, config, url, text_sha256, signature), so that `lookup` can say from the
Hub alone whether a text, or a near copy of it, is in the release.

The signatures are those near-dedup computes (same normalisation, shingles and hash functions),
under one fixed `LOOKUP` configuration rather than corpus.yaml's, so the file of a frozen release
has the same bytes whatever the config says today. The configuration is written into the file's
metadata, and a reader computes the query's signature from it.

The file is written a row group of `layout.ROW_GROUP_ROWS` rows at a time (one group before: a
larger release frozen by older code is refused as changed if written again). The signatures are
first gathered into a local file in row order, a part of the release at a time: its rows parked by
as many first hex digits of their sha256 as keep a part near dedup's `TEXTS_PER_PART` (two up to
8.4 M rows, as the signature store's first shards), so each store shard is read once, not once per
row group, and memory holds one part's rows whatever the release's size.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpusbuilder.curate import dedup, spill
from corpusbuilder.curate.dedup import DedupConfig
from corpusbuilder.curate.dedup_stage import prefix_digits
from corpusbuilder.curate.signatures import SignatureStore, by_shard
from corpusbuilder.ledger import Ledger
from corpusbuilder.release import layout, shards
from corpusbuilder.storage import Storage
from corpusbuilder.textstore import TextStore

LOOKUP = DedupConfig()
METADATA_KEY = b"corpusbuilder.minhash"
BATCH = 1000  # texts read and signed at once
SIGNATURE_BYTES = LOOKUP.num_perm * 4  # uint32
COLUMNS = ("doc_id", "config", "url", "text_sha256")
SCHEMA = pa.schema(
    [(name, pa.string()) for name in COLUMNS]
    + [("signature", pa.list_(pa.uint32(), LOOKUP.num_perm))]
).with_metadata({METADATA_KEY: json.dumps(asdict(LOOKUP), sort_keys=True).encode()})


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
    the store when `remember`), the store read once. KeyError names a text missing from the
    text store."""
    found, out = signed.lookup(shas, config.num_perm)
    unfound = np.flatnonzero(~found)
    missing = sorted({shas[i] for i in unfound})
    computed: dict[str, np.ndarray] = {}
    for start in range(0, len(missing), BATCH):
        batch = list(texts.get_many(missing[start : start + BATCH]))
        sigs = dedup.signatures([text for _, text in batch], config)
        if remember:
            signed.put([sha for sha, _ in batch], sigs)
        computed.update(zip((sha for sha, _ in batch), sigs, strict=True))
    for i in unfound:
        out[i] = computed[shas[i]]
    return out


def frozen_rows(ledger: Ledger, version: str) -> pa.Table:
    """The COLUMNS of release `version`'s frozen rows, in their (shard, row) order."""
    return _columns(list(ledger.release_rows(version)))


def _columns(rows: Sequence) -> pa.Table:
    return pa.table({name: pa.array([getattr(r, name) for r in rows], pa.string())
                     for name in COLUMNS})  # fmt: skip


def write(
    folder: Path, ledger: Ledger, version: str, texts: TextStore, root: Path | Storage
) -> None:
    """Write the signature file of release `version` into its `folder`, from its frozen rows in
    their order, a row group at a time; the signatures come from the store under `root` (the
    missing ones are computed and kept there)."""
    path = folder / layout.SIGNATURES
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".signatures-", dir=folder) as work:
        rows, digits = ledger.release_rows(version), prefix_digits(ledger.release_size(version))
        gathered = _gather(rows, digits, texts, store(root), Path(work))
        with (
            open(gathered, "rb") as sigs,
            pq.ParquetWriter(path, SCHEMA, compression="zstd") as writer,
        ):
            for rows in shards.batches(ledger.release_rows(version), layout.ROW_GROUP_ROWS):
                values = pa.array(np.frombuffer(sigs.read(len(rows) * SIGNATURE_BYTES), np.uint32))
                signature = pa.FixedSizeListArray.from_arrays(values, LOOKUP.num_perm)
                table = _columns(rows).append_column("signature", signature)
                writer.write_table(table.cast(SCHEMA))


def _gather(
    rows: Iterable, digits: int, texts: TextStore, signed: SignatureStore, work: Path
) -> Path:
    """A file of the uint32 signatures of `rows`, LOOKUP.num_perm a row, in their order: their
    sha256s are parked by their first `digits` hex digits (`by_shard`), then each part's are
    looked up (or computed and kept) at once and written at their rows' places."""
    count = 0
    for batch in shards.batches(rows, layout.ROW_GROUP_ROWS):
        shas = pa.array([row.text_sha256 for row in batch], pa.string())
        parked = pa.table({"at": np.arange(count, count + len(batch)), "sha256": shas})
        for shard, part in by_shard(parked, digits=digits):
            spill.append(work / f"{shard}.arrow", part)
        count += len(batch)
    gathered = work / "signatures.u32"
    with open(gathered, "wb", buffering=0) as handle:
        handle.truncate(count * SIGNATURE_BYTES)
        for part in sorted(work.glob("*.arrow")):
            parked = spill.read(part)
            sigs = signatures_of(parked["sha256"].to_pylist(), texts, signed, remember=True)
            for at, sig in zip(parked["at"].to_pylist(), sigs, strict=True):
                handle.seek(at * SIGNATURE_BYTES)
                handle.write(sig.tobytes())
    return gathered


def read(path: Path) -> tuple[DedupConfig, pa.Table, np.ndarray]:
    """The configuration, the rows (COLUMNS) and the (n, num_perm) signatures of a file."""
    table = pq.read_table(path)
    config = DedupConfig(**json.loads((table.schema.metadata or {})[METADATA_KEY]))
    signature = table.column("signature").combine_chunks()
    sigs = signature.flatten().to_numpy().reshape(len(table), config.num_perm)
    return config, table.select(list(COLUMNS)), sigs.astype(np.uint32)
