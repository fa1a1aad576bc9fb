"""Deduplication over the whole corpus: exact (same text) then near (MinHash + LSH), both with the
explicit keep policy — the most open licence wins, then the earliest ingested — so the survivors
do not depend on the order documents arrived in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from corpusbuilder import dedup
from corpusbuilder.dedup_exact import exact_duplicates
from corpusbuilder.reasons import Reason, Status

EXACT_COMPONENT = "exact_sha256_v1"


@dataclass(frozen=True)
class Candidate:
    doc_id: str
    text_sha256: str
    rank: tuple  # (licence openness, ingest seq, doc_id): lower wins
    status: str
    duplicate_of: str | None


@dataclass(frozen=True)
class Verdict:
    doc_id: str
    status: str
    reason: str
    component: str
    duplicate_of: str | None
    similarity: float | None


def decide(
    candidates: Sequence[Candidate], sigs, config: dedup.DedupConfig | None
) -> list[Verdict]:
    """The verdict of every candidate whose status or duplicate_of changes."""
    exact = exact_duplicates((c.doc_id, c.text_sha256, c.rank) for c in candidates)
    verdicts: dict[str, Verdict] = {}
    for c in candidates:
        if exact[c.doc_id] is not None:
            verdicts[c.doc_id] = Verdict(
                c.doc_id,
                Status.DUPLICATE,
                Reason.EXACT_DUPLICATE,
                EXACT_COMPONENT,
                exact[c.doc_id],
                1.0,
            )
    survivors = [i for i, c in enumerate(candidates) if exact[c.doc_id] is None]
    if config is not None and survivors:
        ids = [candidates[i].doc_id for i in survivors]
        ranks = [candidates[i].rank for i in survivors]
        for near in dedup.near_duplicates(ids, ranks, sigs[survivors], config):
            verdicts[near.doc_id] = Verdict(
                near.doc_id,
                Status.DUPLICATE,
                Reason.NEAR_DUPLICATE,
                dedup.COMPONENT,
                near.duplicate_of,
                near.similarity,
            )
    changes = []
    for c in candidates:
        verdict = verdicts.get(c.doc_id) or Verdict(
            c.doc_id, Status.KEPT, Reason.KEPT, dedup.COMPONENT, None, None
        )
        if (verdict.status, verdict.duplicate_of) != (c.status, c.duplicate_of):
            changes.append(verdict)
    return changes
