"""The ledger the tests' corpora use: SQLite in their workdir (the default), or, with
``CORPUSBUILDER_TEST_LEDGER=postgresql``, a database of its own on a PostgreSQL server the tests
start on 127.0.0.1 — so the ledger and build suites run on both engines (`.ci/run` does both).

The choice is written into each corpus.yaml the helpers write (`ledger:`), so the CLI in a
subprocess uses the same ledger as the test. Copying a corpus copies its database too.
"""

from __future__ import annotations

import itertools
import os
from contextlib import ExitStack
from pathlib import Path

import pytest
import yaml

BACKEND = os.environ.get("CORPUSBUILDER_TEST_LEDGER", "sqlite")
if BACKEND not in ("sqlite", "postgresql"):
    raise RuntimeError(f"CORPUSBUILDER_TEST_LEDGER={BACKEND!r}: use sqlite or postgresql")

_server: dict[str, str] = {}
_names = itertools.count()
_stack = ExitStack()


def on_postgres() -> bool:
    return BACKEND == "postgresql"


def start() -> None:
    """Start the server for the session (called from conftest; stopped by `stop`)."""
    from tests.postgres import postgres_server

    try:
        _server["url"] = _stack.enter_context(postgres_server())
    except pytest.skip.Exception as skipped:  # asked for PostgreSQL: its absence is a failure
        pytest.fail(f"CORPUSBUILDER_TEST_LEDGER=postgresql: {skipped}")


def stop() -> None:
    _stack.close()


def _admin(statement: str) -> None:
    import psycopg

    url = _server["url"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(statement)


def new_ledger() -> dict:
    """The `ledger:` entry of a new corpus: {} on SQLite (the default), a fresh database on
    PostgreSQL."""
    if not on_postgres():
        return {}
    if "url" not in _server:
        pytest.fail("CORPUSBUILDER_TEST_LEDGER=postgresql but no server was started")
    name = f"corpus_{os.getpid()}_{next(_names)}"
    _admin(f'CREATE DATABASE "{name}"')
    return {"ledger": _server["url"].rsplit("/", 1)[0] + f"/{name}"}


def ledger_of(config: Path) -> dict:
    """The `ledger:` entry for a corpus.yaml written at `config`: the one it has when it is
    written again (a test changing its settings keeps its ledger), else a new one."""
    if config.exists():
        written = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
        if "ledger" in written:
            return {"ledger": written["ledger"]}
    return new_ledger()


def clone_ledger(config: Path) -> None:
    """Give the corpus at `config` (a copy) a copy of its ledger database of its own."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    url = data.get("ledger")
    if not (on_postgres() and url):
        return
    source = url.rsplit("/", 1)[1]
    target = new_ledger()
    name = target["ledger"].rsplit("/", 1)[1]
    # a template database must have no other session (the build's pool may still hold one)
    _admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{source}'")
    _admin(f'DROP DATABASE "{name}"')
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    config.write_text(yaml.safe_dump(data | target, sort_keys=False), encoding="utf-8")
