"""A corpus project: its config, ledger, text store and fetcher, and the stages run over them.

The CLI is a thin shell over this; tests and notebooks use it directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from corpusbuilder import config as corpus_config
from corpusbuilder import publish as publishing
from corpusbuilder import registry, takedown
from corpusbuilder.fetch import Fetcher
from corpusbuilder.ingest import IngestResult, ingest
from corpusbuilder.ledger import Ledger
from corpusbuilder.pipeline import CurateResult, Curator
from corpusbuilder.release import ReleaseError, ReleaseResult, release
from corpusbuilder.textstore import TextStore


@dataclass
class Project:
    config: corpus_config.CorpusConfig
    progress: bool = True

    @classmethod
    def open(cls, path: Path | str, progress: bool = True) -> Project:
        return cls(corpus_config.load(path), progress)

    @cached_property
    def ledger(self) -> Ledger:
        self.config.workdir.mkdir(parents=True, exist_ok=True)
        return Ledger(self.config.ledger_url)

    @cached_property
    def store(self) -> TextStore:
        return TextStore(self.config.texts_dir)

    @cached_property
    def fetcher(self) -> Fetcher:
        return Fetcher(base_dir=self.config.root, **self.config.fetch)

    def ingest(self, name: str, limit: int | None = None) -> IngestResult:
        source = self.config.source(name)
        adapter = registry.load(source.adapter)(source.options)
        return ingest(self.ledger, self.store, name, adapter, self.fetcher, limit, self.progress)

    def curate(self, workers: int | None = None, redo: bool = False) -> CurateResult:
        if redo:
            self.ledger.reopen_for_curation()
        return Curator(self.config, self.ledger, self.store, workers).run(self.progress)

    def take_down(self, selector: str, reason: str) -> list[str]:
        return takedown.take_down(self.ledger, selector, reason)

    def release(self, version: str) -> ReleaseResult:
        return release(self.config, self.ledger, self.store, version)

    def publish(
        self, version: str, to: str | None = None, repo_id: str | None = None
    ) -> publishing.Published:
        frozen = self.ledger.release(version)
        if frozen is None:
            raise ReleaseError(
                f"no release {version}; freeze it with `corpusbuilder release {version}`"
            )
        directory = self.config.release_dir(version)
        if not (directory / "README.md").exists():
            self.release(version)
        if repo_id:
            done = publishing.publish_to_hub(directory, repo_id, version)
        elif to:
            done = publishing.publish_to_folder(directory, Path(self.config.resolve(to)), version)
        else:
            raise ReleaseError("say where to publish: `--to DIR` or `--repo-id ORG/NAME`")
        self.ledger.mark_published(version, done.target, done.commit, done.tag)
        return done

    def build(self, version: str | None = None, workers: int | None = None) -> dict:
        """Every stage as corpus.yaml configures it; returns what each stage did."""
        version = version or str(self.config.release.get("version") or "")
        if not version:
            raise ReleaseError("no version: pass `--version X.Y.Z` or set `release: {version: …}`")
        done: dict = {"ingest": [self.ingest(s.name) for s in self.config.sources]}
        done["curate"] = self.curate(workers)
        done["release"] = self.release(version)
        target = self.config.publish
        if target.get("to") or target.get("repo_id"):
            done["publish"] = self.publish(version, target.get("to"), target.get("repo_id"))
        return done
