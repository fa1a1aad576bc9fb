"""The README's module map lists exactly the modules on disk: a new module gets its line, a moved
or removed one loses it, so the map a newcomer reads first stays true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECTION = "### Module map"
PACKAGE = re.compile(r"^\*\*`([\w/]+)/`\*\*")  # **`corpusbuilder/ingest/`** — what it is
ROW = re.compile(r"^\| `(\w+\.py)` \|")  # | `fetch.py` | why it is there |


def mapped(readme: str) -> list[str]:
    """Repo-relative paths of the modules the README's module map lists, in its order."""
    if SECTION not in readme:
        raise AssertionError(f"README.md has no `{SECTION}` section")
    listed, package = [], None
    for line in readme.split(SECTION, 1)[1].splitlines()[1:]:
        if line.startswith("#"):
            break  # the next section
        if found := PACKAGE.match(line):
            package = found.group(1)
        elif found := ROW.match(line):
            if package is None:
                raise AssertionError(f"module map: {line!r} comes before any package heading")
            listed.append(f"{package}/{found.group(1)}")
    return listed


def on_disk() -> set[str]:
    """Every module of corpusbuilder/ and sources/, packages' __init__.py files aside."""
    found = [*(ROOT / "corpusbuilder").rglob("*.py"), *(ROOT / "sources").rglob("*.py")]
    return {p.relative_to(ROOT).as_posix() for p in found if p.name != "__init__.py"}


def test_the_map_is_read_package_by_package():
    readme = "\n".join([
        "## How it works", SECTION, "intro", "**`corpusbuilder/`** — top",
        "| module | why |", "|---|---|", "| `cli.py` | the command |",
        "**`corpusbuilder/ingest/`** — ingest", "| `fetch.py` | the network |",
        "## Next section", "| `stale.py` | not in the map |",
    ])  # fmt: skip
    assert mapped(readme) == ["corpusbuilder/cli.py", "corpusbuilder/ingest/fetch.py"]
    with pytest.raises(AssertionError, match="before any package heading"):
        mapped(f"{SECTION}\n| `cli.py` | the command |\n")


def test_the_readme_module_map_lists_exactly_the_modules_on_disk():
    listed = mapped((ROOT / "README.md").read_text(encoding="utf-8"))
    twice = sorted({path for path in listed if listed.count(path) > 1})
    missing, stale = sorted(on_disk() - set(listed)), sorted(set(listed) - on_disk())
    assert not twice, f"listed twice in the README's module map: {twice}"
    assert not missing, f"add a line to the README's module map for: {missing}"
    assert not stale, f"the README's module map lists modules that are gone: {stale}"
