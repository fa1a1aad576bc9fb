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

from corpusbuilder.ledger.models import Release

NAME = "manifest.json"
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
    ordered = sorted(members, key=lambda m: (m["config"], m["shard"], m["row"]))
    lines = (f"{m['doc_id']}\t{m['text_sha256']}\t{m['shard']}\t{m['row']}\n" for m in ordered)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def render(release: Release, files: Mapping[str, Digest]) -> str:
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
