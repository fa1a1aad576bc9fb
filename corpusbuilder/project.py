"""A corpus project: its config, ledger, text store and fetcher, and the stages run over them.

The CLI is a thin shell over this; tests and notebooks use it directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from corpusbuilder import config as corpus_config
from corpusbuilder import registry, takedown
from corpusbuilder.build import BuildResult, build
from corpusbuilder.curate.pipeline import CurateResult, Curator
from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.ingest.partitions import Parallel
from corpusbuilder.ingest.runner import IngestResult, ingest
from corpusbuilder.ledger import Ledger
from corpusbuilder.licences import Policy
from corpusbuilder.release import files as release_files
from corpusbuilder.release import publish as publishing
from corpusbuilder.release import publish_hub
from corpusbuilder.release import verify as verifying
from corpusbuilder.release.freeze import ReleaseError, ReleaseResult, complete_legacy, freeze
from corpusbuilder.release.versions import check_version
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
        # The index is local state of the corpus, as the ledger is: in the workdir.
        return TextStore(self.config.storage.child("texts"), self.config.workdir / "text-index")

    @cached_property
    def fetcher(self) -> Fetcher:
        return Fetcher(base_dir=self.config.root, **self.config.fetch)

    def ingest(
        self, name: str, limit: int | None = None, workers: int | None = None
    ) -> IngestResult:
        source = self.config.source(name)
        adapter = registry.load(source.adapter)(source.options)
        engine = self.config.settings.engine
        parallel = Parallel(workers, engine.name, engine.address)
        return ingest(
            self.ledger, self.store, name, adapter, self.fetcher, limit, self.progress, parallel
        )

    def curate(self, workers: int | None = None, redo: bool = False) -> CurateResult:
        if redo:
            self.ledger.reopen_for_curation(Curator.settings_hash(self.config))
        return Curator(self.config, self.ledger, self.store, workers).run(self.progress)

    def take_down(self, selector: str, reason: str, **options: bool) -> takedown.TakedownResult:
        """Take down what `selector` names and its copies (`only`, `pre_emptive`: see takedown)."""
        curator = Curator(self.config, self.ledger, self.store, workers=1)
        content = takedown.Content(curator.dedup, curator.signatures, self.store)
        return takedown.take_down(self.ledger, selector, reason, content, **options)

    def release(self, version: str) -> ReleaseResult:
        """Freeze `version` unless it is frozen, then write its files from the frozen record."""
        version = check_version(version)
        frozen, created = self.ledger.release(version), False
        if frozen is None or "card" not in frozen.counts:  # new, or frozen before schema 2
            policy = Policy.load(overrides=self.config.licences)
            frozen, created = freeze(self.config, self.ledger, self.store, policy, version)
            frozen = complete_legacy(self.config, self.ledger, self.store, policy, frozen)
        directory = release_files.write_files(self.config, self.ledger, self.store, frozen)
        documents = frozen.counts["documents"]
        return ReleaseResult(version, directory, frozen.manifest_hash, documents, created)

    def publish(
        self,
        version: str,
        to: str | None = None,
        repo_id: str | None = None,
        *,
        private: bool | None = None,
        message: str | None = None,
        replace: bool = False,
        dry_run: bool = False,
        timeout: float | None = None,
    ) -> publishing.Published:
        """Publish frozen release `version` to a folder or a Hub repo, and record where."""
        version = check_version(version)
        private = bool(self.config.publish.get("private")) if private is None else private
        message = message or self.config.publish.get("message")
        publishing.check_target(to, repo_id, private=private, message=message)
        if "card" not in self._frozen(version).counts:
            self.release(version)  # frozen before schema 2: completed and written once
        frozen = self._frozen(version)
        options = {"replace": replace, "dry_run": dry_run}
        with release_files.written(self.config, self.ledger, self.store, frozen) as folder:
            if repo_id:
                timeout = timeout or self.config.publish.get("timeout")
                options |= {"private": private, "message": message, "timeout": timeout}
                options["progress"] = self.progress
                done = publish_hub.publish_to_hub(folder, repo_id, version, **options)
            else:
                dest = Path(self.config.resolve(to))
                done = publishing.publish_to_folder(folder, dest, version, **options)
        if not done.dry_run:  # every publication is recorded; the Hub one on the release too
            where = {"target": done.target, "commit": done.commit, "tag": done.tag}
            kind = "hub" if repo_id else "folder"
            self.ledger.add_publication({"version": version, "kind": kind, "url": done.url} | where)
            if repo_id:
                self.ledger.mark_published(version, done.target, done.commit, done.tag)
        return done

    def verify(
        self,
        version: str,
        to: str | None = None,
        repo_id: str | None = None,
        revision: str | None = None,
    ) -> verifying.Verified:
        """Read release `version` back (its folder, a folder it was published to, or a Hub
        revision, by default its tag) and check it against manifest.json and the ledger."""
        version = check_version(version)
        publishing.check_target(to, repo_id, revision=revision, required=False)
        frozen = self._frozen(version)
        if repo_id:
            return verifying.verify_hub(repo_id, revision or f"v{version}", frozen, self.ledger)
        if to:
            return verifying.verify_folder(Path(self.config.resolve(to)), frozen, self.ledger)
        own = release_files.stored(self.config, version)
        with own.local_copy() as folder:
            return verifying.verify_folder(folder, frozen, self.ledger, own.url)

    def _frozen(self, version: str):
        frozen = self.ledger.release(version)
        if frozen is None:
            raise ReleaseError(
                f"no release {version}; freeze it with `corpusbuilder release {version}`"
            )
        return frozen

    def build(
        self,
        version: str | None = None,
        workers: int | None = None,
        allow_failed: bool = False,
        echo: Callable[[str], None] | None = None,
    ) -> BuildResult:
        """Every stage as corpus.yaml configures it; see corpusbuilder.build."""
        return build(self, version, workers, allow_failed, *(echo,) if echo else ())
