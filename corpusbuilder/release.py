"""Freeze a release: the manifest (which document, which text, which shard and row) is written to
the ledger once and never changed; the files are a pure function of it, so writing them again
gives the same bytes.
"""

from __future__ import annotations

import hashlib
import itertools
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from corpusbuilder import card, shards
from corpusbuilder.config import CorpusConfig
from corpusbuilder.errors import UserError
from corpusbuilder.ledger import Ledger
from corpusbuilder.ledger.models import Document, Release
from corpusbuilder.licences import Policy
from corpusbuilder.source import utc_now
from corpusbuilder.textstore import TextStore, sha256_text


class ReleaseError(UserError):
    """A release cannot be frozen or written; the message says what to do."""


@dataclass(frozen=True)
class ReleaseResult:
    version: str
    directory: Path
    manifest_hash: str
    documents: int
    created: bool


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


def _manifest(docs: list, policy: Policy, version: str, shard_bytes: int) -> list[dict]:
    by_config: dict[str, list] = {}
    for doc in docs:
        _check_releasable(doc, policy)
        by_config.setdefault(doc.language or "und", []).append(doc)
    for group in by_config.values():
        group.sort(key=lambda d: (d.seq, d.doc_id))  # ingest order: texts stream from the store
    members = []
    for config in sorted(by_config):
        group = by_config[config]
        plan = shards.plan_shards(config, [d.chars or 0 for d in group], shard_bytes)
        rows = Counter()
        for doc, shard in zip(group, plan, strict=True):
            members.append(
                {
                    "version": version,
                    "doc_id": doc.doc_id,
                    "text_sha256": doc.text_sha256,
                    "config": config,
                    "shard": shard,
                    "row": rows[shard],
                }
            )
            rows[shard] += 1
    return members


def manifest_hash(members: list[dict]) -> str:
    lines = (f"{m['doc_id']}\t{m['text_sha256']}\t{m['shard']}\t{m['row']}\n" for m in members)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def freeze(
    config: CorpusConfig, ledger: Ledger, policy: Policy, version: str
) -> tuple[Release, bool]:
    """The release `version`, frozen now from the kept documents unless it already exists."""
    existing = ledger.release(version)
    if existing is not None:
        return existing, False
    shard_bytes = int(config.release.get("shard_bytes", shards.SHARD_BYTES))
    docs = ledger.releasable()
    members = _manifest(docs, policy, version, shard_bytes)
    if not members:
        raise ReleaseError("no document is kept yet: run `corpusbuilder ingest` and `curate` first")
    parent = ledger.latest_release()
    release = Release(
        version=version,
        parent=parent.version if parent else None,
        created_at=utc_now(),
        policy_hash=policy.hash,
        config_hash=config.curation_hash(),
        manifest_hash=manifest_hash(members),
        counts=_counts(ledger, docs, members, parent),
    )
    ledger.add_release(release, members)
    return release, True


def _counts(ledger: Ledger, docs: list, members: list[dict], parent: Release | None) -> dict:
    counts = {
        "documents": len(members),
        "chars": sum(d.chars or 0 for d in docs),
        "configs": dict(Counter(m["config"] for m in members)),
        "licences": dict(Counter(d.licence for d in docs)),
        "funnel": [list(row) for row in ledger.funnel()],
    }
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


def write_files(
    config: CorpusConfig, ledger: Ledger, store: TextStore, policy: Policy, release: Release
) -> Path:
    """Write the shards and the card of a frozen release into its folder, verifying every text."""
    directory = config.release_dir(release.version)
    if directory.exists():
        shutil.rmtree(directory)
    members = ledger.release_members(release.version)
    for shard, group in itertools.groupby(members, key=lambda m: m.shard):
        shards.write_shard(directory / shard, _rows(ledger, store, policy, list(group)))
    (directory / "README.md").write_text(card.render(config, release, policy), encoding="utf-8")
    licences = card.render_licences(release, policy)
    (directory / "LICENSE.md").write_text(licences, encoding="utf-8")
    return directory


def _rows(ledger: Ledger, store: TextStore, policy: Policy, members: list) -> Iterator[dict]:
    """The shard rows of `members`, streamed: metadata a thousand at a time, texts one by one."""
    texts = store.get_many(m.text_sha256 for m in members)
    for start in range(0, len(members), 1000):
        part = members[start : start + 1000]
        docs = {
            d.doc_id: d for d in ledger.documents(Document.doc_id.in_([m.doc_id for m in part]))
        }
        for member in part:
            sha, text = next(texts)
            yield _row(docs[member.doc_id], text, sha, policy)


def _row(doc: Document, text: str, sha: str, policy: Policy) -> dict:
    if sha256_text(text) != sha:
        raise ReleaseError(
            f"the stored text of {doc.doc_id} does not match its sha256 {sha}:"
            " the text store is damaged; ingest the source again"
        )
    return {
        "id": doc.doc_id,
        "text": text,
        "source": doc.source,
        "url": doc.url,
        "title": doc.title,
        "creator": doc.creator,
        "date": doc.date,
        "language": doc.language,
        "language_score": doc.language_score,
        "licence": doc.licence,
        "licence_url": policy.get(doc.licence).url,
        "text_sha256": sha,
        "chars": len(text),
        "words": len(text.split()),
    }


def release(config: CorpusConfig, ledger: Ledger, store: TextStore, version: str) -> ReleaseResult:
    policy = Policy.load(overrides=config.licences)
    frozen, created = freeze(config, ledger, policy, version)
    directory = write_files(config, ledger, store, policy, frozen)
    return ReleaseResult(
        version, directory, frozen.manifest_hash, frozen.counts["documents"], created
    )
