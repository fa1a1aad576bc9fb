"""Workers yield a core to the main process when both want one (pool.WORKER_NICENESS): the main
process feeds every worker and writes what they found, so while it waits for a core they soon
wait for it. Whether that pays is measured in bench/, not here."""

from __future__ import annotations

import os

from corpusbuilder.engines import pool


def test_workers_run_at_a_lower_priority_than_the_main_process():
    own = os.getpriority(os.PRIO_PROCESS, 0)
    with pool.executor(2, True) as workers:
        found = {workers.submit(os.getpriority, os.PRIO_PROCESS, 0).result() for _ in range(4)}
    assert found == {min(own + pool.WORKER_NICENESS, 19)}  # 19: the lowest priority there is
    assert os.getpriority(os.PRIO_PROCESS, 0) == own, "the main process keeps its own priority"


def test_a_worker_count_of_one_runs_in_the_main_process_at_its_priority():
    own = os.getpriority(os.PRIO_PROCESS, 0)
    with pool.executor(1, False) as inline:
        assert inline.submit(os.getpriority, os.PRIO_PROCESS, 0).result() == own
