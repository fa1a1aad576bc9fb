"""Curation steps: the contract between a step and the runner, and the registry of steps.

A step is one class with one method, ``run(docs) -> outcomes``, over a batch of ``Doc`` (a text
with its metadata: doc_id, source, licence, language…). It answers one ``Outcome`` per document,
in order: keep, drop (a stable snake_case ``reason`` and the measured ``detail``, ``words=12 <
50``), or keep with a modified ``text``; any outcome may carry ``annotations`` (language, score,
PII counts, MinHash signature). A step knows nothing of processes, the ledger or the runner: the
runner ships batches to workers, applies the outcomes, skips dropped documents in later steps
and writes every decision and counter.

Steps have versioned names (``gopher_quality_v1``) and are found through the
``corpusbuilder.steps`` entry-point group, the built-ins the same way as a third party's::

    [project.entry-points."corpusbuilder.steps"]
    short_lines_v1 = "my_package.short_lines:ShortLines"

``curate.steps:`` in corpus.yaml lists the chain; left out, it is ``default_names(curate)``:
language, its check against the source's stated language, the configured filters, PII (unless
``pii: false``), MinHash (unless ``near_dedup: false``). A built-in reads its settings from the
key it always had (``curate.languages``, ``curate.filters.<name>``, ``curate.near_dedup``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from corpusbuilder.plugins import PluginInfo, Plugins, UnknownPlugin

GROUP = "corpusbuilder.steps"
LANGUAGE = "langdetect_fasttext_v8"
LANGUAGE_METADATA = "language_metadata_v1"
PII = "pii_regex_v1"
MINHASH = "minhash_lsh_v1"
# The built-in filters, in the default order (``corpusbuilder.curate.filters`` builds them).
FILTERS = ("gopher_quality_v1", "gopher_repetition_v1", "c4_lines_v1", "ocr_noise_v1")


@dataclass(eq=False)
class Doc:
    """One document as a step sees it. Steps read it; the runner applies their outcomes."""

    doc_id: str
    text: str
    source: str | None = None
    licence: str | None = None
    language: str | None = None
    language_score: float | None = None
    language_hint: str | None = None  # the language the source states, as it states it
    annotations: dict[str, Any] = field(default_factory=dict)
    # Derived from `text` and shared by steps (the filters' tokens); cleared when text changes.
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def apply(self, outcome: Outcome) -> None:
        """Take a step's outcome: its text, if modified, and its annotations."""
        if outcome.text is not None:
            self.text = outcome.text
            self.cache.clear()
        self.annotations.update(outcome.annotations)
        for key in ("language", "language_score"):
            if key in outcome.annotations:
                setattr(self, key, outcome.annotations[key])


@dataclass(frozen=True)
class Outcome:
    """What a step decided for one document. `reason` on a kept document is a note the ledger
    records (``pii_redacted``); on a dropped one, why it was dropped."""

    dropped: bool = False
    reason: str | None = None
    detail: str | None = None
    text: str | None = None  # the new text, when the step changed it
    annotations: Mapping[str, Any] = field(default_factory=dict)
    held: bool = False  # dropped for a person to review (status held), not filtered out


KEEP = Outcome()


def keep(**annotations: Any) -> Outcome:
    return Outcome(annotations=annotations) if annotations else KEEP


def drop(reason: str, detail: str, **annotations: Any) -> Outcome:
    return Outcome(True, reason, detail, annotations=annotations)


def hold(reason: str, detail: str, **annotations: Any) -> Outcome:
    """Leave the document out of releases until a person has looked at it."""
    return Outcome(True, reason, detail, annotations=annotations, held=True)


def note(reason: str, detail: str, **annotations: Any) -> Outcome:
    """Keep the document, with a note the ledger records."""
    return Outcome(False, reason, detail, annotations=annotations)


def modify(text: str, reason: str, detail: str, **annotations: Any) -> Outcome:
    return Outcome(False, reason, detail, text, annotations)


class Step:
    """Base of every step: a versioned `name`, the `stage` its decisions are filed under, and
    settings given to the constructor (plain values: a step is pickled to worker processes)."""

    name: ClassVar[str]
    version: ClassVar[str]  # from the name: gopher_quality_v1 → "1"
    stage: ClassVar[str] = "filter"
    # Modules that load the step's read-only models on import: imported once where the workers
    # start from (a local pool's forkserver), so that the workers share them
    preload: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if isinstance(name, str):
            cls.version = name.rpartition("_v")[2]

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        self.settings = dict(settings or {})

    @classmethod
    def configure(cls, curate: Mapping[str, Any]) -> Step:
        """The step with its settings from corpus.yaml's `curate:` section (as written). A
        built-in reads its own key; any other step takes its settings inline, in its
        `curate.steps` entry (`- my_step_v1: {min_words: 30}`), and needs no override."""
        return cls()

    @classmethod
    def reads_own_key(cls) -> bool:
        """Whether it takes its settings from a key of its own under `curate:` (a built-in)."""
        return cls.configure.__func__ is not Step.configure.__func__

    def run(self, docs: Sequence[Doc]) -> list[Outcome]:
        """One outcome per document of `docs`, in order."""
        raise NotImplementedError

    def prepare(self) -> None:
        """Make ready, in the driver before any worker starts, what `preload` will read (a model
        converted or fetched once per machine), so that a failure is one clear error here and
        not a worker that cannot start."""

    def described_settings(self) -> dict[str, Any]:
        """The settings it decides with, defaults included, for the card and croissant.json;
        a step that keeps constants of its own names them here."""
        return dict(self.settings)


class UnknownStep(UnknownPlugin):
    """No step is registered under the asked name."""


PLUGINS = Plugins(GROUP, "step", Step, UnknownStep)


def names() -> list[str]:
    return PLUGINS.names()


def load(name: str) -> type[Step]:
    """The step class registered as `name`."""
    return PLUGINS.load(name)


def describe() -> list[PluginInfo]:
    """Name, version and module of every registered step, for ``corpusbuilder steps``."""
    return PLUGINS.describe()


def default_names(curate: Mapping[str, Any]) -> list[str]:
    """Today's chain: language, its check against the stated language, the filters of
    `curate.filters` in the order written (all of them when it is left out), PII redaction and
    the MinHash signature unless turned off."""
    filters = curate.get("filters")
    chain = [LANGUAGE, LANGUAGE_METADATA, *(FILTERS if filters is None else filters)]
    if curate.get("pii", True):
        chain.append(PII)
    if curate.get("near_dedup", {}) is not False:
        chain.append(MINHASH)
    return chain


def entry(item: str | Mapping[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """A `curate.steps` entry: a step's name, or `{name: settings}` for settings inline."""
    if isinstance(item, str):
        return item, None
    ((name, settings),) = item.items()
    return name, dict(settings or {})


def chain(curate: Mapping[str, Any]) -> list[Step]:
    """The configured steps, in order, each with its settings."""
    chosen = curate.get("steps")
    entries = [entry(item) for item in (default_names(curate) if chosen is None else chosen)]
    return [
        load(name).configure(curate) if settings is None else load(name)(settings)
        for name, settings in entries
    ]
