"""The typed, frozen model of corpus.yaml: every key it accepts, its type, range and meaning.

Unknown keys are refused everywhere (``extra="forbid"``) and values are not coerced
(``strict``): ``curate.languages: en`` is an error, not the languages "e" and "n". The curation
keys are the ones the code reads (analysis, filters, dedup); the filters' thresholds are taken
from each filter's own ``defaults``, and each source entry is checked against its adapter's
``Options``, so a new filter or adapter is validated without a line here.
"""

from __future__ import annotations

import fnmatch
import inspect
import re
from functools import cache
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model, model_validator

from corpusbuilder import registry, steps
from corpusbuilder.curate.dedup import DedupConfig
from corpusbuilder.curate.filters import build_filters
from corpusbuilder.errors import UserError
from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.licences import Policy
from corpusbuilder.options import options_of
from corpusbuilder.release.shards import SHARD_BYTES
from corpusbuilder.release.versions import check_version

SOURCE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")
REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")
SOURCES = "what to ingest: a list of {name, adapter, …options}"
SECTIONS = ("licences", "curate", "release", "publish", "fetch")


class Section(BaseModel):
    """A part of corpus.yaml: unknown keys refused, nothing coerced, immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _source_name(value: str) -> str:
    if not SOURCE_NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a safe source name: 1-64 letters, digits, '_', '.' or '-',"
            " starting with a letter or digit (it forms doc ids and folder names)"
        )
    return value


def _language(value: str) -> str:
    if not LANGUAGE.fullmatch(value):
        raise ValueError(f"{value!r} is not a lowercase language code such as en, fr or zh-cn")
    return value


def _version(value: str) -> str:
    try:
        return check_version(value)
    except UserError as exc:
        raise ValueError(str(exc)) from None


def _repo_id(value: str) -> str:
    if not REPO_ID.fullmatch(value):
        raise ValueError(f"{value!r} is not a Hub dataset repo: write ORG/NAME")
    return value


@cache
def _licence_ids() -> tuple[str, ...]:
    return tuple(Policy.load().licences)


def _licence(pattern: str) -> str:
    """An id or glob of licences.yaml; a typo would otherwise allow or deny nothing."""
    if not fnmatch.filter(_licence_ids(), pattern):
        try:
            Policy.load().get(pattern)
        except KeyError as exc:
            raise ValueError(str(exc.args[0])) from None
    return pattern


def _step(name: str) -> str:
    """A registered step: `corpusbuilder steps` lists them."""
    try:
        steps.load(name)
    except UserError as exc:
        raise ValueError(str(exc)) from None
    return name


def _step_entry(item: str | dict[str, Any]) -> str | dict[str, Any]:
    """A step's name, or one `{name: settings}` for a step that takes its settings inline."""
    if isinstance(item, dict):
        if len(item) != 1:
            raise ValueError("a step with settings is one `name: {settings}` mapping")
        ((name, settings),) = item.items()
        if steps.load(_step(name)).reads_own_key():
            raise ValueError(
                f"{name} reads its settings from its own key under curate: (see the README);"
                " list it by name"
            )
        if not isinstance(settings, dict | None):
            raise ValueError(f"the settings of {name} must be a mapping")
        return item
    return _step(item)


SourceName = Annotated[str, AfterValidator(_source_name)]
Language = Annotated[str, AfterValidator(_language)]
LicencePattern = Annotated[str, AfterValidator(_licence)]
StepEntry = Annotated[str | dict[str, Any], AfterValidator(_step_entry)]


class Licences(Section):
    allow: list[LicencePattern] = Field(
        default_factory=list, description="licence ids or globs (CC-BY-*) to allow in a release"
    )
    deny: list[LicencePattern] = Field(
        default_factory=list, description="licence ids or globs to refuse; deny wins over allow"
    )
    jurisdictions: list[str] | None = Field(
        None,
        description="territories whose limited claims count ([US]); [] refuses any territorial"
        " claim; null accepts them all",
    )


def _threshold(default: Any) -> Any:
    """A filter threshold's type, from its default; null turns its rule off."""
    if isinstance(default, bool):
        return bool | None
    if isinstance(default, float):
        return Annotated[float, Field(ge=0)] | None
    if isinstance(default, dict):
        return dict[int, Annotated[float, Field(ge=0)] | None] | None
    return Annotated[int, Field(ge=0)] | None  # counts; a None default (max_words) is one too


def _filter_model(rule: Any) -> type[BaseModel]:
    thresholds: dict[str, Any] = {
        key: (_threshold(value), Field(value, description=f"default {value!r}; null: off"))
        for key, value in rule.defaults.items()
    }
    per_language = create_model(f"{rule.name}_language", __base__=Section, **thresholds)
    doc = (type(rule).__doc__ or "").strip().splitlines()[0]
    languages = (
        dict[Language, per_language] | None,
        Field(None, description="thresholds for one language: {de: {…}}"),
    )
    return create_model(rule.name, __base__=Section, __doc__=doc, **thresholds, languages=languages)


@cache
def filters_model() -> type[BaseModel]:
    """One optional key per known filter, holding its thresholds."""
    fields: dict[str, Any] = {}
    for rule in build_filters(None):
        model = _filter_model(rule)
        fields[rule.name] = (model | None, Field(None, description=model.__doc__))
    return create_model("Filters", __base__=Section, **fields)


class CurateSection(Section):
    """`curate:`; the fields are added by `corpus_model`, from the installed filters."""

    @model_validator(mode="after")
    def _steps_agree(self) -> CurateSection:
        """`steps`, when set, is the chain: a key that turns one of its steps off is a mistake,
        and the MinHash signature describes the final text, so no step may follow it."""
        if getattr(self, "steps", None) is None:
            return self
        chosen = [steps.entry(item)[0] for item in self.steps]
        if len(set(chosen)) != len(chosen):
            raise ValueError("steps: a step is listed twice")
        if steps.MINHASH in chosen[:-1]:
            raise ValueError(f"steps: {steps.MINHASH} must be the last step")
        off = {steps.PII: "pii", steps.MINHASH: "near_dedup"}
        for name, key in off.items():
            if name in chosen and getattr(self, key) is False:
                raise ValueError(f"{key} is false but steps lists {name}; remove one")
        unused = sorted(set(self.filters.model_fields_set if self.filters else ()) - set(chosen))
        if self.languages is not None and steps.LANGUAGE not in chosen:
            unused.insert(0, f"languages (read by {steps.LANGUAGE})")
        if unused:
            raise ValueError(f"steps does not list {', '.join(unused)}: add it or remove its key")
        return self


class NearDedup(Section):
    """MinHash + LSH settings; the defaults are DedupConfig's (dedup.py says why)."""

    num_perm: int = Field(DedupConfig.num_perm, ge=1, description="permutations = bands x rows")
    bands: int = Field(DedupConfig.bands, ge=1, description="LSH bands")
    rows: int = Field(DedupConfig.rows, ge=1, description="signature values in one band")
    ngram: int = Field(DedupConfig.ngram, ge=1, description="words in one shingle")
    threshold: float = Field(
        DedupConfig.threshold, gt=0, le=1, description="estimated Jaccard of a duplicate"
    )
    seed: int = Field(DedupConfig.seed, description="fixes the hash functions")

    @model_validator(mode="after")
    def _consistent(self) -> NearDedup:
        DedupConfig(**self.model_dump())  # its ValueError says which numbers disagree
        return self


def _fetch_default(name: str) -> Any:
    return inspect.signature(Fetcher).parameters[name].default


class Fetch(Section):
    cache_dir: str | None = Field(None, description="keeps responses (relative to corpus.yaml)")
    timeout: float = Field(_fetch_default("timeout"), gt=0, description="seconds per request")
    min_interval: float = Field(
        _fetch_default("min_interval"), ge=0, description="seconds between requests to one host"
    )
    max_attempts: int = Field(_fetch_default("max_attempts"), ge=1, description="tries of a URL")
    backoff: float = Field(_fetch_default("backoff"), ge=0, description="first retry wait, doubled")
    max_wait: float = Field(_fetch_default("max_wait"), ge=0, description="longest single wait")
    respect_robots: bool = Field(_fetch_default("respect_robots"), description="obey robots.txt")
    deadline: float = Field(
        _fetch_default("deadline"), gt=0, description="seconds from a request to its last byte"
    )
    max_bytes: int = Field(_fetch_default("max_bytes"), gt=0, description="largest response body")
    min_rate: float = Field(
        _fetch_default("min_rate"), ge=0, description="slowest bytes/s accepted after a minute"
    )


class Release(Section):
    version: Annotated[str, AfterValidator(_version)] | None = Field(
        None, description="MAJOR.MINOR.PATCH[-pre] built by `build` (or pass --version)"
    )
    shard_bytes: int = Field(SHARD_BYTES, gt=0, description="target size of one Parquet shard")
    sharealike_configs: bool = Field(
        False, description="put share-alike documents in their own `<lang>-sharealike` configs"
    )


class Publish(Section):
    to: str | None = Field(None, description="a folder laid out like a Hub repo (relative path)")
    repo_id: Annotated[str, AfterValidator(_repo_id)] | None = Field(
        None, description="a Hub dataset repo, ORG/NAME"
    )
    private: bool = Field(False, description="create the Hub repo private")
    message: str | None = Field(None, description="the commit message")
    timeout: float | None = Field(
        None, gt=0, description="seconds a Hub call may wait without progress (default 60)"
    )

    @model_validator(mode="after")
    def _one_target(self) -> Publish:
        if self.to and self.repo_id:
            raise ValueError("choose one: `to:` (a folder) or `repo_id:` (the Hub), not both")
        return self


class Engine(Section):
    """Where curation's steps run; not part of a release's config hash (corpusbuilder.engines)."""

    name: Literal["local", "ray"] = Field(
        "local",
        description="local: a process pool; ray: Ray tasks (pip install 'corpusbuilder[ray]')",
    )
    address: str | None = Field(
        None,
        description="ray: a cluster (ray://head:10001, auto); null: $RAY_ADDRESS or a local Ray",
    )


class Corpus(Section):
    """corpus.yaml without its sources, whose model depends on the installed adapters."""

    name: str | None = Field(None, description="the corpus name (default: its folder's name)")
    description: str | None = Field("", description="one paragraph for the dataset card")
    workdir: str = Field("work", description="ledger, text store and releases")
    ledger: str | None = Field(None, description="an SQLAlchemy URL (default: SQLite in workdir)")
    storage: str | None = Field(
        None,
        description="texts, signatures and releases: a path or an fsspec URL (s3://bucket/prefix);"
        " default: workdir",
    )
    licences: Licences = Field(Licences(), description="changes to licences.yaml's policy")
    release: Release = Field(Release(), description="what `build` releases")
    publish: Publish = Field(Publish(), description="where `build` publishes")
    fetch: Fetch = Field(Fetch(), description="the HTTP client of every adapter")
    engine: Engine = Field(Engine(), description="where curation's steps run: local or ray")

    @model_validator(mode="before")
    @classmethod
    def _empty_sections(cls, data: Any) -> Any:
        """``curate:`` with every key under it commented out is YAML null: an empty section."""
        if not isinstance(data, dict):
            return data
        return {
            key: {} if value is None and key in SECTIONS else value for key, value in data.items()
        }


@cache
def corpus_model() -> type[BaseModel]:
    """The model of the whole file, with each source checked by its adapter's ``Options``."""
    near_dedup = Literal[False] | NearDedup | None
    curate = create_model(
        "Curate",
        __base__=CurateSection,
        languages=(list[Language] | None, Field(None, description="codes to keep; null: all")),
        filters=(filters_model() | None, Field(None, description="null: all; {}: none")),
        pii=(bool, Field(True, description="redact e-mail addresses, phones and IPs")),
        language_mismatch=(
            Literal["hold", "detected", "stated"],
            Field("hold", description="a stated language the detector contradicts: trust whom"),
        ),
        near_dedup=(near_dedup, Field(None, description="MinHash settings, or false: off")),
        steps=(
            list[StepEntry] | None,
            Field(None, description="the chain, in order (`corpusbuilder steps`); null: default"),
        ),
    )
    kinds = tuple(_source_model(name) for name in registry.names())
    one_of = Annotated[Union[kinds], Field(discriminator="adapter")]  # noqa: UP007
    source = kinds[0] if len(kinds) == 1 else one_of
    return create_model(
        "CorpusFile",
        __base__=Corpus,
        sources=(list[source], Field(min_length=1, description=SOURCES)),
        curate=(curate, Field(curate(), description="what to keep, and how to clean it")),
    )


def _source_model(adapter: str) -> type[BaseModel]:
    return create_model(
        f"{adapter}_source",
        __base__=options_of(registry.load(adapter)),
        name=(SourceName, Field(description="prefixes doc ids (<name>/<key>); unique")),
        adapter=(Literal[adapter], Field(description="`corpusbuilder sources` lists them")),
    )
