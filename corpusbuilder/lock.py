"""One writer at a time: the corpus lock every command that writes holds while it runs.

Two commands writing one corpus at once corrupt it: two builds insert the same documents or
decide them twice, a curation writes over a takedown issued meanwhile, or meets documents whose
texts an ingest stored after it started. So a writer takes an exclusive ``flock`` on
``<workdir>/corpusbuilder.lock`` and, when the ledger is PostgreSQL (shared by a team across
machines), a session advisory lock on the ledger too. The operating system drops the file lock
and PostgreSQL the session lock when the process dies, so a crash never leaves a stale lock
behind. The file records who holds it, so the second command can say whom it waits for.
Read-only commands (audit, stats, status, verify, validate) never take it.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click

from corpusbuilder import config as corpus_config
from corpusbuilder.errors import ExitCode, UserError
from corpusbuilder.ledger import Ledger
from corpusbuilder.ledger.locks import advisory_lock, is_shared
from corpusbuilder.source import utc_now

LOCK_FILE = "corpusbuilder.lock"
POLL = 1.0  # seconds between two tries of the ledger lock while waiting for it
LABEL = re.compile(r"corpusbuilder (\S+) (\d+)@(.*)")
Notify = Callable[[str], None]  # how a waiting command says that it waits


class CorpusBusy(UserError):
    """Another command is writing the corpus."""

    exit_code = ExitCode.BUSY


@dataclass(frozen=True)
class Holder:
    """Who holds the lock: the command, its process id and host, and since when."""

    command: str
    pid: int
    since: datetime
    host: str | None = None  # set when the holder runs on another machine

    def describe(self) -> str:
        where = f" on {self.host}" if self.host else ""
        return f"{self.command}, pid {self.pid}{where}, since {_clock(self.since)}"


def _clock(moment: datetime) -> str:
    """22:41:07 UTC today, with the date on another day."""
    moment = moment.astimezone(UTC)
    shown = "%H:%M:%S" if moment.date() == utc_now().date() else "%Y-%m-%d %H:%M:%S"
    return f"{moment:{shown}} UTC"


def _someone(holder: Holder | None) -> str:
    return "another corpusbuilder command" + (f" ({holder.describe()})" if holder else "")


@contextmanager
def hold(
    workdir: Path, ledger_url: str, command: str, wait: bool = False, notify: Notify = print
) -> Iterator[None]:
    """Hold the corpus lock for `command`; if another holds it, raise CorpusBusy, or with
    `wait` say so through `notify` and wait for it."""
    with (
        _file_lock(workdir / LOCK_FILE, command, wait, notify),
        _ledger_lock(ledger_url, command, wait, notify),
    ):
        yield


def _refuse_or_wait(holder: Holder | None, command: str, wait: bool, notify: Notify) -> None:
    if not wait:
        raise CorpusBusy(
            f"{_someone(holder)} is writing to this corpus; wait for it to finish or pass"
            f" --wait (`corpusbuilder --wait {command} …`)"
        )
    notify(f"waiting for {_someone(holder)} to finish writing to this corpus…")


@contextmanager
def _file_lock(path: Path, command: str, wait: bool, notify: Notify) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by child processes
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _refuse_or_wait(_file_holder(path), command, wait, notify)
            fcntl.flock(handle, fcntl.LOCK_EX)
        facts = {"command": command, "pid": os.getpid(), "since": utc_now().isoformat()}
        os.ftruncate(handle, 0)
        os.pwrite(handle, json.dumps(facts).encode(), 0)
        yield
    finally:
        os.close(handle)  # releases the lock


def _file_holder(path: Path) -> Holder | None:
    """The holder the lock file names (None while it has not written itself in yet)."""
    try:
        facts = json.loads(path.read_text(encoding="utf-8"))
        return Holder(facts["command"], facts["pid"], datetime.fromisoformat(facts["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextmanager
def _ledger_lock(url: str, command: str, wait: bool, notify: Notify) -> Iterator[None]:
    """The ledger's own lock when it is shared (PostgreSQL), named after `command` so that
    others can say whom they wait for; other databases are local files the file lock covers."""
    if not is_shared(url):
        yield
        return
    label = f"corpusbuilder {command} {os.getpid()}@{socket.gethostname()}"[:63]
    with advisory_lock(url, label) as ledger_lock:
        if not ledger_lock.try_acquire():
            _refuse_or_wait(_ledger_holder(ledger_lock.holder()), command, wait, notify)
            while not ledger_lock.try_acquire():
                time.sleep(POLL)
        yield


def _ledger_holder(holding: tuple[str, datetime] | None) -> Holder | None:
    """The holder PostgreSQL knows of, from the label its lock connection was named with."""
    found = LABEL.fullmatch(holding[0]) if holding else None
    if found is None:
        return None
    command, pid, host = found.groups()
    return Holder(command, int(pid), holding[1], host)


def writes(command: Callable) -> Callable:
    """Run a click command holding the corpus lock (`--wait` of the group waits for it), after
    recording as interrupted the runs a dead process left `running`."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        ctx = click.get_current_context()
        config = corpus_config.load(ctx.obj["config"])
        notify = functools.partial(click.echo, err=True)
        with hold(config.workdir, config.ledger_url, ctx.info_name, ctx.obj["wait"], notify):
            _record_dead_runs(config.ledger_url, notify)
            return command(*args, **kwargs)

    return run


def _record_dead_runs(ledger_url: str, notify: Notify) -> None:
    """Safe only under the lock: no other writer is alive, so a `running` run is a dead one."""
    ledger = Ledger(ledger_url)
    try:
        for run in ledger.interrupt_dead_runs():
            notify(
                f"note: {run.kind} run {run.id} (started {_clock(run.started_at)}) never"
                " finished: its process died; recorded as interrupted"
            )
    finally:
        ledger.close()
