"""Exact deduplication by text sha256, with an explicit, deterministic keep policy.

In each group of identical texts the document with the lowest rank survives; the caller's rank is
(licence openness, ingest order, doc_id): the most open licence wins, then the earliest ingested.
"""

from __future__ import annotations

from collections.abc import Iterable


def exact_duplicates(docs: Iterable[tuple[str, str, tuple]]) -> dict[str, str | None]:
    """doc_id → the doc_id it duplicates, or None for the survivor of its group."""
    groups: dict[str, list[tuple[tuple, str]]] = {}
    for doc_id, sha, rank in docs:
        groups.setdefault(sha, []).append((rank, doc_id))
    result: dict[str, str | None] = {}
    for members in groups.values():
        members.sort()
        winner = members[0][1]
        for _, doc_id in members:
            result[doc_id] = None if doc_id == winner else winner
    return result
