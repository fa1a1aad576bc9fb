"""Where curation's steps run: an engine maps a function over batches of documents in workers
and hands the results back in order, so the runner in the driver stays the only writer of the
ledger. ``local`` (the default) is a process pool on this machine; ``ray`` runs the same function
as Ray tasks, on a local Ray or a cluster. corpus.yaml chooses one under ``engine:``, outside
``curate:`` because where the steps run changes nothing of what they decide (a release's config
hash, and so its manifest hash, are the same on every engine).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol, TypeVar

Batch = TypeVar("Batch")
Result = TypeVar("Result")
NAMES = ("local", "ray")


class Engine(Protocol):
    def map_batches(
        self, fn: Callable[[Batch], Result], batches: Iterable[Batch]
    ) -> Iterator[Result]:
        """`fn` over every batch, in workers; the results in the order of `batches`, with a
        bounded number of batches in flight, so memory does not grow with the corpus."""


def open_engine(
    name: str, workers: int, *, address: str | None = None, preload: Sequence[str] = ()
) -> AbstractContextManager[Engine]:
    """The engine called `name`, started for the block: a pool of `workers` processes
    (`preload`: modules its workers import once), or Ray at `address` (a local Ray of
    `workers` CPUs when neither `address` nor RAY_ADDRESS is given)."""
    if name == "ray":
        from corpusbuilder.engines.ray import ray_engine

        return ray_engine(workers, address)
    from corpusbuilder.engines.local import local_engine

    return local_engine(workers, preload)
