"""Freeze a release: every column of every row (which document, which text, which shard and row,
and the metadata the shard shows), each row's provenance, the facts of its card and its
changelog section go to the ledger once and never change. The files are written from that
record alone (`release_files`), never from today's ledger, policy or corpus.yaml, so writing
them again gives the same bytes or refuses.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from corpusbuilder.config import CorpusConfig
from corpusbuilder.config_model import Release as ReleaseSettings
from corpusbuilder.errors import UserError
from corpusbuilder.ledger import Ledger
from corpusbuilder.ledger.models import Release
from corpusbuilder.licences import Policy
from corpusbuilder.release import card, changelog, curation_facts, layout, provenance, shards
from corpusbuilder.release.manifest import manifest_hash
from corpusbuilder.source import utc_now
from corpusbuilder.textstore import TextStore, sha256_text


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


def measure(store: TextStore, rows: list) -> dict[str, tuple[int, int]]:
    """doc_id → (chars, words) of each released text, read with its sha256 checked. Measured on
    the text itself: after PII redaction the ledger's counts are those of the ingested text."""
    sizes = {}
    try:
        for row, (sha, text) in zip(rows, store.get_many(r.text_sha256 for r in rows), strict=True):
            check_text(row.doc_id, sha, text)
            sizes[row.doc_id] = (len(text), len(text.split()))
    except KeyError as err:
        raise ReleaseError(f"{err.args[0]}: ingest its source again") from err
    return sizes


def _config(doc, policy: Policy, sharealike: bool) -> str:
    """The language config of a document; `<lang>-sharealike` for a share-alike one when
    corpus.yaml asks (`release: sharealike_configs: true`), so the rest can be taken alone."""
    language = doc.language or "und"
    if sharealike and policy.get(doc.licence).share_alike:
        return language + layout.SHAREALIKE
    return language


def _members(
    docs: list, policy: Policy, sizes: dict, version: str, settings: ReleaseSettings
) -> list:
    """The frozen rows, grouped by config, in ingest order within each."""
    by_config: dict[str, list] = {}
    for doc in docs:
        by_config.setdefault(_config(doc, policy, settings.sharealike_configs), []).append(doc)
    members = []
    for config in sorted(by_config):
        group = by_config[config]
        plan = shards.plan_shards(config, [d.chars or 0 for d in group], settings.shard_bytes)
        rows = Counter()
        for doc, shard in zip(group, plan, strict=True):
            chars, words = sizes[doc.doc_id]
            members.append(
                {"version": version, "doc_id": doc.doc_id, "text_sha256": doc.text_sha256}
                | {"config": config, "shard": shard, "row": rows[shard], "source": doc.source}
                | {"url": doc.url, "title": doc.title, "creator": doc.creator, "date": doc.date}
                | {"language": doc.language, "language_score": doc.language_score}
                | {"licence": doc.licence, "licence_url": policy.get(doc.licence).url}
                | {"chars": chars, "words": words}
            )
            rows[shard] += 1
    return members


def freeze(
    config: CorpusConfig, ledger: Ledger, store: TextStore, policy: Policy, version: str
) -> tuple[Release, bool]:
    """The release `version`, frozen now from the kept documents unless it already exists."""
    existing = ledger.release(version)
    if existing is not None:
        return _complete_changelog(ledger, existing), False
    pending = ledger.pending_recuration()
    if pending:
        raise ReleaseError(
            f"the last curation did not finish ({pending} documents wait for their new decision):"
            " run `corpusbuilder curate` to finish it, then release"
        )
    docs = sorted(ledger.releasable(), key=lambda d: (d.seq, d.doc_id))  # texts stream in order
    if not docs:
        raise ReleaseError("no document is kept yet: run `corpusbuilder ingest` and `curate` first")
    for doc in docs:
        _check_releasable(doc, policy)
    members = _members(docs, policy, measure(store, docs), version, config.settings.release)
    parent = ledger.latest_release()
    release = Release(
        version=version,
        parent=parent.version if parent else None,
        created_at=utc_now(),
        policy_hash=policy.hash,
        config_hash=config.curation_hash(),
        manifest_hash=manifest_hash(members),
        counts=_counts(config, ledger, policy, docs, members, parent),
    )
    rows = provenance.freeze_rows(ledger, policy, members, config.root)
    ledger.add_release(release, members, rows)
    return _complete_changelog(ledger, ledger.release(version)), True


def _complete_changelog(ledger: Ledger, release: Release) -> Release:
    """Freeze the changelog section of a release that froze its provenance, right after it is
    frozen (the diff reads both releases from the ledger). Should that step have been
    interrupted, it is frozen the next time the release is asked for."""
    if "changelog" in release.counts or not ledger.has_provenance(release.version):
        return release
    ledger.freeze_counts(release.version, {"changelog": changelog.section(ledger, release)})
    return ledger.release(release.version)


def _counts(
    config: CorpusConfig, ledger: Ledger, policy: Policy, docs: list, members: list, parent
) -> dict:
    licences = dict(Counter(d.licence for d in docs))
    counts = {
        "documents": len(members),
        "chars": sum(d.chars or 0 for d in docs),
        "configs": dict(Counter(m["config"] for m in members)),
        "licences": licences,
        "funnel": [list(row) for row in ledger.funnel()],
        "card": card.frozen_facts(config.name, config.description, list(licences), policy),
    }
    counts["curation"] = curation_facts.freeze(config, ledger, policy, counts["funnel"])
    if parent is not None:
        before = {r.doc_id: r.text_sha256 for r in ledger.release_members(parent.version)}
        now = {m["doc_id"]: m["text_sha256"] for m in members}
        counts["diff"] = {
            "parent": parent.version,
            "added": len(now.keys() - before.keys()),
            "removed": len(before.keys() - now.keys()),
            "changed": sum(1 for k in now.keys() & before.keys() if now[k] != before[k]),
        }
    return counts


def complete_legacy(
    config: CorpusConfig, ledger: Ledger, store: TextStore, policy: Policy, release: Release
) -> Release:
    """A release frozen before schema 2 kept only (doc_id, text, shard, row); the migration
    copied the other columns from the document table. What it could not copy (licence URLs,
    the released text's counts, the card's facts) is frozen now, once, from today's policy and
    corpus.yaml — what the old code read on every write."""
    if "card" in release.counts:
        return release
    rows = list(ledger.release_rows(release.version))
    sizes = measure(store, rows)
    licences = list(release.counts["licences"])
    facts = card.frozen_facts(config.name, config.description, licences, policy)
    updates = [
        {"doc_id": r.doc_id, "licence_url": policy.get(r.licence).url if r.licence else None}
        | dict(zip(("chars", "words"), sizes[r.doc_id], strict=True))
        for r in rows
    ]
    ledger.complete_release(release.version, release.counts | {"card": facts}, updates)
    return ledger.release(release.version)
