"""Source adapters are plugins found through the ``corpusbuilder.sources`` entry-point group.

The built-in adapters in ``sources/`` register through the same group as a third party's, so the
core never imports ``sources`` by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points

from corpusbuilder.errors import UserError
from corpusbuilder.source import SourceAdapter

GROUP = "corpusbuilder.sources"


class UnknownSource(UserError, LookupError):
    """No adapter is registered under the asked name."""


@dataclass(frozen=True)
class AdapterInfo:
    name: str
    version: str
    module: str


def _entry_points() -> dict[str, object]:
    found: dict[str, object] = {}
    for ep in entry_points(group=GROUP):
        if ep.name in found:
            raise RuntimeError(f"two adapters are registered as {ep.name!r}; rename one")
        found[ep.name] = ep
    return found


def names() -> list[str]:
    return sorted(_entry_points())


def load(name: str) -> type[SourceAdapter]:
    """The adapter class registered as `name`."""
    eps = _entry_points()
    if name not in eps:
        available = ", ".join(sorted(eps)) or "none (is corpusbuilder installed?)"
        raise UnknownSource(f"unknown source {name!r}; available: {available}")
    adapter = eps[name].load()
    if not (isinstance(adapter, type) and issubclass(adapter, SourceAdapter)):
        raise TypeError(f"entry point {name!r} does not name a SourceAdapter subclass")
    return adapter


def describe() -> list[AdapterInfo]:
    """Name, version and module of every registered adapter, for ``corpusbuilder sources``."""
    infos = []
    for name in names():
        adapter = load(name)
        infos.append(AdapterInfo(name, adapter.version, adapter.__module__))
    return infos
