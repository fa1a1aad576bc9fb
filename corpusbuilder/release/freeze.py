"""Freeze a release: every column of every row (which document, which text, which shard and row,
and the metadata the shard shows), each row's provenance, the facts of its card and its
changelog section go to the ledger once and never change. The files are written from that
record alone (`release_files`), never from today's ledger, policy or corpus.yaml, so writing
them again gives the same bytes or refuses.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpusbuilder.config import CorpusConfig
from corpusbuilder.config_model import Release as ReleaseSettings
from corpusbuilder.errors import UserError
from corpusbuilder.ledger import Ledger, ReleaseRecord
from corpusbuilder.licences import Policy
from corpusbuilder.release import card, changelog, curation_facts, layout, provenance, shards
from corpusbuilder.release.manifest import RowsHash
from corpusbuilder.source import utc_now
from corpusbuilder.textstore import TextStore, sha256_text

BATCH = 500  # documents read, measured and frozen at once


class ReleaseError(UserError):
    """A release cannot be frozen or written; the message says what to do."""


@dataclass(frozen=True)
class ReleaseResult:
    version: str
    directory: Path | str  # the local folder, or the URL of a release on an object store
    manifest_hash: str
    documents: int
    created: bool  # frozen by this call; False: it was frozen before and written again


def _check_releasable(doc, policy: Policy) -> None:
    problems = []
    if not doc.licence or not policy.get(doc.licence).allowed:
        problems.append(f"licence {doc.licence!r} is not allowed by the policy")
    if doc.evidence == 0:
        problems.append("it has no licence evidence")
    if not doc.url:
        problems.append("it has no origin URL")
    if problems:
        raise ReleaseError(
            f"{doc.doc_id} cannot be released: {'; '.join(problems)}. Run `corpusbuilder curate"
            " --all` after changing the policy, so that documents are decided again."
        )


def check_text(doc_id: str, sha: str, text: str) -> None:
    if sha256_text(text) != sha:
        raise ReleaseError(
            f"the stored text of {doc_id} does not match its sha256 {sha}:"
            " the text store is damaged; ingest the source again"
        )


def read_texts(store: TextStore, rows: Iterable) -> Iterator[tuple[Any, str]]:
    """(row, text) of each row (with a doc_id and a text_sha256), its sha256 checked, streamed
    through one reader: rows in ingest order decode each segment of the store once."""
    waiting: deque = deque()

    def shas() -> Iterator[str]:
        for row in rows:
            waiting.append(row)
            yield row.text_sha256

    try:
        for sha, text in store.get_many(shas()):
            row = waiting.popleft()
            check_text(row.doc_id, sha, text)
            yield row, text
    except KeyError as err:
        raise ReleaseError(f"{err.args[0]}: ingest its source again") from err


def _config(doc, policy: Policy, sharealike: bool) -> str:
    """The language config of a document; `<lang>-sharealike` for a share-alike one when
    corpus.yaml asks (`release: sharealike_configs: true`), so the rest can be taken alone."""
    language = doc.language or "und"
    if sharealike and policy.get(doc.licence).share_alike:
        return language + layout.SHAREALIKE
    return language


@dataclass
class _Config:
    """What the survey learns of a config: its size, to plan its shards, and the values of
    (language, licence) that select its documents in the ledger."""

    documents: int = 0
    chars: int = 0
    languages: set = field(default_factory=set)
    licences: set = field(default_factory=set)


def _survey(ledger: Ledger, policy: Policy, sharealike: bool) -> tuple[dict, Counter]:
    """Check every kept document, in ingest order, and sum up each config; return the configs
    and the licences counted in order of first appearance. Nothing is kept per document."""
    configs: dict[str, _Config] = {}
    licences: Counter = Counter()
    for doc in ledger.releasable():
        _check_releasable(doc, policy)
        found = configs.setdefault(_config(doc, policy, sharealike), _Config())
        found.documents, found.chars = found.documents + 1, found.chars + (doc.chars or 0)
        found.languages.add(doc.language)
        found.licences.add(doc.licence)
        licences[doc.licence] += 1
    return configs, licences


def _members(
    ledger: Ledger,
    store: TextStore,
    policy: Policy,
    version: str,
    configs: dict,
    settings: ReleaseSettings,
) -> Iterator[dict]:
    """The frozen rows, config by config, in ingest order within each, streamed from the ledger
    with their texts measured: after PII redaction the ledger's counts are those of the
    ingested text."""
    for name in sorted(configs):
        found = configs[name]
        planner = shards.ShardPlanner(name, found.chars, settings.shard_bytes)
        rows: Counter = Counter()
        for doc, text in read_texts(store, ledger.releasable(found.languages, found.licences)):
            shard = planner.place(doc.chars or 0)
            yield (
                {"version": version, "doc_id": doc.doc_id, "text_sha256": doc.text_sha256}
                | {"config": name, "shard": shard, "row": rows[shard], "source": doc.source}
                | {"url": doc.url, "title": doc.title, "creator": doc.creator, "date": doc.date}
                | {"language": doc.language, "language_score": doc.language_score}
                | {"licence": doc.licence, "licence_url": policy.get(doc.licence).url}
                | {"chars": len(text), "words": len(text.split())}
            )
            rows[shard] += 1
        if rows.total() != found.documents:
            raise ReleaseError(
                f"the kept documents of config {name} changed while release {version} was"
                " frozen: release again once nothing else writes to the ledger"
            )


def freeze(
    config: CorpusConfig, ledger: Ledger, store: TextStore, policy: Policy, version: str
) -> tuple[ReleaseRecord, bool]:
    """The release `version`, frozen now from the kept documents unless it already exists.

    Its rows and their provenance go to the ledger BATCH documents at a time, and its release
    row last (what makes it frozen), so memory does not grow with the corpus; rows an
    interrupted freeze left are discarded first."""
    existing = ledger.release(version)
    if existing is not None:
        return _complete_changelog(ledger, existing), False
    pending = ledger.pending_recuration()
    if pending:
        raise ReleaseError(
            f"the last curation did not finish ({pending} documents wait for their new decision):"
            " run `corpusbuilder curate` to finish it, then release"
        )
    settings = config.settings.release
    configs, licences = _survey(ledger, policy, settings.sharealike_configs)
    if not configs:
        raise ReleaseError("no document is kept yet: run `corpusbuilder ingest` and `curate` first")
    parent = ledger.latest_release()
    counts = _counts(config, ledger, policy, configs, licences, parent)
    ledger.discard_unfrozen(version)
    rows_hash, frozen_rows = RowsHash(), provenance.FrozenRows(ledger, policy, config.root)
    for batch in shards.batches(_members(ledger, store, policy, version, configs, settings), BATCH):
        for member in batch:
            rows_hash.add(member)
        ledger.add_release_rows(version, batch, frozen_rows.of(batch))
    release = ReleaseRecord(
        version=version,
        parent=parent.version if parent else None,
        created_at=utc_now(),
        policy_hash=policy.hash,
        config_hash=config.curation_hash(),
        manifest_hash=rows_hash.hexdigest(),
        counts=counts,
    )
    # The changelog section goes into the release row itself, so that no kill leaves a frozen
    # release without it: a frozen release is never frozen again.
    if ledger.has_provenance(version):
        release = release._replace(
            counts=counts | {"changelog": changelog.section(ledger, release)}
        )
    ledger.add_release(release)
    return ledger.release(version), True


def _complete_changelog(ledger: Ledger, release: ReleaseRecord) -> ReleaseRecord:
    """Freeze the changelog section of a release that froze its provenance without it: one
    frozen by a version that added the section after the release row, and was interrupted
    between the two."""
    if "changelog" in release.counts or not ledger.has_provenance(release.version):
        return release
    ledger.freeze_counts(release.version, {"changelog": changelog.section(ledger, release)})
    return ledger.release(release.version)


def _counts(
    config: CorpusConfig, ledger: Ledger, policy: Policy, configs: dict, licences: Counter, parent
) -> dict:
    counts = {
        "documents": sum(c.documents for c in configs.values()),
        "chars": sum(c.chars for c in configs.values()),
        "configs": {name: configs[name].documents for name in sorted(configs)},
        "licences": dict(licences),
        "funnel": [list(row) for row in ledger.funnel()],
        "card": card.frozen_facts(config.name, config.description, list(licences), policy),
    }
    counts["curation"] = curation_facts.freeze(config, ledger, policy, counts["funnel"])
    if parent is not None:
        counts["diff"] = {"parent": parent.version} | ledger.release_changes(parent.version)
    return counts


def complete_legacy(
    config: CorpusConfig, ledger: Ledger, store: TextStore, policy: Policy, release: ReleaseRecord
) -> ReleaseRecord:
    """A release frozen before schema 2 kept only (doc_id, text, shard, row); the migration
    copied the other columns from the document table. What it could not copy (licence URLs,
    the released text's counts, the card's facts) is frozen now, once, from today's policy and
    corpus.yaml — what the old code read on every write."""
    if "card" in release.counts:
        return release
    rows = list(ledger.release_rows(release.version))
    sizes = {row.doc_id: (len(text), len(text.split())) for row, text in read_texts(store, rows)}
    licences = list(release.counts["licences"])
    facts = card.frozen_facts(config.name, config.description, licences, policy)
    updates = [
        {"doc_id": r.doc_id, "licence_url": policy.get(r.licence).url if r.licence else None}
        | dict(zip(("chars", "words"), sizes[r.doc_id], strict=True))
        for r in rows
    ]
    ledger.complete_release(release.version, release.counts | {"card": facts}, updates)
    return ledger.release(release.version)
