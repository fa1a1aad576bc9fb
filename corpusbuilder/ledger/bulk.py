"""Many rows through one statement, their parameters built a column at a time.

SQLAlchemy's ``executemany`` builds each row's parameters in Python, a row at a time (a dict,
then the driver's tuple). For the ledger's bulk writes, about four decision rows and a document
update a document, that cost more than SQLite spends storing the rows: half of a build's ledger
write time (1.8-2.1 against 1.0-1.1 CPU s for 5,000 documents). Here SQLAlchemy compiles the
statement once and gives each column's bind processor (the very ones it applies: aware UTC
timestamps, JSON), which maps the whole column; the driver gets the tuples. On PostgreSQL
(psycopg) an insert is a ``COPY`` of those columns: psycopg's ``executemany`` sends each row as a
statement of its own, three times COPY's time for a batch of decision rows; an update by key is
a COPY into a temporary table and one UPDATE joining it. A statement that computes Python-side
values (a callable default, an `onupdate`) takes SQLAlchemy's own path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, MetaData, Table, bindparam
from sqlalchemy.sql.expression import Executable

_NOTHING = object()  # no value yet: the first one is always processed


def execute_many(
    connection: Connection, statement: Executable, rows: Sequence[Mapping[str, Any]]
) -> None:
    """`connection.execute(statement, rows)`, with the same rows stored the same way; every row
    has the keys of the first, as SQLAlchemy asks."""
    if not rows:
        return
    compiled, constants = _compiled(connection, statement, rows)
    if compiled is None or compiled.positiontup is None:
        connection.execute(statement, rows)
    else:
        # the values no row holds: the statement's own (a WHERE's literal) and scalar defaults
        constants = compiled.construct_params(rows[0]) | constants
        columns = [_column(compiled, name, rows, constants) for name in compiled.positiontup]
        connection.exec_driver_sql(compiled.string, list(zip(*columns, strict=True)))


def insert_many(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """`execute_many` of an insert of `rows` into `table`; on PostgreSQL (psycopg), a COPY."""
    copies = rows and _copies(connection)
    compiled, constants = _compiled(connection, table.insert(), rows) if copies else (None, {})
    if compiled is None:
        execute_many(connection, table.insert(), rows)
        return
    names = list(rows[0]) + [name for name in constants if name not in rows[0]]
    columns = [_column(compiled, name, rows, constants) for name in names]
    quote = connection.dialect.identifier_preparer
    listed = ", ".join(quote.format_column(table.c[name]) for name in names)
    command = f"COPY {quote.format_table(table)} ({listed}) FROM STDIN"
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(command) as copy:
        for row in zip(*columns, strict=True):
            copy.write_row(row)


def update_many(
    connection: Connection,
    table: Table,
    key: str,
    rows: Sequence[Mapping[str, Any]],
    *conditions: ColumnElement[bool],
) -> None:
    """Each row's values onto the row of `table` whose `key` column holds the row's `key` (and
    where `conditions` hold). On PostgreSQL (psycopg) the rows are COPYed into a temporary table
    and joined in one UPDATE, as `insert_many` does for inserts."""
    if not rows:
        return
    names = [name for name in rows[0] if name != key]
    if not _copies(connection):
        matched = table.update().where(table.c[key] == bindparam(f"_{key}"), *conditions)
        statement = matched.values({name: bindparam(name) for name in names})
        execute_many(connection, statement, [{**row, f"_{key}": row[key]} for row in rows])
        return
    columns = (Column(name, table.c[name].type) for name in [key, *names])
    given = Table(f"_given_{table.name}", MetaData(), *columns, prefixes=["TEMPORARY"])
    given.create(connection)  # dropped below; on an error, the rollback undoes its creation
    insert_many(connection, given, rows)
    matched = table.update().where(table.c[key] == given.c[key], *conditions)
    connection.execute(matched.values({name: given.c[name] for name in names}))
    given.drop(connection)


def _copies(connection: Connection) -> bool:
    """Whether the driver takes a COPY (psycopg, PostgreSQL's)."""
    return connection.dialect.driver == "psycopg"


def _compiled(
    connection: Connection, statement: Executable, rows: Sequence[Mapping[str, Any]]
) -> tuple[Any, dict]:
    """`statement` compiled for `rows`, and its scalar defaults; None when a value is computed
    in Python for each row (a callable default, an `onupdate`): SQLAlchemy's path then."""
    compiled = statement.compile(dialect=connection.dialect, column_keys=list(rows[0]))
    defaults = {c.key: c.default.arg for c in compiled.insert_prefetch if c.default.is_scalar}
    if compiled.update_prefetch or len(defaults) < len(compiled.insert_prefetch):
        return None, {}
    return compiled, defaults


def _column(compiled: Any, name: str, rows: Sequence[Mapping], constants: Mapping) -> list:
    """Parameter `name` of every row (or its constant), as the driver takes it."""
    values = [row[name] for row in rows] if name in rows[0] else [constants[name]] * len(rows)
    dialect = compiled.dialect
    processor = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
    return _processed(processor, values) if processor else values


def _processed(processor: Callable[[Any], Any], values: list) -> list:
    """`processor` over `values`, once for each run of one object (a batch's shared timestamp:
    formatting a datetime costs SQLite's dialect more than storing the row)."""
    done, last, result = [], _NOTHING, None
    for value in values:
        if value is not last:
            last, result = value, processor(value)
        done.append(result)
    return done
