"""The ledger's bulk writes build their parameters a column at a time (`bulk.execute_many`): what
they store is what SQLAlchemy's own `executemany` stores, byte for byte, and a statement the fast
path cannot take (named parameters, computed defaults, `onupdate`) still stores the same rows."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    bindparam,
    create_engine,
    event,
    make_url,
)

from corpusbuilder.ledger import bulk, decision_row, releases, store
from corpusbuilder.ledger.models import Decision
from corpusbuilder.ledger.store import Ledger
from corpusbuilder.reasons import Status
from tests.postgres import postgres_server

WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)  # no microseconds: SQLite's text still has them


def _document(n: int, status: str = Status.INGESTED) -> dict:
    row = {"doc_id": f"t/{n}", "source": "t", "source_key": str(n), "seq": n, "status": status}
    return row | {"reason": "ingested", "ingested_at": WHEN, "text_sha256": "s", "pii": None}


def _evidence(n: int) -> dict:
    return {"doc_id": f"t/{n}", "statement": "CC BY 4.0", "locator": "l", "kind": "licence",
            "retrieved_at": WHEN, "jurisdiction": None}  # fmt: skip


def _every_bulk_write(ledger: Ledger) -> None:
    """Each bulk write the ledger does, with the awkward values: JSON None and dicts, aware
    timestamps, str enums, booleans, a taken-down document the update must not touch."""
    documents = [_document(n) for n in range(5)] + [_document(5, Status.TAKEN_DOWN)]
    seen = [{"doc_id": f"t/{n}", "source": "t"} for n in range(6)]
    ingested = [
        decision_row(f"t/{n}", 1, "ingest", "local_v1", "ingested", "new") | {"created_at": WHEN}
        for n in range(6)
    ]
    ledger.write_ingest_batch(
        documents, [], [_evidence(n) for n in range(6)], ingested, 1, None, seen
    )
    ledger.write_ingest_batch([], [_document(4) | {"title": "again"}], [_evidence(4)], [], 1, "c")
    updates = [
        {"doc_id": "t/0", "status": Status.KEPT, "reason": "kept", "pii": {"email": 2},
         "language_score": 0.9998, "recurate": False},
        {"doc_id": "t/1", "status": Status.KEPT, "reason": "kept", "pii": None,
         "language_score": None, "recurate": True},
        {"doc_id": "t/2", "status": "duplicate", "reason": "near_duplicate", "duplicate_of": "t/0"},
        {"doc_id": "t/5", "status": Status.KEPT, "reason": "kept", "pii": None,
         "language_score": 1.0, "recurate": False},
    ]  # fmt: skip
    decisions = [
        decision_row(r["doc_id"], 2, "filter", "f_v1", "passed", "kept", None) for r in updates
    ]
    ledger.update_documents(updates, [d | {"created_at": WHEN} for d in decisions])
    ledger.update_evidence([{"id": 1, "resolved": "CC-BY-4.0", "status": "allowed", "rule": "id"}])
    members = [{"version": "1.0.0", "doc_id": f"t/{n}", "config": "en", "text_sha256": "s",
                "shard": "data/en/train-00000-of-00001.parquet", "row": n, "licence": "CC-BY-4.0",
                "licence_url": None, "language_score": 0.5, "chars": 3, "words": 1}
               for n in range(2)]  # fmt: skip
    provenance = [{"doc_id": "t/0", "data": {"title": "Ça — 東京", "counts": {3: [1, None]}}}]
    ledger.add_release_rows("1.0.0", members, provenance)


def _tables(path) -> dict[str, list[tuple]]:
    with sqlite3.connect(path) as connection:
        names = [
            n for (n,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return {name: connection.execute(f"SELECT * FROM {name}").fetchall() for name in names}


def _sqlalchemys_own(connection, statement, rows):
    if rows:
        connection.execute(statement, rows)


def _sqlalchemys_own_update(connection, table, key, rows, *conditions):
    matched = table.update().where(table.c[key] == bindparam(f"_{key}"), *conditions)
    statement = matched.values({name: bindparam(name) for name in rows[0] if name != key})
    _sqlalchemys_own(connection, statement, [{**row, f"_{key}": row[key]} for row in rows])


def _statements(engine) -> list[tuple[str, bool, bool]]:
    """(SQL, executemany?, sent as driver SQL?) of each statement the engine runs from now on."""
    seen = []

    def record(_connection, _cursor, sql, _parameters, context, many):
        seen.append((sql, many, context.compiled is None))

    event.listen(engine, "before_cursor_execute", record)
    return seen


def _both_ways(fast_url: str, own_url: str, monkeypatch) -> list[tuple[str, bool, bool]]:
    """Every bulk write into `fast_url` by the bulk path and into `own_url` by SQLAlchemy's own
    `executemany`; the statements SQLAlchemy executed for the first."""
    fast = Ledger(fast_url)
    statements = _statements(fast.engine)
    _every_bulk_write(fast)
    fast.close()
    own_insert = lambda connection, table, rows: _sqlalchemys_own(connection, table.insert(), rows)  # noqa: E731
    monkeypatch.setattr(store, "update_many", _sqlalchemys_own_update)
    monkeypatch.setattr(store, "insert_many", own_insert)
    monkeypatch.setattr(releases, "insert_many", own_insert)
    own = Ledger(own_url)
    _every_bulk_write(own)
    own.close()
    return statements


def test_every_bulk_write_stores_what_sqlalchemy_stores(tmp_path, monkeypatch):
    fast_url, own_url = f"sqlite:///{tmp_path / 'fast.db'}", f"sqlite:///{tmp_path / 'own.db'}"
    statements = _both_ways(fast_url, own_url, monkeypatch)

    fast_rows, own_rows = _tables(tmp_path / "fast.db"), _tables(tmp_path / "own.db")
    assert fast_rows == own_rows
    assert len(fast_rows["decision"]) == 6 + 3  # t/5 is taken down: its decision is not kept
    writes = [(sql.split(" (")[0].split(" SET")[0], driver) for sql, _, driver in statements
              if sql.startswith(("INSERT", "UPDATE"))]  # fmt: skip
    written = [(table, driver) for table, driver in writes if table != "UPDATE run"]  # a checkpoint
    assert all(driver for _, driver in written), (
        written
    )  # each compiled once, its rows sent as tuples
    assert [table for table, _ in written] == [
        "INSERT INTO ingest_key", "INSERT INTO document", "INSERT INTO evidence",
        "INSERT INTO decision", "INSERT INTO document", "INSERT INTO evidence",
        "UPDATE document", "UPDATE document", "INSERT INTO decision", "UPDATE evidence",
        "INSERT INTO releasedocument", "INSERT INTO releaseprovenance",
    ]  # fmt: skip
    # the values read back through the ledger, as its callers see them
    reread = Ledger(f"sqlite:///{tmp_path / 'fast.db'}")
    first, held = reread.document("t/0"), reread.document("t/5")
    assert (first.status, first.pii, first.language_score) == ("kept", {"email": 2}, 0.9998)
    assert (held.status, reread.document("t/1").recurate) == (Status.TAKEN_DOWN, True)
    assert reread.document("t/4").title == "again"
    assert reread.decisions("t/0")[-1].created_at == WHEN
    assert list(reread.release_provenance("1.0.0")) == [
        {"title": "Ça — 東京", "counts": {"3": [1, None]}}
    ]
    reread.close()


def test_defaults_and_named_parameters_store_what_sqlalchemy_stores():
    """A scalar default is the fast path's constant; a callable one, an `onupdate` or named
    parameters (psycopg's) take SQLAlchemy's path. Every case stores the same rows."""
    metadata = MetaData()
    counter = iter(range(100, 200))
    table = Table("t", metadata, Column("id", Integer, primary_key=True), Column("name", String),
                  Column("kind", String, default="plain"),
                  Column("n", Integer, default=lambda: next(counter), onupdate=lambda: -1),
                  )  # fmt: skip
    for paramstyle in ("qmark", "named"):
        engine = create_engine("sqlite://", paramstyle=paramstyle)
        metadata.create_all(engine)
        with engine.begin() as connection:
            bulk.execute_many(
                connection, table.insert(), [{"name": "a", "n": 1}, {"name": "b", "n": 2}]
            )
            bulk.execute_many(connection, table.insert(), [{"name": "c", "kind": "odd"}])
            bulk.execute_many(connection, table.insert(), [])
            update = table.update().where(table.c.name == "b").values(kind="new")
            bulk.execute_many(connection, update, [{}])
            rows = connection.exec_driver_sql("SELECT name, kind, n FROM t ORDER BY id").fetchall()
        assert rows == [("a", "plain", 1), ("b", "new", -1), ("c", "odd", 100)], paramstyle
        counter = iter(range(100, 200))


def test_a_value_rows_share_is_processed_once_and_stored_as_each_rows_own():
    """A batch's rows share one timestamp object: its bind processor runs once for each run of
    that object, and an equal but distinct value is processed on its own."""
    calls = []

    class Counted(TypeDecorator):
        impl, cache_ok = DateTime(), True

        def process_bind_param(self, value, dialect):
            calls.append(value)
            return value

    metadata = MetaData()
    table = Table("t", metadata, Column("id", Integer, primary_key=True), Column("at", Counted()))
    a, b, equal_to_a = datetime(2026, 1, 1, 9), datetime(2026, 1, 2), datetime(2026, 1, 1, 9)
    rows = [{"at": value} for value in (a, a, b, a, equal_to_a, None, None)]
    stored = []
    for write in (bulk.execute_many, _sqlalchemys_own):
        engine = create_engine("sqlite://")
        metadata.create_all(engine)
        calls.clear()
        with engine.begin() as connection:
            write(connection, table.insert(), rows)
            stored.append(connection.exec_driver_sql("SELECT id, at FROM t").fetchall())
        if write is bulk.execute_many:
            assert calls == [a, b, a, equal_to_a, None]
            assert calls[3] is equal_to_a
    assert stored[0] == stored[1]
    assert stored[0][0] == (1, "2026-01-01 09:00:00.000000")


def test_a_row_without_a_key_of_the_first_is_refused():
    metadata = MetaData()
    table = Table("t", metadata, Column("id", Integer, primary_key=True), Column("name", String))
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as connection, pytest.raises(KeyError, match="name"):
        bulk.execute_many(connection, table.insert(), [{"name": "a"}, {"id": 7}])


def test_a_decision_insert_is_one_statement_for_the_whole_batch(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    statements = _statements(ledger.engine)
    rows = [decision_row(f"t/{n}", 1, "ingest", "x_v1", "ingested", "new") for n in range(500)]
    with ledger.engine.begin() as connection:
        bulk.execute_many(connection, Decision.__table__.insert(), rows)
    inserts = [(many, driver) for sql, many, driver in statements if "INTO decision" in sql]
    assert inserts == [(True, True)]
    ledger.close()


def test_an_insert_on_sqlite_is_compiled_once(tmp_path, monkeypatch):
    """`insert_many` compiles for a COPY only where the driver takes one."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    compiled = []
    real = bulk._compiled
    monkeypatch.setattr(bulk, "_compiled", lambda *a: compiled.append(a[1]) or real(*a))
    rows = [decision_row(f"t/{n}", 1, "ingest", "x_v1", "ingested", "new") for n in range(3)]
    with ledger.engine.begin() as connection:
        bulk.insert_many(connection, Decision.__table__, rows)
    assert len(compiled) == 1
    ledger.close()


def test_on_postgresql_rows_are_copied_and_store_what_sqlalchemy_stores(monkeypatch):
    """psycopg's `executemany` sends each row as a statement; the bulk inserts are a COPY there,
    the updates a COPY and a join, and every table ends as SQLAlchemy's own path leaves it,
    column text for column text."""
    with postgres_server() as url:
        server = create_engine(url, isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            for name in ("fast", "own"):
                connection.exec_driver_sql(f"CREATE DATABASE {name}")
        server.dispose()
        fast_url, own_url = (make_url(url).set(database=name) for name in ("fast", "own"))
        fast_url, own_url = (u.render_as_string(hide_password=False) for u in (fast_url, own_url))
        statements = _both_ways(fast_url, own_url, monkeypatch)
        fast_rows, own_rows = _postgres_tables(fast_url), _postgres_tables(own_url)

    assert fast_rows == own_rows
    assert len(fast_rows["decision"]) == 6 + 3 and len(fast_rows["releaseprovenance"]) == 1
    inserted = {sql.split(" (")[0] for sql, _, _ in statements if sql.startswith("INSERT")}
    assert inserted == set()  # the bulk inserts never reached SQLAlchemy: each was a COPY
    updates = [(sql.split(" SET")[0], many) for sql, many, _ in statements
               if sql.startswith("UPDATE") and " FROM " in sql]  # fmt: skip
    # each update joins the rows COPYed into a temporary table, in one statement
    assert updates == [("UPDATE document", False)] * 2 + [("UPDATE evidence", False)]


def _postgres_tables(url: str) -> dict[str, list[str]]:
    """Each table's rows as PostgreSQL's text of the row (JSON as stored), sorted."""
    engine = create_engine(url)
    with engine.connect() as connection:
        names = connection.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).scalars()
        tables = {
            name: connection.exec_driver_sql(f"SELECT CAST(t AS text) FROM {name} AS t ORDER BY 1")
            .scalars()
            .all()
            for name in list(names)
        }
    engine.dispose()
    return tables


def test_an_sqlite_ledger_checkpoints_after_many_commits_not_after_each(tmp_path):
    """A curation batch commits more pages than SQLite's default checkpoint (1,000): every
    connection of the ledger raises it, or each commit would copy its pages into the database."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    with ledger.engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert (mode, pages) == ("wal", store.WAL_CHECKPOINT_PAGES)
    assert store.WAL_CHECKPOINT_PAGES > 2_800  # the pages one batch of 2,000 documents commits
