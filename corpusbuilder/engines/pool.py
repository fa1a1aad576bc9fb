"""The worker processes curation runs on, made to stop when the command stops.

Ctrl-C goes to the main process alone, which then ends the workers at once rather than waiting
for the tasks queued to them (20-30 s on a large corpus); and a worker ends on its own within a
second of the main process dying, even by SIGKILL, which otherwise leaves it working for minutes.

Memory: a pool's forkserver imports the steps' modules (and loads their read-only models) once,
and its workers share those pages; they do not re-run the main script (`worker_main`). The
forkserver lives as long as its pool, so the next pool (curation after ingest) starts one with
its own modules, and none holds memory between stages.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager

WATCH_INTERVAL = 0.5  # seconds between a worker's checks that the main process is alive
# Workers yield a core to the main process when both want one: it feeds every worker (reads
# texts, decides licences) and writes what they found, and it waited for a core in its ledger
# writes (their CPU was 71-73 % of their wall time on 2 cores; 86-88 % niced, full 20k build).
WORKER_NICENESS = 5
WORKER_MAIN = "corpusbuilder.engines.worker_main"


@contextmanager
def executor(
    workers: int, parallel: bool, preload: Sequence[str] = ("corpusbuilder.curate.analysis",)
) -> Iterator[Executor]:
    """A process pool of `workers` (or this process when not `parallel`), shut down normally when
    the block ends, and ended at once when it raises (Ctrl-C included). The modules of `preload`
    (the steps' own) are imported once, in the forkserver every worker starts from."""
    if not parallel:
        yield _Inline()
        return
    pool = _pool(workers, preload)
    try:
        yield pool
    except BaseException:
        _terminate(pool)
        raise
    else:
        pool.shutdown()
    finally:
        _stop_forkserver()


def _pool(workers: int, preload: Sequence[str]) -> ProcessPoolExecutor:
    """Workers started from a fresh forkserver: they hold the steps' state only, not a copy
    of the parent's ledger, text-store index and signatures."""
    context = multiprocessing.get_context("forkserver")
    _stop_forkserver()  # one started elsewhere would ignore `preload`
    context.set_forkserver_preload([WORKER_MAIN, *preload])
    return ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)
    )


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Drop the queued tasks and end the workers without waiting for the running ones."""
    processes = list((pool._processes or {}).values())  # no public way before Python 3.14
    results = pool._result_queue
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)
    # A worker killed while writing a large result leaves half a message in the pipe, and the
    # pool's manager thread would wait for the rest forever (this process holds the pipe's other
    # writing end), hanging the exit; closing that end turns the wait into an end of file.
    if results is not None:
        results._writer.close()


def _stop_forkserver() -> None:
    """End this process's forkserver, if one runs (multiprocessing keeps one per process, started
    by the first pool with that pool's modules); its workers have ended already."""
    multiprocessing.forkserver._forkserver._stop()  # no public way


def _start_worker(main_pid: int) -> None:
    """In each worker: leave Ctrl-C to the main process, yield a core to it, and watch that it
    is alive. The pid is passed in because a worker's parent is the forkserver, which outlives
    the main process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(WORKER_NICENESS)
    threading.Thread(target=_exit_with, args=(main_pid,), daemon=True).start()


def _exit_with(pid: int) -> None:
    while _alive(pid):
        time.sleep(WATCH_INTERVAL)
    os._exit(1)  # nothing of a worker needs cleaning up: the main process writes everything


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class _Inline(Executor):
    """Runs tasks in this process when the work is too small to be worth a pool."""

    def submit(self, fn, /, *args, **kwargs):
        future = Future()
        future.set_result(fn(*args, **kwargs))
        return future
