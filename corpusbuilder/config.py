"""corpus.yaml: what to ingest, how to curate, what to release and where to publish.

Every relative path in it is relative to the folder of corpus.yaml, never to the current
directory, so a corpus builds the same wherever the command is run from.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from corpusbuilder.errors import UserError

DEFAULT_FILE = "corpus.yaml"


class ConfigError(UserError, ValueError):
    """corpus.yaml is missing or wrong; the message says what to fix."""


@dataclass(frozen=True)
class SourceConfig:
    name: str
    adapter: str
    options: dict[str, Any]


@dataclass(frozen=True)
class CorpusConfig:
    path: Path
    name: str
    description: str
    workdir: Path
    ledger_url: str
    sources: tuple[SourceConfig, ...]
    licences: dict[str, Any] = field(default_factory=dict)
    curate: dict[str, Any] = field(default_factory=dict)
    release: dict[str, Any] = field(default_factory=dict)
    publish: dict[str, Any] = field(default_factory=dict)
    fetch: dict[str, Any] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def texts_dir(self) -> Path:
        return self.workdir / "texts"

    def release_dir(self, version: str) -> Path:
        return self.workdir / "releases" / version

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        available = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"no source {name!r} in {self.path}; configured: {available}")

    def resolve(self, location: str) -> str:
        """A path from corpus.yaml made absolute against its folder (URLs unchanged)."""
        if "://" in location:
            return location
        return str((self.root / location).resolve())

    def curation_hash(self) -> str:
        """Hash of everything that decides a release's content (not where it is published)."""
        relevant = {
            "sources": [[s.name, s.adapter, s.options] for s in self.sources],
            "licences": self.licences,
            "curate": self.curate,
        }
        canonical = json.dumps(relevant, sort_keys=True, default=str).encode()
        return hashlib.sha256(canonical).hexdigest()


def load(path: Path | str = DEFAULT_FILE) -> CorpusConfig:
    path = Path(path).resolve()
    if not path.is_file():
        raise ConfigError(
            f"no corpus config at {path}; create one with `corpusbuilder init DIR`"
            " or pass `-c path/to/corpus.yaml`"
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must be a mapping with `name:` and `sources:`")
    workdir = (path.parent / raw.get("workdir", "work")).resolve()
    ledger = raw.get("ledger") or f"sqlite:///{workdir / 'ledger.db'}"
    return CorpusConfig(
        path=path,
        name=str(raw.get("name") or path.parent.name),
        description=str(raw.get("description") or ""),
        workdir=workdir,
        ledger_url=ledger,
        sources=tuple(_sources(raw.get("sources"), path)),
        licences=dict(raw.get("licences") or {}),
        curate=dict(raw.get("curate") or {}),
        release=dict(raw.get("release") or {}),
        publish=dict(raw.get("publish") or {}),
        fetch=_fetch(raw.get("fetch"), path),
    )


FETCH_OPTIONS = {
    "cache_dir",
    "timeout",
    "min_interval",
    "max_attempts",
    "backoff",
    "max_wait",
    "respect_robots",
}


def _fetch(raw: Any, path: Path) -> dict[str, Any]:
    """The fetcher's settings; `cache_dir` is relative to corpus.yaml."""
    options = dict(raw or {})
    unknown = set(options) - FETCH_OPTIONS
    if unknown:
        raise ConfigError(
            f"{path}: unknown `fetch:` options {sorted(unknown)}; known: {sorted(FETCH_OPTIONS)}"
        )
    if options.get("cache_dir"):
        options["cache_dir"] = (path.parent / options["cache_dir"]).resolve()
    return options


def _sources(raw: Any, path: Path) -> list[SourceConfig]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{path}: `sources:` must be a list of {{name, adapter, …options}}")
    sources = []
    for entry in raw:
        if not isinstance(entry, dict) or "name" not in entry or "adapter" not in entry:
            raise ConfigError(f"{path}: every source needs `name:` and `adapter:`; got {entry!r}")
        options = {k: v for k, v in entry.items() if k not in ("name", "adapter")}
        sources.append(SourceConfig(str(entry["name"]), str(entry["adapter"]), options))
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise ConfigError(f"{path}: source names must be unique; got {names}")
    return sources
