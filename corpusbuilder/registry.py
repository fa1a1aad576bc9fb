"""Source adapters are plugins found through the ``corpusbuilder.sources`` entry-point group.

The built-in adapters in ``sources/`` register through the same group as a third party's, so the
core never imports ``sources`` by name.
"""

from __future__ import annotations

from corpusbuilder.plugins import PluginInfo, Plugins, UnknownPlugin
from corpusbuilder.source import SourceAdapter

GROUP = "corpusbuilder.sources"
AdapterInfo = PluginInfo


class UnknownSource(UnknownPlugin):
    """No adapter is registered under the asked name."""


PLUGINS = Plugins(GROUP, "source", SourceAdapter, UnknownSource)


def names() -> list[str]:
    return PLUGINS.names()


def load(name: str) -> type[SourceAdapter]:
    """The adapter class registered as `name`."""
    return PLUGINS.load(name)


def describe() -> list[AdapterInfo]:
    """Name, version and module of every registered adapter, for ``corpusbuilder sources``."""
    return PLUGINS.describe()
