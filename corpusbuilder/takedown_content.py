"""Near copies of taken-down texts, found the way curation finds near duplicates: the same MinHash
settings, signature store and threshold, with LSH bands picking the candidates to verify.

A held text is known by its sha256: its signature comes from the signature store, or is computed
from the content-addressed text store (and kept) as curation would, so a takedown keeps matching
under a new MinHash configuration too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from corpusbuilder.curate import dedup, dedup_lsh
from corpusbuilder.curate.signatures import SignatureStore
from corpusbuilder.textstore import TextStore


@dataclass(frozen=True)
class Content:
    """Curation's near-dedup settings (None when near-dedup is off) and where signatures are."""

    config: dedup.DedupConfig | None
    signatures: SignatureStore
    store: TextStore

    def signatures_of(self, shas: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """The sha256s of `shas` whose text is known, and their signatures, in that order."""
        missing = [s for s in self.signatures.missing(shas) if s in self.store]
        if missing:  # a text taken down before curation signed it
            texts = [text for _, text in self.store.get_many(missing)]
            self.signatures.put(missing, dedup.signatures(texts, self.config))
        unique = list(dict.fromkeys(shas))
        found, sigs = self.signatures.lookup(unique, self.config.num_perm)
        return [sha for sha, ok in zip(unique, found, strict=True) if ok], sigs[found]

    def near(self, held: Sequence[str], sigs: np.ndarray) -> dict[int, tuple[str, float]]:
        """Row of `sigs` → (the held sha256 it is most similar to, estimated Jaccard), for every
        row at or above the threshold."""
        if self.config is None or not held or not len(sigs):
            return {}
        return self.near_signed(*self.signatures_of(held), sigs)

    def near_signed(
        self, held: Sequence[str], held_sigs: np.ndarray, sigs: np.ndarray
    ) -> dict[int, tuple[str, float]]:
        """`near`, with the held texts' signatures already known (`signatures_of`)."""
        if not held or not len(sigs):
            return {}
        candidate = np.zeros(len(sigs), dtype=bool)
        for band in range(self.config.bands):
            keys = dedup_lsh.band_hash(held_sigs, band, self.config)
            candidate |= np.isin(dedup_lsh.band_hash(sigs, band, self.config), keys)
        found = {}
        for row in np.flatnonzero(candidate):
            similarity = (held_sigs == sigs[row]).mean(axis=1)
            best = int(np.argmax(similarity))
            if similarity[best] >= self.config.threshold:
                found[int(row)] = (held[best], round(float(similarity[best]), 4))
        return found
