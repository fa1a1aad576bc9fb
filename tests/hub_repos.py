"""The loopback hub's in-memory state: repos of full-snapshot commits, refs and LFS objects.

Kept apart from the HTTP layer in `tests.hub_server`, which routes requests to these objects;
every method here runs under `Hub.lock`, held by the request handler.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

LFS_SUFFIXES = (".parquet", ".arrow", ".bin", ".gz", ".zst", ".safetensors")
GITATTRIBUTES = "".join(f"*{s} filter=lfs diff=lfs merge=lfs -text\n" for s in LFS_SUFFIXES)
URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}


class HubError(Exception):
    """An HTTP error the way the Hub reports it: status, X-Error-Code and a JSON `error`."""

    def __init__(self, status: int, message: str, code: str | None = None, **extra: str):
        super().__init__(message)
        self.status, self.code, self.extra = status, code, extra


def git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass(frozen=True)
class Blob:
    data: bytes
    lfs: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def pointer(self) -> bytes:
        spec = "version https://git-lfs.github.com/spec/v1"
        return f"{spec}\noid sha256:{self.sha256}\nsize {len(self.data)}\n".encode()

    @property
    def etag(self) -> str:
        """The oid preupload reports and the ETag: sha256 for an LFS file, else the git sha1."""
        return self.sha256 if self.lfs else git_sha1(self.data)

    def entry(self, path: str) -> dict:
        item = {"type": "file", "path": path, "size": len(self.data)}
        item["oid"] = git_sha1(self.pointer if self.lfs else self.data)
        if self.lfs:
            lfs = {"oid": self.sha256, "size": len(self.data), "pointerSize": len(self.pointer)}
            item["lfs"] = lfs
        return item


@dataclass
class Commit:
    oid: str
    parent: str | None
    title: str
    files: dict[str, Blob]
    date: str = field(default_factory=lambda: f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%S.%f}Z")


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    private: bool
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def resolve(self, rev: str) -> Commit:
        """A branch, a tag, a commit oid or an unambiguous prefix of one (7+ hex digits)."""
        oid = self.branches.get(rev) or self.tags.get(rev)
        if oid is None and re.fullmatch(r"[0-9a-f]{7,40}", rev):
            found = [o for o in self.commits if o.startswith(rev)]
            oid = found[0] if len(found) == 1 else None
        if oid is None:
            raise HubError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        return self.commits[oid]

    def folder_oid(self, commit: Commit, folder: str) -> str:
        inside = sorted((p, b.etag) for p, b in commit.files.items() if p.startswith(folder + "/"))
        return hashlib.sha1(json.dumps(inside).encode()).hexdigest()

    def entries(self, commit: Commit, path: str, recursive: bool) -> list[dict]:
        """Tree entries under `path` (folders implied by file paths), sorted by path."""
        prefix = f"{path}/" if path else ""
        found: dict[str, dict] = {}
        for name, blob in commit.files.items():
            if not name.startswith(prefix):
                continue
            parts = name[len(prefix) :].split("/")
            depth = len(parts) - 1 if recursive else min(1, len(parts) - 1)
            for i in range(1, depth + 1):
                folder = prefix + "/".join(parts[:i])
                found[folder] = {"type": "directory", "path": folder}
            if recursive or len(parts) == 1:
                found[name] = blob.entry(name)
        if path and not found:
            raise HubError(404, f"{path} does not exist at {commit.oid}", "EntryNotFound")
        for item in found.values():
            if item["type"] == "directory":
                item["oid"] = self.folder_oid(commit, item["path"])
        return [found[p] for p in sorted(found)]


class Hub:
    """The in-memory state: repos keyed by (type, id), LFS objects by sha256, one lock for all."""

    def __init__(self, token: str, page_size: int = 1000):
        self.token, self.page_size, self.endpoint = token, page_size, ""
        self.repos: dict[tuple[str, str], Repo] = {}
        self.lfs: dict[str, bytes] = {}
        self.announced: dict[str, int] = {}
        self.lock = threading.RLock()
        self.log: list[tuple[str, str, int]] = []
        self._seq = itertools.count()

    def repo(self, repo_type: str, repo_id: str, authorized: bool) -> Repo:
        repo = self.repos.get((repo_type, repo_id))
        if repo is None or (repo.private and not authorized):
            raise HubError(404, f"Repository {repo_id} not found", "RepoNotFound")
        return repo

    def repo_url(self, repo: Repo) -> str:
        return f"{self.endpoint}/{URL_PREFIX[repo.repo_type]}{repo.repo_id}"

    def create_repo(self, repo_type: str, repo_id: str, private: bool) -> Repo:
        if (repo_type, repo_id) in self.repos:
            repo = self.repos[(repo_type, repo_id)]
            raise HubError(409, "You already created this repo", url=self.repo_url(repo))
        repo = self.repos[(repo_type, repo_id)] = Repo(repo_type, repo_id, private)
        initial = {".gitattributes": Blob(GITATTRIBUTES.encode(), lfs=False)}
        repo.branches["main"] = self.new_commit(repo, None, "initial commit", initial).oid
        return repo

    def new_commit(self, repo: Repo, parent: str | None, title: str, files: dict) -> Commit:
        tree = sorted((p, b.etag) for p, b in files.items())
        listing = json.dumps([parent, title, next(self._seq), tree]).encode()
        commit = Commit(hashlib.sha1(listing).hexdigest(), parent, title, files)
        repo.commits[commit.oid] = commit
        return commit

    def apply(self, repo: Repo, branch: str, lines: list[dict]) -> Commit:
        """Apply one ndjson commit payload to `branch`; 412 when parentCommit is not its head."""
        if branch not in repo.branches:
            raise HubError(404, f"Invalid rev id: {branch} is no branch", "RevisionNotFound")
        head = repo.commits[repo.branches[branch]]
        header = next((line["value"] for line in lines if line["key"] == "header"), None)
        if header is None or not header.get("summary"):
            raise HubError(400, "the commit payload needs a header line with a summary")
        parent = header.get("parentCommit")
        if parent and not (len(parent) >= 7 and head.oid.startswith(parent)):
            raise HubError(412, "A commit has happened since. Please refresh and try again.")
        files = dict(head.files)
        for line in lines:
            self.apply_operation(files, line["key"], line["value"])
        commit = self.new_commit(repo, head.oid, header["summary"], files)
        repo.branches[branch] = commit.oid
        return commit

    def apply_operation(self, files: dict[str, Blob], key: str, value: dict) -> None:
        path = value.get("path", "")
        if key == "file":
            files[path] = Blob(base64.b64decode(value["content"]), lfs=False)
        elif key == "lfsFile":
            data = self.lfs.get(value["oid"])
            if data is None:
                raise HubError(400, f"LFS object {value['oid']} for {path} was never uploaded")
            files[path] = Blob(data, lfs=True)
        elif key == "deletedFile":
            if files.pop(path, None) is None:
                raise HubError(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
        elif key == "deletedFolder":
            for name in [n for n in files if n.startswith(path.rstrip("/") + "/")]:
                del files[name]
        elif key != "header":
            raise HubError(400, f"unknown commit operation {key!r}")


def is_lfs(path: str, sample: bytes, size: int) -> bool:
    return path.endswith(LFS_SUFFIXES) or b"\0" in sample or size > 10 * 1024 * 1024
