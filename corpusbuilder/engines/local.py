"""The local engine: the process pool of `pool`, or this process when one worker is asked."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass

from corpusbuilder.engines import pool
from corpusbuilder.engines.ordered import in_order

TASKS_PER_WORKER = 8  # batches in flight per worker: none waits while the driver writes


@dataclass
class LocalEngine:
    executor: Executor
    window: int

    def map_batches(self, fn: Callable, batches: Iterable) -> Iterator:
        submit = lambda batch: self.executor.submit(fn, batch)  # noqa: E731
        return in_order(submit, lambda future: future.result(), batches, self.window)


@contextmanager
def local_engine(workers: int, preload: Sequence[str]) -> Iterator[LocalEngine]:
    with pool.executor(workers, workers > 1, preload=preload) as executor:
        yield LocalEngine(executor, TASKS_PER_WORKER * workers)
