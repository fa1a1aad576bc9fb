"""Ctrl-C and SIGKILL in a real `corpusbuilder curate`: it stops promptly, its workers end with
it, the ledger tells the truth about the run, and running it again ends where an uninterrupted
run ends (no document decided twice)."""

from __future__ import annotations

import shutil
import signal
import time

import pytest

from corpusbuilder.project import Project
from tests import ledger_backend, processes
from tests.processes import count, query, run, start, states, wait_for

DOCUMENTS = 4000  # two curation batches: one commits, then the interrupt comes
STOP_WITHIN = 10  # seconds; measured 0.3-0.8 s on 2 cores
LICENCE_DECISIONS = "SELECT doc_id, count(*) FROM decision WHERE stage = 'licence' GROUP BY doc_id"


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    config = processes.generated_corpus(tmp_path_factory.mktemp("ingested"), DOCUMENTS)
    assert run(config, "ingest", "t").returncode == 0
    return config


@pytest.fixture(scope="module")
def reference(ingested, tmp_path_factory):
    """The same corpus curated without interruption: what every interrupted run must end at."""
    config = _copy(ingested, tmp_path_factory.mktemp("reference"))
    done = run(config, "curate", "--workers", "2")
    assert done.returncode == 0, done.stderr
    return config


def _copy(config, folder):
    shutil.copytree(config.parent, folder, dirs_exist_ok=True)
    ledger_backend.clone_ledger(folder / config.name)
    return folder / config.name


def _decided(config) -> int:
    return count(config, "SELECT count(*) FROM document WHERE status != 'ingested'")


def _last_run(config) -> tuple:
    return query(config, "SELECT kind, status, error FROM run ORDER BY id DESC LIMIT 1")[0]


def _assert_each_decided_once(config, times: int = 1) -> None:
    decided = dict(query(config, LICENCE_DECISIONS))
    assert len(decided) == DOCUMENTS and set(decided.values()) == {times}


def test_ctrl_c_stops_curate_promptly_and_the_rerun_ends_like_an_uninterrupted_run(
    ingested, reference, tmp_path
):
    config = _copy(ingested, tmp_path)
    curate = start(config, "curate", "--workers", "2")
    wait_for(lambda: _decided(config), 120, "a first batch committed")
    sent = time.monotonic()
    curate.send_signal(signal.SIGINT)
    _, stderr = curate.communicate(timeout=60)
    stopped = time.monotonic() - sent
    print(f"Ctrl-C → exit: {stopped:.2f} s")
    assert stopped < STOP_WITHIN
    assert curate.returncode == 130, stderr
    assert "interrupted: what was committed is kept; run the command again to resume" in stderr
    assert "Traceback" not in stderr
    assert _last_run(config) == ("curate", "interrupted", "stopped by Ctrl-C (SIGINT)")
    assert 0 < _decided(config) < DOCUMENTS  # the committed batch stays, the rest waits
    # decided but not deduplicated yet: a release must wait for the rerun
    assert Project.open(config, progress=False).ledger.pending_recuration() > 0

    again = run(config, "curate", "--workers", "2")
    assert again.returncode == 0, again.stderr
    assert states(config) == states(reference)
    _assert_each_decided_once(config)
    assert Project.open(config, progress=False).ledger.pending_recuration() == 0


def test_sigkill_ends_the_workers_and_the_next_command_records_the_dead_run(
    ingested, reference, tmp_path
):
    config = _copy(ingested, tmp_path)
    curate = start(config, "curate", "--workers", "2")
    wait_for(lambda: _decided(config), 120, "a first batch committed")
    helpers = processes.descendants(curate.pid)  # forkserver, workers, resource tracker
    assert len(helpers) >= 3
    killed = time.monotonic()
    curate.kill()
    curate.wait(timeout=30)
    wait_for(lambda: not processes.alive(helpers), STOP_WITHIN, "the workers ended")
    print(f"SIGKILL → workers gone: {time.monotonic() - killed:.2f} s")
    assert query(config, "SELECT status FROM run WHERE kind = 'curate'") == [("running",)]

    again = run(config, "curate", "--workers", "2")
    assert again.returncode == 0, again.stderr
    assert "never finished: its process died; recorded as interrupted" in again.stderr
    runs = query(config, "SELECT kind, status, error, ended_at IS NOT NULL FROM run ORDER BY id")
    assert runs[1:] == [
        ("curate", "interrupted", "its process died before the run ended (killed or crashed)", 1),
        ("curate", "completed", None, 1),
    ]
    assert states(config) == states(reference)
    _assert_each_decided_once(config)


def test_interrupted_curate_all_leaves_the_previous_decisions_in_force(reference, tmp_path):
    config = _copy(reference, tmp_path)
    kept = "SELECT count(*) FROM document WHERE status = 'kept'"
    before = states(config)
    curate = start(config, "curate", "--all", "--workers", "2")
    marked = "SELECT count(*) FROM document WHERE recurate"
    wait_for(lambda: 0 < count(config, marked) < len(before) - 400, 120, "a batch re-decided")
    curate.send_signal(signal.SIGINT)
    _, stderr = curate.communicate(timeout=60)
    assert curate.returncode == 130, stderr

    assert count(config, kept) == count(reference, kept)  # not 0, as when --all reset them
    undecided = [row[:-1] for row in states(config) if row[-1]]
    assert undecided and set(undecided) <= {row[:-1] for row in before}
    redone = "SELECT count(*) FROM document WHERE status = 'kept' AND NOT recurate"
    waiting = len(undecided) + count(config, redone)  # and those still to be deduplicated
    assert Project.open(config, progress=False).ledger.pending_recuration() == waiting

    again = run(config, "curate", "--all", "--workers", "2")  # the same settings: resumes
    assert again.returncode == 0, again.stderr
    assert states(config) == states(reference)
    _assert_each_decided_once(config, times=2)  # by the first curate and by the one --all
