"""One writer at a time: a second command that writes exits with a message naming the holder, or
waits with --wait; readers never wait; nothing a writer decides is lost or doubled."""

from __future__ import annotations

import os
import re
import signal
import socket
import time

import pytest
from sqlalchemy import select

from corpusbuilder import lock
from corpusbuilder.config import load as load_config
from corpusbuilder.ledger import decision_row
from corpusbuilder.ledger.models import Run
from corpusbuilder.project import Project
from tests import processes
from tests.helpers import write_corpus
from tests.postgres import postgres_server
from tests.processes import count, query, run, start, wait_for

CLOCK = r"\d\d:\d\d:\d\d UTC"


def _small(folder, **sections):
    records = [
        {"id": key, "text": f"A short text about the {key} and the river.", "licence": "CC0-1.0",
         "url": f"https://example.org/{key}"}
        for key in ("a", "b", "c")
    ]  # fmt: skip
    return write_corpus(folder, records, **sections)


def _busy(command: str, holder: str) -> str:
    return (
        rf"Error: another corpusbuilder command \({holder}, since {CLOCK}\) is writing to this"
        rf" corpus; wait for it to finish or pass --wait \(`corpusbuilder --wait {command} …`\)"
    )


def test_a_second_writer_exits_naming_the_holder_and_readers_do_not_wait(tmp_path):
    config = _small(tmp_path)
    Project.open(config, progress=False).ingest("t")
    workdir = tmp_path / "work"
    with lock.hold(workdir, load_config(config).ledger_url, "build"):
        for command in (["curate"], ["takedown", "t/a", "--reason", "x"]):
            busy = run(config, *command)
            assert busy.returncode == 6
            assert re.fullmatch(_busy(command[0], f"build, pid {os.getpid()}"), busy.stderr.strip())
        for command in (["status"], ["audit", "t/a"]):
            assert run(config, *command, timeout=30).returncode == 0
    assert count(config, "SELECT count(*) FROM run") == 1  # the refused ones wrote nothing
    assert count(config, "SELECT count(*) FROM document WHERE status = 'ingested'") == 3


def test_wait_waits_for_the_holder_then_runs(tmp_path):
    config = _small(tmp_path)
    workdir = tmp_path / "work"
    with lock.hold(workdir, load_config(config).ledger_url, "build"):
        waiting = start(config, "--wait", "ingest", "t")
        line = waiting.stderr.readline()
        time.sleep(1)  # still waiting: nothing written yet
        assert not Project.open(config, progress=False).ledger.runs()
        released = time.time()
    _, stderr = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, stderr
    said = rf"waiting for another corpusbuilder command \(build, pid {os.getpid()}, since {CLOCK}\)"
    assert re.fullmatch(said + " to finish writing to this corpus…", line.strip())
    (ingest,) = Project.open(config, progress=False).ledger.runs()
    assert ingest.started_at.timestamp() >= released  # it ran only once the holder let go


def test_two_builds_started_together_one_writes_and_one_exits(tmp_path):
    config = processes.generated_corpus(tmp_path, 600)
    first, second = start(config, "build"), start(config, "build")
    results = [(p.pid, p.communicate(timeout=300)[1], p.returncode) for p in (first, second)]
    results = [(pid, code, stderr) for pid, stderr, code in results]
    assert sorted(code for _, code, _ in results) == [0, 6], results
    (winner, *_), (_, _, refused) = sorted(results, key=lambda r: r[1])
    assert re.fullmatch(_busy("build", f"build, pid {winner}"), refused.strip())
    doubled = (
        "SELECT count(*) FROM"
        " (SELECT doc_id FROM decision GROUP BY doc_id, stage HAVING count(*) > 1) AS doubled"
    )
    assert count(config, doubled) == 0
    assert count(config, "SELECT count(*) FROM run WHERE status != 'completed'") == 0


def test_two_builds_with_wait_run_one_after_the_other(tmp_path):
    config = processes.generated_corpus(tmp_path, 600)
    builds = [start(config, "--wait", "build") for _ in range(2)]
    results = [(p.communicate(timeout=300)[1], p.returncode)[::-1] for p in builds]
    assert [code for code, _ in results] == [0, 0], results
    assert (
        sum("waiting for another corpusbuilder command (build, pid" in e for _, e in results) == 1
    )
    licence = "SELECT count(*) FROM decision WHERE stage = 'licence'"
    assert count(config, licence) == 600  # the second build had nothing left to decide


def test_a_takedown_or_ingest_during_curate_waits_for_it_and_is_never_undone(tmp_path):
    config = processes.generated_corpus(tmp_path, 1000)
    assert run(config, "ingest", "t").returncode == 0
    curate = start(config, "curate", "--workers", "2")
    holder = tmp_path / "work" / lock.LOCK_FILE
    wait_for(lambda: '"curate"' in holder.read_text(), 60, "curate holds the lock")
    curate.send_signal(signal.SIGSTOP)  # holds the lock, however slow the others start
    for command in (["takedown", "t/d00001", "--reason", "author's request"], ["ingest", "t"]):
        refused = run(config, *command)
        assert refused.returncode == 6
        assert re.fullmatch(_busy(command[0], f"curate, pid {curate.pid}"), refused.stderr.strip())
    waiting = start(config, "--wait", "takedown", "t/d00001", "--reason", "author's request")
    line = waiting.stderr.readline()
    curate.send_signal(signal.SIGCONT)
    assert line.startswith(f"waiting for another corpusbuilder command (curate, pid {curate.pid}")
    assert curate.wait(timeout=300) == 0
    _, stderr = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, stderr
    status = "SELECT status FROM document WHERE doc_id = 't/d00001'"
    assert query(config, status) == [("taken_down",)]
    assert run(config, "curate", "--all").returncode == 0  # a later curation keeps it down
    assert query(config, status) == [("taken_down",)]
    assert count(config, "SELECT count(*) FROM run WHERE status != 'completed'") == 0


def test_the_ledger_never_writes_a_curation_over_a_takedown(tmp_path):
    project = Project.open(_small(tmp_path), progress=False)
    project.ingest("t")
    project.curate(workers=1)
    project.take_down("t/a", "author's request")
    decided = len(project.ledger.decisions("t/a"))
    late = decision_row("t/a", 99, "filter", "curation_filters_v1", "passed", "kept")
    project.ledger.update_documents([{"doc_id": "t/a", "status": "kept", "reason": "kept"}], [late])
    assert project.ledger.document("t/a").status == "taken_down"
    assert len(project.ledger.decisions("t/a")) == decided


def test_a_run_left_running_is_recorded_interrupted_by_the_next_writer(tmp_path):
    config = _small(tmp_path)
    ledger = Project.open(config, progress=False).ledger
    dead = ledger.start_run("ingest", "t")  # as a process killed mid-way leaves it
    assert run(config, "status").returncode == 0  # a reader leaves the runs alone
    assert query(config, "SELECT status FROM run WHERE id = ?", dead) == [("running",)]
    done = run(config, "ingest", "t")
    assert done.returncode == 0, done.stderr
    assert re.search(rf"note: ingest run {dead} \(started {CLOCK}\) never finished", done.stderr)
    row = query(config, "SELECT status, error, ended_at IS NOT NULL FROM run WHERE id = ?", dead)
    assert row == [("interrupted", "its process died before the run ended (killed or crashed)", 1)]


@pytest.fixture(scope="module")
def postgres_url():
    with postgres_server() as url:
        yield url


def test_a_postgres_ledger_is_locked_across_machines(tmp_path, postgres_url):
    """Two corpus folders (two machines) sharing one PostgreSQL ledger: the advisory lock."""
    here, there = (_small(tmp_path / name, ledger=postgres_url) for name in ("here", "there"))
    holder = f"build, pid {os.getpid()} on {socket.gethostname()}"
    with lock.hold(here.parent / "work", postgres_url, "build"):
        busy = run(there, "ingest", "t")
        waiting = start(there, "--wait", "ingest", "t")
        line = waiting.stderr.readline()
    assert busy.returncode == 6
    assert re.fullmatch(_busy("ingest", re.escape(holder)), busy.stderr.strip())
    _, stderr = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, stderr
    assert line.startswith(f"waiting for another corpusbuilder command ({holder}, since")
    ledger = Project.open(there, progress=False).ledger
    assert len(list(ledger.documents())) == 3
    with ledger.engine.connect() as connection:  # the refused ingest wrote no run
        assert connection.execute(select(Run.kind, Run.status)).all() == [("ingest", "completed")]
