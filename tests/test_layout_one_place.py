"""The release layout in one place: no module but `release/layout.py` spells the path of a release
file (the card, the manifest, a shard under data/), so shards, card, publish and verify cannot
disagree on where a file lives, and moving one is a change of one line."""

from __future__ import annotations

import ast
from pathlib import Path

from corpusbuilder.release import layout

ROOT = Path(__file__).resolve().parents[1]
LAYOUT = ROOT / "corpusbuilder" / "release" / "layout.py"
# The layout's file paths (a name with an extension or a folder), not its bare config names.
PATHS = {
    value
    for name, value in vars(layout).items()
    if name.isupper() and isinstance(value, str) and ("." in value or "/" in value)
}


def spelled_paths(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string constant that is a release file's path or starts data/."""
    return [
        (node.lineno, node.value)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and (node.value in PATHS or node.value.startswith(f"{layout.DATA}/"))
    ]


def test_the_scan_finds_paths_spelled_as_values_not_words_in_messages():
    source = 'card = root / "README.md"\nshard = f"data/{config}"\nsay = "see README.md"\n'
    assert spelled_paths(source) == [(1, "README.md"), (2, "data/")]


def test_no_module_but_the_layout_spells_a_release_files_path():
    """The package's modules; an adapter may name another dataset's files (its card)."""
    modules = (ROOT / "corpusbuilder").rglob("*.py")
    found = [
        f"{path.relative_to(ROOT)}:{line} {text!r}"
        for path in sorted(modules)
        if path != LAYOUT
        for line, text in spelled_paths(path.read_text(encoding="utf-8"))
    ]
    assert found == []
