"""A throwaway PostgreSQL server on 127.0.0.1 for the ledger tests, started by the tests.

Uses the machine's PostgreSQL binaries (Debian's `postgresql` package); as root, the server runs
as the `postgres` user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def postgres_server(durable: bool = False) -> Iterator[str]:
    """Start a PostgreSQL server in a fresh folder; yield its SQLAlchemy URL; stop and remove it.

    The folder is made under the system temp dir (not pytest's, which is private to root), so
    the `postgres` user can reach it.
    """
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL is not installed (initdb, pg_ctl); `apt-get install postgresql`")
    pytest.importorskip("psycopg", reason="`pip install -e '.[test]'` brings psycopg")
    folder = Path(tempfile.mkdtemp(prefix="corpusbuilder-pg-"))
    data = folder / "pgdata"
    data.mkdir()
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for path in (folder, data):
            os.chown(path, user.pw_uid, user.pw_gid)
    port = _free_port()
    run = {"check": True, "capture_output": True, "timeout": 120}
    subprocess.run(_as_server_user([initdb, "-D", str(data), "-A", "trust", "-U", "corpus"]), **run)
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1"
    options += "" if durable else " -c fsync=off"  # tests need no crash safety; a benchmark does
    start = [pg_ctl, "-D", str(data), "-o", options, "-l", str(data / "log"), "-w", "start"]
    subprocess.run(_as_server_user(start), **run)
    try:
        yield f"postgresql+psycopg://corpus@127.0.0.1:{port}/postgres"
    finally:
        stop = [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]
        subprocess.run(_as_server_user(stop), check=False, capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
