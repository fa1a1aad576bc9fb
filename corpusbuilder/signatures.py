"""MinHash signatures kept between curation runs, keyed by text sha256, in Parquet segments.

A signature is a function of the text and the dedup config only, so curating new documents never
recomputes the old ones, and near-dedup can run over the whole corpus each time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpusbuilder.textstore import write_segment


class SignatureStore:
    def __init__(self, root: Path, config_key: str) -> None:
        self.root = Path(root) / config_key
        self.root.mkdir(parents=True, exist_ok=True)
        self._rows: dict[str, bytes] = {}
        for segment in sorted(self.root.glob("sig-*.parquet")):
            table = pq.read_table(segment)
            self._rows.update(
                zip(table["sha256"].to_pylist(), table["sig"].to_pylist(), strict=True)
            )

    def put(self, shas: Sequence[str], sigs: np.ndarray) -> None:
        new = {
            sha: sig.tobytes() for sha, sig in zip(shas, sigs, strict=True) if sha not in self._rows
        }
        if not new:
            return
        keys = sorted(new)
        table = pa.table({"sha256": keys, "sig": pa.array([new[k] for k in keys], pa.binary())})
        write_segment(self.root, "sig", keys, table)
        self._rows.update(new)

    def get(self, shas: Sequence[str], num_perm: int) -> np.ndarray:
        """(len(shas), num_perm) uint32; KeyError naming the first missing text."""
        out = np.empty((len(shas), num_perm), dtype=np.uint32)
        for i, sha in enumerate(shas):
            out[i] = np.frombuffer(self._rows[sha], dtype=np.uint32)
        return out

    def __contains__(self, sha: str) -> bool:
        return sha in self._rows
