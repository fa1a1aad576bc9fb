"""The Ray engine: the same function over the same batches, as Ray tasks.

Ray tasks rather than a Ray Data pipeline: the batches come from the driver, which decides
licences and reads texts as it goes, and the results (steps' outcomes, signatures) go back to
it in order; a Dataset would need the whole input up front (``from_items``) or one execution per
ledger batch. The function is put in the object store once; each task carries one batch.

Ray is an optional dependency (``pip install 'corpusbuilder[ray]'``): 240 MB that the default
local engine does not need. The cluster is `address` (``ray://head:10001``, ``auto``), else
``RAY_ADDRESS``, else a local Ray of `workers` CPUs on the loopback interface, stopped at the end;
a Ray this process already started (``ray.init`` in a notebook) is used as it is.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from corpusbuilder.engines.ordered import in_order
from corpusbuilder.errors import UserError

TASKS_PER_CPU = 8  # tasks in flight per CPU of the cluster


class RayMissing(UserError):
    """`engine: ray` is configured and Ray is not installed."""


@dataclass
class RayEngine:
    ray: Any  # the module, imported only when this engine is chosen
    window: int

    def map_batches(self, fn: Callable, batches: Iterable) -> Iterator:
        ray = self.ray
        task = ray.remote(_call)
        shared = ray.put(fn)
        pending: set = set()

        def submit(batch: Any) -> Any:
            ref = task.remote(shared, batch)
            pending.add(ref)
            return ref

        def result(ref: Any) -> Any:
            pending.discard(ref)
            return ray.get(ref)

        try:
            yield from in_order(submit, result, batches, self.window)
        finally:  # stopped early (an error, Ctrl-C): the queued tasks are not left running
            for ref in pending:
                ray.cancel(ref, force=True)


def _call(fn: Callable, batch: Any) -> Any:
    return fn(batch)


@contextmanager
def ray_engine(workers: int, address: str | None) -> Iterator[RayEngine]:
    try:
        import ray
    except ImportError:
        raise RayMissing(
            "engine: ray needs Ray, an optional dependency: pip install 'corpusbuilder[ray]'"
        ) from None
    started = not ray.is_initialized()
    if started:
        _start(ray, workers, _address(address))
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        yield RayEngine(ray, TASKS_PER_CPU * max(cpus, 1))
    finally:
        if started:
            ray.shutdown()


def _address(configured: str | None) -> str | None:
    """The cluster to join: corpus.yaml's, else RAY_ADDRESS's; None: start a local Ray."""
    return configured or os.environ.get("RAY_ADDRESS") or None


def _start(ray: Any, workers: int, address: str | None) -> None:
    quiet = {"logging_level": logging.WARNING, "include_dashboard": False}
    if address:
        ray.init(address=address, **quiet)
    else:  # a new Ray for this command (not one `ray start` left running), on loopback only
        ray.init(address="local", num_cpus=workers, _node_ip_address="127.0.0.1", **quiet)
