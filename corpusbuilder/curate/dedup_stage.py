"""Deduplication over the whole corpus: exact (same text) then near (MinHash + LSH), both with the
explicit keep policy — the most open licence wins, then the earliest ingested — so the survivors
do not depend on the order documents arrived in.

It runs in bounded memory, in three passes over the documents it compares (kept or duplicate),
with files in a local scratch folder:

1. from the ledger in rank order (`ledger.candidates`), so that a document's place in the stream
   is its rank position: (doc_id, status, duplicate_of) to a Parquet file in that order, and
   (text sha256, position, doc_id) parked by the first hex digits of the text's sha256, enough
   of them that a part holds about `TEXTS_PER_PART` texts (two at least, as the signature
   store's first shards);
2. one part at a time: the documents with the same text, grouped. Copies of a text a takedown
   holds are taken down; of the others the best-ranked of each group is kept and the rest are its
   exact duplicates; the kept texts' signatures (from the signature store, computed from the text
   store when missing) go to the out-of-core LSH (`dedup_lsh`), which decides the near duplicates;
3. the documents again in rank order, each decision compared with its status: the verdicts that
   change something.

The removals (exact and near) are parked on disk by rank range as they are found, and the doc_id
of each rank position is written in pass 1 (`removals`), so pass 3 holds one range of removals and
the names of the documents they keep: memory holds no row per document, nor per duplicate.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpusbuilder.curate import dedup, spill
from corpusbuilder.curate.dedup_lsh import NearDedup, partitions_for
from corpusbuilder.curate.removals import REMOVAL, DocIds, RemovalFiles
from corpusbuilder.curate.signatures import SignatureStore, by_shard
from corpusbuilder.ledger import Ledger
from corpusbuilder.ledger import candidates as ledger_candidates
from corpusbuilder.reasons import Reason, Status
from corpusbuilder.sorted_arrays import first_of_each
from corpusbuilder.takedown import HeldCopies
from corpusbuilder.textstore import TextStore

EXACT_COMPONENT = "exact_sha256_v1"
DOCUMENTS = pa.schema([("doc_id", pa.string()), ("status", pa.string()),
                       ("duplicate_of", pa.string())])  # fmt: skip
TEXTS = pa.schema([("sha256", pa.string()), ("position", pa.int64()), ("doc_id", pa.string())])
TEXTS_PER_PART = 1 << 15  # what pass 2 holds at once, with their signatures: ~20 MB
TEXTS_HELD = 1 << 17  # texts pass 1 holds before parking them (~14 MB): one open a part each time


def prefix_digits(documents: int) -> int:
    """How many hex digits of the sha256 part `documents` texts into about TEXTS_PER_PART each."""
    digits = 2
    while documents > TEXTS_PER_PART * 16**digits:
        digits += 1
    return digits


@dataclass(frozen=True)
class Verdict:
    doc_id: str
    status: str
    reason: str
    component: str
    duplicate_of: str | None
    similarity: float | None


@dataclass
class Deduplication:
    """One deduplication of the ledger's compared documents; `config` None: exact only."""

    ledger: Ledger
    openness: Callable[[str | None], int]  # a licence's rank, lower wins
    config: dedup.DedupConfig | None
    signatures: SignatureStore
    texts: TextStore
    held: HeldCopies | None  # the takedowns' held texts, whose copies are taken down
    scratch: Path
    taken: list[str] = field(default_factory=list, init=False)  # doc_ids taken down as copies

    def verdicts(self, run_id: int) -> Iterator[Verdict]:
        """The verdict of every document whose status or duplicate_of changes; the copies of
        held texts are taken down (`taken`) before the first verdict."""
        shutil.rmtree(self.scratch, ignore_errors=True)  # what an interrupted run left
        try:
            self.scratch.mkdir(parents=True)
            names = DocIds(self.scratch)
            total = self._park(names)
            removals = RemovalFiles(self.scratch / "removals", total)
            taken = self._group(total, removals)
            if self.held is not None:
                self.taken = self.held.write(run_id)
            yield from self._changes(removals, names, taken)
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)

    def _park(self, names: DocIds) -> int:
        """Pass 1; returns the number of documents."""
        ranks = {
            licence: self.openness(licence) for licence in ledger_candidates.licences(self.ledger)
        }
        (self.scratch / "texts").mkdir(parents=True)
        digits = prefix_digits(ledger_candidates.count(self.ledger))
        position, held = 0, []
        with pq.ParquetWriter(self.scratch / "documents.parquet", DOCUMENTS) as documents:
            for rows in ledger_candidates.in_rank_order(self.ledger, ranks):
                doc_ids, shas, status, duplicate_of = (
                    list(column) for column in zip(*rows, strict=True)
                )
                columns = {"doc_id": doc_ids, "status": status, "duplicate_of": duplicate_of}
                documents.write_table(pa.table(columns, schema=DOCUMENTS))
                names.extend(doc_ids)
                positions = np.arange(position, position + len(rows))
                held.append(pa.table([shas, positions, doc_ids], schema=TEXTS))
                position += len(rows)
                if sum(map(len, held)) >= TEXTS_HELD:
                    self._park_texts(held, digits)
        self._park_texts(held, digits)
        return position

    def _park_texts(self, held: list[pa.Table], digits: int) -> None:
        """Park the `held` texts by their sha256's first `digits` hex digits, and forget them."""
        if held:
            parts = by_shard(pa.concat_tables(held), digits=digits)
            for prefix, part in parts:
                spill.append(self.scratch / "texts" / f"{prefix}.arrow", part)
        held.clear()

    def _group(self, total: int, removals: RemovalFiles) -> np.ndarray:
        """Pass 2: the exact and near duplicates to `removals`; returns the positions taken down
        (sorted)."""
        lsh = None
        if self.config is not None:
            lsh = NearDedup(self.scratch / "lsh", self.config, partitions_for(total, self.config))
        taken = []
        for path in sorted((self.scratch / "texts").glob("*.arrow")):
            table = spill.read(path).sort_by([("sha256", "ascending"), ("position", "ascending")])
            shas = table["sha256"].to_numpy(zero_copy_only=False)
            positions = table["position"].to_numpy()
            first = first_of_each(shas)
            group = np.cumsum(first) - 1
            held = np.zeros(int(first.sum()), dtype=bool)
            if lsh is not None:
                sigs = self._signatures(list(shas[first]))
                held = self._hold(table, group, sigs)
                lsh.add(positions[first][~held], sigs[~held])
            taken.append(positions[held[group]])
            duplicate = ~first & ~held[group]
            removals.add(_exact(positions[duplicate], positions[first][group][duplicate]))
        for near in lsh.run() if lsh is not None else ():
            removals.add(_near(near))
        return np.sort(np.concatenate([np.empty(0, np.int64), *taken]))

    def _hold(self, table: pa.Table, group: np.ndarray, sigs: np.ndarray) -> np.ndarray:
        """Which texts (rows of `sigs`) copy a held text; their documents are recorded taken."""
        held = np.zeros(len(sigs), dtype=bool)
        if self.held is None:
            return held
        copies = self.held.copies(sigs)
        doc_ids, shas = table["doc_id"].to_pylist(), table["sha256"].to_pylist()
        for i in np.flatnonzero(np.isin(group, list(copies))):
            held[group[i]] = True
            self.held.take(doc_ids[i], shas[i], *copies[int(group[i])])
        return held

    def _signatures(self, shas: list[str]) -> np.ndarray:
        """The signatures of `shas`: from the store, or computed from their texts (and kept)."""
        found, sigs = self.signatures.lookup(shas, self.config.num_perm)
        missing = [sha for sha, ok in zip(shas, found, strict=True) if not ok]
        if missing:  # curated before near-dedup was configured
            pairs = list(self.texts.get_many(missing))
            computed = dedup.signatures([text for _, text in pairs], self.config)
            self.signatures.put([sha for sha, _ in pairs], computed)
            index = {sha: i for i, sha in enumerate(shas)}
            sigs[[index[sha] for sha, _ in pairs]] = computed
        return sigs

    def _changes(
        self, removals: RemovalFiles, names: DocIds, taken: np.ndarray
    ) -> Iterator[Verdict]:
        """Pass 3, a batch of documents at a time."""
        documents = pq.ParquetFile(self.scratch / "documents.parquet")
        start = 0
        for batch in documents.iter_batches():
            rows = batch.to_pydict()
            stop = start + batch.num_rows
            window = removals.between(start, stop)
            kept = names.of(window["kept"])
            removed = {p: (kept[k], s, e) for p, k, s, e in window.tolist()}
            skipped = set(_between(taken, start, stop).tolist())
            for position, doc_id, status, duplicate_of in zip(
                range(start, stop), *rows.values(), strict=True
            ):
                if position not in skipped:
                    verdict = _verdict(doc_id, removed.get(position))
                    if (verdict.status, verdict.duplicate_of) != (status, duplicate_of):
                        yield verdict
            start = stop


def _exact(positions: np.ndarray, kept: np.ndarray) -> np.ndarray:
    removals = np.empty(len(positions), REMOVAL)
    removals["position"], removals["kept"] = positions, kept
    removals["similarity"], removals["exact"] = 1.0, True
    return removals


def _near(near: np.ndarray) -> np.ndarray:
    """`dedup_lsh`'s removed documents as removals."""
    removals = np.empty(len(near), REMOVAL)
    for name in ("position", "kept", "similarity"):
        removals[name] = near[name]
    removals["exact"] = False
    return removals


def _between(values: np.ndarray, start: int, stop: int) -> np.ndarray:
    """The values of a sorted array in [start, stop)."""
    low, high = np.searchsorted(values, [start, stop])
    return values[low:high]


def _verdict(doc_id: str, removal: tuple[str, float, bool] | None) -> Verdict:
    """`removal`: the kept document's doc_id, the similarity and whether the copy is exact."""
    if removal is None:
        return Verdict(doc_id, Status.KEPT, Reason.KEPT, dedup.COMPONENT, None, None)
    kept, similarity, exact = removal
    if exact:
        return Verdict(doc_id, Status.DUPLICATE, Reason.EXACT_DUPLICATE, EXACT_COMPONENT, kept, 1.0)
    return Verdict(
        doc_id, Status.DUPLICATE, Reason.NEAR_DUPLICATE, dedup.COMPONENT, kept, similarity
    )
