"""No import cycle in the package (issue 11, item 7): a module that imports one that imports it
back works only thanks to import order or a lazy import, and breaks when either changes. The
graph is read with `ast` from every import statement, at the top of a module or inside a
function; imports under `if TYPE_CHECKING:` never run and are left out."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Collection, Iterator
from pathlib import Path

import corpusbuilder

PACKAGE = Path(corpusbuilder.__file__).parent
KNOWN: set[frozenset[str]] = set()  # cycles known today, each removed from here once fixed


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of `tree` but those under `if TYPE_CHECKING:` (none has an `else`)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            continue
        yield node
        yield from _runtime_nodes(node)


def _imported(node: ast.AST, package: str, known: Collection[str]) -> set[str]:
    """The package modules an import statement in `package` loads: `from a import b` loads the
    module a.b if there is one, else a."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names} & set(known)
    if not isinstance(node, ast.ImportFrom):
        return set()
    base = node.module or ""
    if node.level:
        parent = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join(parent + ([node.module] if node.module else []))
    loaded = {f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names}
    return loaded & set(known)


def import_graph() -> dict[str, set[str]]:
    known = modules()
    graph = {}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = set().union(*(_imported(n, package, known) for n in _runtime_nodes(tree)))
        graph[name].discard(name)
    return graph


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), list(graph[start])
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += graph[name]
    return seen


def cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The modules of each cycle: those reachable from a module that reach it back."""
    reach = {name: _reachable(graph, name) for name in graph}
    return {
        frozenset({name} | {other for other in reach[name] if name in reach[other]})
        for name in graph
        if name in reach[name]
    }


def test_every_module_imports():
    for name in sorted(modules()):
        importlib.import_module(name)


def test_the_graph_sees_top_level_function_level_and_relative_imports():
    graph = import_graph()
    assert (
        "corpusbuilder.curate.filter_rules.base"
        in graph["corpusbuilder.curate.filter_rules.gopher"]
    )
    assert "corpusbuilder.engines.ray" in graph["corpusbuilder.engines"]  # inside a function
    assert "corpusbuilder.project" not in graph["corpusbuilder.build"]  # TYPE_CHECKING only
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == {frozenset("abc")}


def test_no_import_cycle():
    found = cycles(import_graph())
    assert found - KNOWN == set(), "import cycles: " + "; ".join(
        " <-> ".join(sorted(cycle)) for cycle in found - KNOWN
    )
    assert found >= KNOWN, "a known cycle is gone: remove it from KNOWN"


def test_filters_and_their_rules_import_each_other_no_more():
    graph = import_graph()
    rules = [name for name in graph if name.startswith("corpusbuilder.curate.filter_rules.")]
    assert all("corpusbuilder.curate.filters" not in graph[name] for name in rules)
    assert "corpusbuilder.curate.filters" not in graph["corpusbuilder.steps"]
