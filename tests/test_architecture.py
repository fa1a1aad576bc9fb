"""One place for each concern: only `corpusbuilder/ledger/` speaks SQLAlchemy. Every other module
asks the ledger in plain values and gets plain values back (records, light rows), so a change of
database or schema stays inside the ledger."""

from __future__ import annotations

import ast
import inspect
import typing
from pathlib import Path

import pytest

from corpusbuilder.ledger import Ledger, candidates, errors, locks, models, records

ROOT = Path(__file__).resolve().parents[1]
LEDGER = ROOT / "corpusbuilder" / "ledger"
# The database packages, and the ledger's tables: a table model outside the ledger is a query in
# the making, or an ORM object a caller depends on.
DATABASE_MODULES = {"sqlalchemy", "sqlmodel", "corpusbuilder.ledger.models"}
LEDGER_INTERNALS = {"engine", "_session"}


def _modules() -> list[Path]:
    """Every module of the package and of the built-in sources, except the ledger's own."""
    found = [*(ROOT / "corpusbuilder").rglob("*.py"), *(ROOT / "sources").rglob("*.py")]
    return sorted(path for path in found if LEDGER not in path.parents)


def _database_module(name: str) -> bool:
    return any(name == m or name.startswith(f"{m}.") for m in DATABASE_MODULES)


def database_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import of SQLAlchemy, sqlmodel or the ledger's table models, at
    any level of the code."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            names = names[:1] if _database_module(node.module) else names[1:]
        else:
            continue
        found += [(node.lineno, n) for n in names if _database_module(n)]
    return found


def query_makings(source: str) -> list[tuple[int, str]]:
    """(line, what) of every reach for a ledger's engine or session (`ledger.engine`,
    `self.ledger._session`): the makings of a query."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute):
            continue
        owner = getattr(node.value, "id", None) or getattr(node.value, "attr", None)
        if owner == "ledger" and node.attr in LEDGER_INTERNALS:
            found.append((node.lineno, f"ledger.{node.attr}"))
    return found


def _offenders(scan) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} {what}"
        for path in _modules()
        for line, what in scan(path.read_text(encoding="utf-8"))
    ]


def test_the_scans_find_database_code_at_any_level():
    source = """
import json, sqlalchemy.orm as orm
from corpusbuilder.ledger.models import Document as Doc, Release
from . import sqlmodel
def later():
    from sqlmodel import select
    from corpusbuilder.ledger import Ledger, models
    import corpusbuilder.ledger.models
    from corpusbuilder.ledger import ReleaseRecord, decision_row
with self.ledger.engine.connect() as connection, ledger._session() as session:
    settings.engine, release.version, project.ledger.release(version)
"""
    assert sorted(database_imports(source)) == [
        (2, "sqlalchemy.orm"),
        (3, "corpusbuilder.ledger.models"),
        (6, "sqlmodel"),
        (7, "corpusbuilder.ledger.models"),
        (8, "corpusbuilder.ledger.models"),
    ]
    assert sorted(query_makings(source)) == [(10, "ledger._session"), (10, "ledger.engine")]


def test_no_module_outside_the_ledger_imports_sqlalchemy_sqlmodel_or_its_tables():
    offenders = _offenders(database_imports)
    assert not offenders, (
        "ask the ledger in plain values, and use its records (corpusbuilder.ledger) instead:\n"
        + "\n".join(offenders)
    )


def test_no_module_outside_the_ledger_reaches_for_its_engine_or_session():
    offenders = _offenders(query_makings)
    assert not offenders, "add a ledger method instead:\n" + "\n".join(offenders)


def _database_types(hint: object) -> set[str]:
    """Names of the table models and SQLAlchemy/sqlmodel classes a type hint mentions."""
    found = set()
    if isinstance(hint, type) and _database_module(hint.__module__):
        found.add(f"{hint.__module__}.{hint.__qualname__}")
    for arg in typing.get_args(hint):
        found |= _database_types(arg)
    return found


def test_the_type_scan_finds_table_models_and_sessions_inside_containers():
    hints = typing.get_type_hints(Ledger._session)["return"], list[models.Document] | None
    assert set().union(*map(_database_types, hints)) == {
        "corpusbuilder.ledger.models.Document",
        "sqlmodel.orm.session.Session",
    }
    assert _database_types(dict[str, records.DocumentRecord] | None) == set()


def test_the_ledgers_api_takes_and_returns_no_table_model_or_sqlalchemy_type():
    """Read from the annotations of `Ledger`'s public methods and of the functions its modules
    called from outside offer; the light rows some return are annotated `Any`, not checked."""
    api = [*inspect.getmembers(Ledger, inspect.isfunction)]
    for module in (candidates, errors, locks):
        api += [(f"{module.__name__}.{name}", function)
                for name, function in inspect.getmembers(module, inspect.isfunction)
                if function.__module__ == module.__name__]  # fmt: skip
    found = {
        f"{name}: {sorted(types)}"
        for name, function in api
        if not name.startswith("_")
        if (types := set().union(*map(_database_types, typing.get_type_hints(function).values())))
    }
    assert found == set()


@pytest.mark.parametrize(
    ("record", "table"),
    [
        (records.RunRecord, models.Run),
        (records.SourceRecord, models.Source),
        (records.DocumentRecord, models.Document),
        (records.DecisionRecord, models.Decision),
        (records.ReleaseRecord, models.Release),
        (records.ReleaseDocumentRecord, models.ReleaseDocument),
        (records.PublicationRecord, models.Publication),
        (records.TakedownRecord, models.Takedown),
    ],
)
def test_each_record_has_its_tables_columns_in_order(record, table):
    """A column added to a table is one added to its record too: audit shows every field."""
    assert record._fields == tuple(table.__table__.columns.keys())
