"""Real `corpusbuilder` processes on a generated corpus, for the tests of locking, interrupts
and crashes: start them, signal them, find their workers in /proc, read their ledger."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine

from corpusbuilder.config import load as load_config
from tests.helpers import write_corpus

COMMAND = [sys.executable, "-c", "from corpusbuilder.cli import main; main()"]
# COMMAND with Python's own SIGINT handler set first (see `start`)
INTERRUPTIBLE = [
    *COMMAND[:-1],
    "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n" + COMMAND[-1],
]
WORDS = (
    "the of and to in is was that for it with as his on be at by had not are but from or have an "
    "they which one you were her all she there would their we him been has when who will more no "
    "if out so said what up its about into than them can only other new some could time these "
    "two may then do first any my now such like our over man me even most made after also did "
    "many before must through back years where much your way well down should because each just "
    "those people how too little state good very make world still own see men work long get here "
    "between both life being under never day same another know while last might us great old "
    "year off come since against go came right used take three house river garden letter morning"
)

VOCABULARY = WORDS.split()


def records(count: int, seed: int = 7) -> list[dict]:
    """`count` English-like documents (~2 KB): every 40th repeats an earlier text (an exact
    duplicate) and every 25th is under a licence the policy rejects."""
    rng = random.Random(seed)
    texts: list[str] = []
    for i in range(count):
        if i % 40 == 39:
            texts.append(texts[rng.randrange(i)])
            continue
        paragraphs = [
            " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(40, 80))).capitalize() + "."
            for _ in range(rng.randint(3, 6))
        ]
        texts.append("\n\n".join(paragraphs))
    return [
        {
            "id": f"d{i:05d}",
            "text": text,
            "licence": "CC BY-NC 4.0" if i % 25 == 24 else "CC0-1.0",
            "url": f"https://example.org/d{i:05d}",
        }
        for i, text in enumerate(texts)
    ]


def generated_corpus(folder: Path, count: int) -> Path:
    """A corpus of `count` generated documents; returns its corpus.yaml."""
    return write_corpus(folder, records(count), release={"version": "1.0.0"})


def start(config: Path, *args: str) -> subprocess.Popen:
    """`corpusbuilder -q -c config ARGS…` in the background, its output captured as text.

    Ctrl-C raises KeyboardInterrupt in it, as from a terminal, even when the test run was started
    in the background of a non-interactive shell (`pytest &`): that ignores SIGINT, every child
    inherits it, and Python then installs no handler of its own. Set in the child, not by a
    `preexec_fn`, which may deadlock in a parent with threads (xdist's workers)."""
    command = [*INTERRUPTIBLE, "-q", "-c", str(config), *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run(config: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    command = [*COMMAND, "-q", "-c", str(config), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.05)


def query(config: Path, sql: str, *params) -> list[tuple]:
    """Rows of `sql` (`?` placeholders) on the corpus's ledger, read-only: SQLite is opened in
    read-only mode (never waits for a writer); on PostgreSQL readers never wait anyway."""
    url = load_config(config).ledger_url
    if url.startswith("sqlite:///"):
        database = url.removeprefix("sqlite:///")
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as connection:
            return connection.execute(sql, params).fetchall()
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(sql.replace("?", "%s"), params).fetchall()
            return [tuple(row) for row in rows]
    finally:
        engine.dispose()


def count(config: Path, sql: str, *params) -> int:
    return query(config, sql, *params)[0][0]


def states(config: Path) -> list[tuple]:
    """What curation decided about every document, in doc_id order."""
    columns = "doc_id, status, reason, duplicate_of, licence, language, text_sha256, recurate"
    return query(config, f"SELECT {columns} FROM document ORDER BY doc_id")


def _processes() -> dict[int, tuple[int, str]]:
    """pid → (parent pid, state) of every process, from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # ended meanwhile
                continue
            found[int(entry.name)] = (int(fields[1]), fields[0])
    return found


def descendants(pid: int) -> set[int]:
    """The living processes started by `pid`, its children's children included."""
    table, found, parents = _processes(), set(), [pid]
    while parents:
        parent = parents.pop()
        for child, (ppid, state) in table.items():
            if ppid == parent and state != "Z" and child not in found:
                found.add(child)
                parents.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    """Which of `pids` still run (a zombie has ended)."""
    table = _processes()
    return {pid for pid in pids if pid in table and table[pid][1] != "Z"}


# -- commands forked from one interpreter that imported corpusbuilder once ------------------

_ZYGOTE = """
import json, os, pkgutil, signal, sys
import corpusbuilder.cli

def die_after(step):
    owner_name, _, name = step.rpartition(".")
    owner = pkgutil.resolve_name(owner_name)
    done = getattr(owner, name)
    def dying(*args, **kwargs):
        done(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
    setattr(owner, name, dying)

for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(log, 1)
        os.dup2(log, 2)
        if request["die_after"]:
            die_after(request["die_after"])
        sys.argv = ["corpusbuilder", *request["args"]]
        code = 1
        try:
            corpusbuilder.cli.main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    print(pid, flush=True)
    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""


@dataclass
class Forked:
    pid: int
    log: Path
    returncode: int | None = None

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Zygote:
    """Runs `corpusbuilder` commands as processes forked from one that imported it once.

    A command is then a real process (it can be killed with SIGKILL at any instruction, and
    holds its own locks and files) that starts in milliseconds instead of the seconds an
    import takes, so a crash test can afford many kill points. One command at a time.
    """

    def __init__(self, logs: Path) -> None:
        self.logs, self.count = logs, 0
        self.process = subprocess.Popen(
            [sys.executable, "-c", _ZYGOTE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, bufsize=1,
        )  # fmt: skip
        self.running: Forked | None = None

    def start(self, config: Path, *args: str, die_after: str | None = None) -> Forked:
        """`corpusbuilder -q -c config ARGS…` forked; its output goes to a log file.

        `die_after` (``module:Class.method``, as `pkgutil.resolve_name` reads it) kills the
        command with SIGKILL as soon as that step returns, the first time: a crash at an exact
        point, which random kill times may hit once in many runs."""
        assert self.running is None, "one command at a time"
        self.count += 1
        log = self.logs / f"command-{self.count}.log"
        request = {"args": ["-q", "-c", str(config), *args], "log": str(log)}
        request["die_after"] = die_after
        self.process.stdin.write(json.dumps(request) + "\n")
        self.running = Forked(int(self.process.stdout.readline()), log)
        return self.running

    def wait(self) -> Forked:
        """The running command once it has ended, with its exit code (-9: killed)."""
        forked, self.running = self.running, None
        forked.returncode = int(self.process.stdout.readline())
        return forked

    def run(self, config: Path, *args: str, die_after: str | None = None) -> Forked:
        self.start(config, *args, die_after=die_after)
        return self.wait()

    def kill(self) -> Forked:
        """SIGKILL the running command (it may have ended already) and wait for it."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.running.pid, signal.SIGKILL)
        return self.wait()

    def close(self) -> None:
        if self.running is not None:
            self.kill()
        self.process.stdin.close()
        self.process.wait(timeout=30)
