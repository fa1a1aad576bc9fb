"""corpus.yaml: what to ingest, how to curate, what to release and where to publish.

Every relative path in it is relative to the folder of corpus.yaml, never to the current
directory, so a corpus builds the same wherever the command is run from. The file is read by
`config_yaml` (duplicate keys and aliases refused, lines kept) and validated by the model of
`config_model`; any mistake is one line naming the file, the line, the key and the fix.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from corpusbuilder.config_errors import ConfigError, problems
from corpusbuilder.config_model import SECTIONS, corpus_model
from corpusbuilder.config_yaml import Loaded, YamlProblem, dotted, read
from corpusbuilder.release.versions import check_version
from corpusbuilder.storage import Storage

__all__ = ["DEFAULT_FILE", "ConfigError", "CorpusConfig", "SourceConfig", "json_schema", "load"]

DEFAULT_FILE = "corpus.yaml"


@dataclass(frozen=True)
class SourceConfig:
    name: str
    adapter: str
    options: dict[str, Any]  # as written, validated by the adapter's Options


@dataclass(frozen=True)
class CorpusConfig:
    """A loaded corpus.yaml: `settings` is the typed model; the dicts are views of it as written.

    `licences`, `curate`, `release` and `publish` hold only the keys the file sets (validated),
    as plain dicts: the curation settings are pickled to worker processes and hashed, and a key
    left out keeps meaning "the code's default".
    """

    path: Path
    settings: BaseModel
    workdir: Path
    ledger_url: str
    sources: tuple[SourceConfig, ...]
    licences: dict[str, Any] = field(default_factory=dict)
    curate: dict[str, Any] = field(default_factory=dict)
    release: dict[str, Any] = field(default_factory=dict)
    publish: dict[str, Any] = field(default_factory=dict)
    fetch: dict[str, Any] = field(default_factory=dict)  # keyword arguments of Fetcher

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def name(self) -> str:
        return self.settings.name or self.root.name

    @property
    def description(self) -> str:
        return self.settings.description or ""

    @property
    def storage(self) -> Storage:
        """Where the text store, signatures and releases live: `storage:` (a path relative to
        corpus.yaml, or an fsspec URL), by default the workdir. Not part of any hash: where the
        bytes live changes nothing of what they are."""
        location = self.settings.storage
        return Storage(self.resolve(location) if location else self.workdir)

    def release_dir(self, version: str) -> Path:
        """The folder of release `version`; checked here too, the last step before a path."""
        return (self.storage.local_path or self.workdir) / "releases" / check_version(version)

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
    """The validated corpus.yaml at `path`; a `ConfigError` names the line of any mistake."""
    shown = str(path)
    path = Path(path).resolve()
    if not path.is_file():
        raise ConfigError(
            f"no corpus config at {path}; create one with `corpusbuilder init DIR`"
            " or pass `-c path/to/corpus.yaml`"
        )
    try:
        loaded = read(path.read_text(encoding="utf-8"))
    except YamlProblem as exc:
        raise ConfigError(f"{_where(shown, exc.line)}{exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{shown}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    settings = _validate(loaded, shown)
    _unique_names(loaded, shown)
    return _config(path, settings, loaded.data)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of corpus.yaml, for editors (``corpusbuilder validate --schema``)."""
    schema = corpus_model().model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def _where(shown: str, line: int | None) -> str:
    return f"{shown}:{line}: " if line else f"{shown}: "


def _validate(loaded: Loaded, shown: str) -> BaseModel:
    model = corpus_model()
    try:
        return model.model_validate(loaded.data)
    except ValidationError as exc:
        found = problems(exc, model.model_json_schema())
        first = min(found, key=lambda p: loaded.line(p.path) or 0)
        key = f"{dotted(first.path)}: " if first.path else ""
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        message = f"{_where(shown, loaded.line(first.path))}{key}{first.text}{more}"
        raise ConfigError(message) from None


def _unique_names(loaded: Loaded, shown: str) -> None:
    seen: dict[str, int] = {}
    for index, entry in enumerate(loaded.data["sources"]):
        if entry["name"] in seen:
            first = seen[entry["name"]]
            raise ConfigError(
                f"{_where(shown, loaded.line(('sources', index, 'name')))}"
                f"sources[{index}].name: {entry['name']!r} is also the name of sources[{first}]"
                f" (line {loaded.line(('sources', first, 'name'))}); source names are unique"
            )
        seen[entry["name"]] = index


def _config(path: Path, settings: Any, data: dict) -> CorpusConfig:
    workdir = (path.parent / settings.workdir).resolve()
    written = {key: getattr(settings, key).model_dump(exclude_unset=True) for key in SECTIONS}
    filters = written["curate"].get("filters")
    if filters:  # the order written is the order they run in
        written["curate"]["filters"] = {name: filters[name] for name in data["curate"]["filters"]}
    fetch = written.pop("fetch")
    if fetch.get("cache_dir"):
        fetch["cache_dir"] = (path.parent / fetch["cache_dir"]).resolve()
    options = {"exclude_unset": True, "by_alias": True, "exclude": {"name", "adapter"}}
    sources = tuple(
        SourceConfig(s.name, s.adapter, s.model_dump(**options)) for s in settings.sources
    )
    return CorpusConfig(
        path=path,
        settings=settings,
        workdir=workdir,
        ledger_url=settings.ledger or f"sqlite:///{workdir / 'ledger.db'}",
        sources=sources,
        fetch=fetch,
        **written,
    )
