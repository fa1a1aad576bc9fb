"""One place for each concern: only `corpusbuilder/ledger/` speaks SQLAlchemy. Every other module
asks the ledger in plain values, so a change of database or schema stays inside the ledger."""

from __future__ import annotations

import ast
from pathlib import Path

from sqlmodel import SQLModel

from corpusbuilder.ledger import models as ledger_models

ROOT = Path(__file__).resolve().parents[1]
LEDGER = ROOT / "corpusbuilder" / "ledger"
DATABASE_PACKAGES = {"sqlalchemy", "sqlmodel"}
LEDGER_INTERNALS = {"engine", "session"}
# Column names of every table model, by class name: `Document.status` outside the ledger is SQL.
TABLE_COLUMNS = {
    name: set(model.__table__.columns.keys())
    for name, model in vars(ledger_models).items()
    if isinstance(model, type) and issubclass(model, SQLModel) and hasattr(model, "__table__")
}


def _modules() -> list[Path]:
    """Every module of the package and of the built-in sources, except the ledger's own."""
    found = [*(ROOT / "corpusbuilder").rglob("*.py"), *(ROOT / "sources").rglob("*.py")]
    return sorted(path for path in found if LEDGER not in path.parents)


def database_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import of SQLAlchemy or sqlmodel, at any level of the code."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, n) for n in names if n.split(".")[0] in DATABASE_PACKAGES]
    return found


def query_makings(source: str) -> list[tuple[int, str]]:
    """(line, what) of every column of a ledger table named through its model class imported
    from `corpusbuilder.ledger.models` (`Document.status`), and of every reach for a ledger's
    engine or session (`ledger.engine`, `self.ledger.session`): the makings of a query."""
    tree = ast.parse(source)
    models = {
        alias.asname or alias.name: alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "corpusbuilder.ledger.models"
        for alias in node.names
        if alias.name in TABLE_COLUMNS
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        owner = getattr(node.value, "id", None) or getattr(node.value, "attr", None)
        if owner in models and node.attr in TABLE_COLUMNS[models[owner]]:
            found.append((node.lineno, f"{owner}.{node.attr}"))
        elif owner == "ledger" and node.attr in LEDGER_INTERNALS:
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
    return select(Doc.doc_id).where(Doc.status == "kept"), Release.version, Doc.model_fields
with self.ledger.engine.connect() as connection, ledger.session() as session:
    settings.engine, release.version
"""
    assert sorted(database_imports(source)) == [(2, "sqlalchemy.orm"), (6, "sqlmodel")]
    assert sorted(query_makings(source)) == [
        (7, "Doc.doc_id"),
        (7, "Doc.status"),
        (7, "Release.version"),
        (8, "ledger.engine"),
        (8, "ledger.session"),
    ]


def test_no_module_outside_the_ledger_imports_sqlalchemy_or_sqlmodel():
    offenders = _offenders(database_imports)
    assert not offenders, "ask the ledger in plain values instead:\n" + "\n".join(offenders)


def test_no_module_outside_the_ledger_builds_queries_from_table_columns():
    offenders = _offenders(query_makings)
    assert not offenders, "add a ledger method instead:\n" + "\n".join(offenders)
