"""Near-duplicate detection across all sources: MinHash + LSH banding, explicit keep policy.

Two steps, so the expensive one parallelises: `signatures` (pure, picklable, batch-vectorised; run
it in a process pool over batches) and the LSH pass over all of them (`dedup_lsh`, out of core;
`near_duplicates` runs it over documents in memory).

Keep policy: documents are visited in `ranks` order (lower wins; the pipeline passes (licence
openness, ingest seq, doc_id), so the most open licence and then the earliest ingested copy is
kept). A document is removed when an already-kept document shares an LSH bucket with it and their
estimated Jaccard is at least `threshold`; it records the most similar such kept document (ties:
the better-ranked one). The result depends only on texts, ranks and config: never on input order,
and a second run over the survivors removes nothing.

Why the defaults (28 bands x 4 rows = 112 permutations, as many as datatrove's 14 x 8; threshold
0.65 rather than the customary 0.8): 0.5-3 % word edits touch up to 5x as many word 5-grams, so a
3 % edit leaves a true Jaccard of only ~0.74-0.78 (measured on Monte Cristo chunks), and a
112-value estimate spreads by +-0.04 around it: at 0.8 such copies are never found, at 0.7 one in
ten is missed. Candidates are verified on the estimate, so the bands can be generous: 28 x 4 makes
a pair at J=0.65 a candidate with p=0.996 (14 x 8: p=0.36) while unrelated texts (J<0.1)
practically never meet; the verification, not the banding, sets the threshold.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from corpusbuilder.curate import dedup_lsh, minhash
from corpusbuilder.steps import Doc, Outcome, Step, keep

COMPONENT = "minhash_lsh_v1"


@dataclass(frozen=True)
class DedupConfig:
    """MinHash/LSH parameters; `num_perm` must equal `bands * rows`."""

    num_perm: int = 112
    bands: int = 28
    rows: int = 4
    ngram: int = 5  # word n-grams of the normalised text
    threshold: float = 0.65  # estimated Jaccard at or above which a candidate is a duplicate
    seed: int = 1  # fixes the hash functions: signatures from different seeds never compare

    def __post_init__(self) -> None:
        if self.bands * self.rows != self.num_perm:
            raise ValueError(
                f"bands x rows must equal num_perm ({self.bands} x {self.rows} != {self.num_perm}):"
                " change one of them"
            )
        if not 0.0 < self.threshold <= 1.0 or self.ngram < 1:
            raise ValueError("threshold must be in (0, 1] and ngram >= 1")


@dataclass(frozen=True)
class NearDuplicate:
    doc_id: str  # the removed document
    duplicate_of: str  # the kept document it duplicates
    similarity: float  # estimated Jaccard of their shingle sets


def signatures(texts: Sequence[str], config: DedupConfig = DedupConfig()) -> np.ndarray:
    """(len(texts), num_perm) uint32 MinHash signatures; an empty text gets all-max values.
    Hashed a slice of texts at a time (`minhash.slices`): a text's signature does not depend on
    its neighbours, and the temporaries stay the size of a slice, not of the batch."""
    return np.concatenate([_signatures(texts[s], config) for s in minhash.slices(texts)])


def _signatures(texts: Sequence[str], config: DedupConfig) -> np.ndarray:
    words, counts = minhash.word_hashes(texts)
    shingles, doc_of = minhash.shingle_hashes(words, counts, config.ngram)
    return minhash.signatures(shingles, doc_of, len(texts), config.num_perm, config.seed)


def _check_inputs(doc_ids: Sequence[str], ranks: Sequence[tuple], sigs, config) -> None:
    if not len(doc_ids) == len(ranks) == len(sigs):
        raise ValueError(
            f"doc_ids, ranks and sigs differ in length ({len(doc_ids)}, {len(ranks)}, {len(sigs)})"
        )
    if sigs.ndim != 2 or sigs.shape[1] != config.num_perm:
        raise ValueError(
            f"sigs has shape {sigs.shape}, expected (n, {config.num_perm}): compute them with"
            " dedup.signatures and the same DedupConfig"
        )
    if len(set(doc_ids)) != len(doc_ids):
        raise ValueError("doc_ids must be unique: deduplicate exact repeats of the same id first")


def near_duplicates(
    doc_ids: Sequence[str], ranks: Sequence[tuple], sigs: np.ndarray, config: DedupConfig
) -> list[NearDuplicate]:
    """The documents to remove, in rank order, each with the kept document it duplicates: the
    out-of-core `dedup_lsh` over documents held in memory (scratch files in a temporary folder)."""
    _check_inputs(doc_ids, ranks, sigs, config)
    order = sorted(range(len(doc_ids)), key=lambda i: (ranks[i], doc_ids[i]))
    positions = np.empty(len(order), dtype=np.int64)
    positions[order] = np.arange(len(order))
    with tempfile.TemporaryDirectory(prefix="corpusbuilder-dedup-") as scratch:
        lsh = dedup_lsh.NearDedup(Path(scratch), config, partitions=4)
        lsh.add(positions, sigs)
        removed = dedup_lsh.gathered(lsh.run())
    return [NearDuplicate(doc_ids[order[r]], doc_ids[order[k]], s) for r, k, s in removed.tolist()]


class MinHashStep(Step):
    """The MinHash signature of each text (its final text: this step runs last), the
    ``signature`` annotation near-dedup compares; settings are ``curate.near_dedup``'s."""

    name = COMPONENT
    stage = "dedup"

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings)
        self.config = DedupConfig(**self.settings)

    @classmethod
    def configure(cls, curate: Mapping[str, Any]) -> MinHashStep:
        return cls(curate.get("near_dedup") or {})

    def described_settings(self) -> dict[str, Any]:
        return dataclasses.asdict(self.config)

    def run(self, docs: Sequence[Doc]) -> list[Outcome]:
        if not docs:
            return []
        sigs = signatures([doc.text for doc in docs], self.config)
        return [keep(signature=row) for row in sigs]
