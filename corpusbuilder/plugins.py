"""Plugins found through an entry-point group: source adapters (``corpusbuilder.sources``) and
curation steps (``corpusbuilder.steps``). The built-ins register through the same groups as a
third party's, so the core never imports them by name. A name registered twice fails; an
unknown one answers with the available names.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from corpusbuilder.errors import UserError


class UnknownPlugin(UserError, LookupError):
    """No plugin is registered under the asked name."""


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str
    module: str


@dataclass(frozen=True)
class Plugins:
    """The plugins of one entry-point `group`, each a subclass of `base`, called a `kind`."""

    group: str
    kind: str  # "source", "step": how errors name one
    base: type
    unknown: type[UnknownPlugin] = UnknownPlugin

    def entry_points(self) -> dict[str, EntryPoint]:
        found: dict[str, EntryPoint] = {}
        for ep in entry_points(group=self.group):
            if ep.name in found:
                raise RuntimeError(f"two {self.kind}s are registered as {ep.name!r}; rename one")
            found[ep.name] = ep
        return found

    def names(self) -> list[str]:
        return sorted(self.entry_points())

    def load(self, name: str) -> type:
        """The class registered as `name`."""
        eps = self.entry_points()
        if name not in eps:
            available = ", ".join(sorted(eps)) or "none (is corpusbuilder installed?)"
            raise self.unknown(f"unknown {self.kind} {name!r}; available: {available}")
        plugin = eps[name].load()
        if not (isinstance(plugin, type) and issubclass(plugin, self.base)):
            raise TypeError(f"entry point {name!r} does not name a {self.base.__name__} subclass")
        return plugin

    def describe(self) -> list[PluginInfo]:
        """Name, version and module of every registered plugin, for the listing commands."""
        infos = []
        for name in self.names():
            plugin = self.load(name)
            infos.append(PluginInfo(name, str(plugin.version), plugin.__module__))
        return infos
