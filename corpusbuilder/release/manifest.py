"""manifest.json: what a release consists of, written into the release and published with it.

It names every other file of the release with its sha256 and size, and the hashes that identify
the release (rows, licence policy, curation config). Publish reads the previous one at a target to
know which files are ours there; verify reads it to check what it finds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from corpusbuilder.ledger import ReleaseRecord
from corpusbuilder.release import layout

NAME = layout.MANIFEST
GENERATOR = "corpusbuilder"
Digest = dict[str, Any]  # {"sha256": hex, "size": bytes}


def digest_bytes(data: bytes) -> Digest:
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def digest_file(path: Path) -> Digest:
    """sha256 and size of a file, read a megabyte at a time (shards can be large)."""
    sha, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while block := handle.read(2**20):
            sha.update(block)
            size += len(block)
    return {"sha256": sha.hexdigest(), "size": size}


def visible_files(root: Path) -> list[str]:
    """Repo-relative posix paths of the files under `root`, leaving out hidden files and folders
    (a target's .git, .cache or a copy in progress are never part of a release)."""
    paths = (p.relative_to(root) for p in root.rglob("*") if p.is_file())
    return sorted(p.as_posix() for p in paths if not any(s.startswith(".") for s in p.parts))


def digest_tree(root: Path) -> dict[str, Digest]:
    return {name: digest_file(root / name) for name in visible_files(root)}


def manifest_hash(members: Iterable[Mapping[str, Any]]) -> str:
    """The hash of a release's rows: (doc_id, text sha256, shard, row), in the order freeze
    creates them (config, then shard, then row), whatever order they are given in."""
    rows = RowsHash()
    for member in sorted(members, key=RowsHash.key):
        rows.add(member)
    return rows.hexdigest()


class RowsHash:
    """`manifest_hash` fed one row at a time, in the order freeze creates them, so a release of
    any size is hashed without holding its rows."""

    def __init__(self) -> None:
        self.sha = hashlib.sha256()
        self.last: tuple | None = None

    @staticmethod
    def key(member: Mapping[str, Any]) -> tuple:
        return member["config"], member["shard"], member["row"]

    def add(self, member: Mapping[str, Any]) -> None:
        key = self.key(member)
        if self.last is not None and key < self.last:
            raise ValueError(f"release row {key} comes after {self.last}: rows out of order")
        self.last = key
        line = f"{member['doc_id']}\t{member['text_sha256']}\t{member['shard']}\t{member['row']}\n"
        self.sha.update(line.encode())

    def hexdigest(self) -> str:
        return self.sha.hexdigest()


def render(release: ReleaseRecord, files: Mapping[str, Digest]) -> str:
    """manifest.json of `release` whose other files are `files`; only frozen facts, and no time
    of freezing, so the same inputs give the same bytes in any folder (invariant 3)."""
    body = {
        "generator": GENERATOR,
        "version": release.version,
        "parent": release.parent,
        "documents": release.counts["documents"],
        "manifest_hash": release.manifest_hash,
        "policy_hash": release.policy_hash,
        "config_hash": release.config_hash,
        "files": {name: dict(files[name]) for name in sorted(files)},
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def parse(text: str | bytes | None) -> dict | None:
    """A manifest.json written by corpusbuilder, or None for anything else (absent, not JSON,
    another tool's file): only ours says which files at a target are ours."""
    try:
        data = json.loads(text) if text is not None else None
    except ValueError:
        return None
    ours = isinstance(data, dict) and data.get("generator") == GENERATOR
    return data if ours and isinstance(data.get("files"), dict) else None


def read(root: Path) -> dict | None:
    path = root / NAME
    return parse(path.read_bytes()) if path.is_file() else None
