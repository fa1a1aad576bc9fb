"""Publish a frozen release folder: to a local folder laid out like a Hub repo, or to the Hub.

A release folder already is a Hub dataset repo (README.md card whose YAML lists one config per
language, ``data/<lang>/train-*.parquet``, maybe ATTRIBUTION.md and croissant.json), so publishing
copies it as it is. On the Hub one release is exactly one commit holding every shard and the card,
tagged ``v<version>``; data files of the previous release that are not in this one are deleted
in that same commit, so the tag of an older release keeps resolving to its own files. Before
anything is written the card and the data files are checked against each other: a shard no config
claims, or a config that matches no shard, would publish a dataset that does not load.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import yaml

from corpusbuilder.errors import UserError

if TYPE_CHECKING:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

VERSION = re.compile(r"\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?")
FRONT_MATTER = re.compile(r"\A---\r?\n(.*?)\r?\n---\r?\n", re.S)
REPO_TYPE = "dataset"
OPTIONAL_FILES = ("ATTRIBUTION.md", "croissant.json")  # a release may or may not have them


class PublishError(UserError):
    """A release that cannot be published as asked; the message says what to do."""


@dataclass(frozen=True)
class Published:
    target: str  # the destination folder or the Hub repo id
    commit: str | None  # Hub commit oid; None for a folder
    tag: str | None  # "v<version>" on the Hub; None for a folder
    url: str | None
    files: int  # files of the release written or committed


def release_tag(version: str) -> str:
    if not VERSION.fullmatch(version):
        raise PublishError(f"version {version!r} is not like 1.2.0 (give it without a leading 'v')")
    return f"v{version}"


def card_patterns(card: str) -> dict[str, list[str]]:
    """The data_files patterns of each config in a dataset card's YAML front matter."""
    match = FRONT_MATTER.match(card)
    try:
        meta = yaml.safe_load(match.group(1)) if match else None
    except yaml.YAMLError as err:
        raise PublishError(f"README.md front matter is not valid YAML: {err}") from err
    configs = meta.get("configs") if isinstance(meta, dict) else None
    if not isinstance(configs, list) or not configs:
        raise PublishError("README.md lists no configs in its YAML front matter; rebuild it")
    patterns: dict[str, list[str]] = {}
    for config in configs:
        name = config.get("config_name") if isinstance(config, dict) else None
        flat = _flatten(config.get("data_files")) if name else []
        if not flat or not all(isinstance(p, str) for p in flat):
            raise PublishError(f"README.md config {config!r} needs a config_name and data_files")
        patterns[name] = flat
    return patterns


def _flatten(data_files) -> list:
    """data_files as a card writes them: a pattern, a list of them, or {split, path} items."""
    if isinstance(data_files, dict):
        return _flatten(data_files.get("path", list(data_files.values())))
    if isinstance(data_files, list):
        return [p for item in data_files for p in _flatten(item)]
    return [data_files]


def _matches(path: str, pattern: str) -> bool:
    """Glob match where `*` stays inside one path segment, as the Hub resolves data_files."""
    if "**" in pattern:
        return fnmatch.fnmatchcase(path, pattern)
    parts, wanted = PurePosixPath(path).parts, PurePosixPath(pattern).parts
    return len(parts) == len(wanted) and all(map(fnmatch.fnmatchcase, parts, wanted))


def _visible_files(root: Path) -> list[str]:
    """Repo-relative posix paths of the files under `root`, leaving out hidden files and folders."""
    paths = (p.relative_to(root) for p in root.rglob("*") if p.is_file())
    return sorted(p.as_posix() for p in paths if not any(s.startswith(".") for s in p.parts))


def stale_files(existing: Iterable[str], release: Iterable[str]) -> list[str]:
    """Files an earlier release left that this one lacks: its data files and optional extras."""
    keep = set(release)
    return [f for f in existing if (f.startswith("data/") or f in OPTIONAL_FILES) and f not in keep]


def release_files(release_dir: Path) -> list[str]:
    """Every file of the release (repo-relative posix paths), once the card and shards agree."""
    if not (release_dir / "README.md").is_file():
        raise PublishError(
            f"{release_dir} has no README.md: is it a release folder? Run release first"
        )
    files = _visible_files(release_dir)
    data = [f for f in files if f.startswith("data/")]
    patterns = card_patterns((release_dir / "README.md").read_text(encoding="utf-8"))
    for name, globs in patterns.items():
        if not any(_matches(f, g) for f in data for g in globs):
            raise PublishError(f"config {name!r} matches no file under {release_dir}/data")
    for path in data:
        if not any(_matches(path, g) for globs in patterns.values() for g in globs):
            raise PublishError(f"{path} belongs to no config in README.md; rebuild the release")
    return files


def publish_to_folder(release_dir: Path, dest: Path, version: str) -> Published:
    """Copy the release into `dest` so that `datasets.load_dataset(str(dest), config)` opens it.

    Files of an earlier release there are replaced; its data files and extras (ATTRIBUTION.md,
    croissant.json) that this release lacks are removed; nothing else in `dest` is touched.
    """
    release_tag(version)
    release_dir, dest = release_dir.resolve(), dest.resolve()
    if dest == release_dir or release_dir in dest.parents or dest in release_dir.parents:
        raise PublishError(f"publish to a folder outside the release folder, not {dest}")
    files = release_files(release_dir)
    stale = stale_files(_visible_files(dest), files) if dest.is_dir() else []
    for name in files:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        shutil.copyfile(release_dir / name, partial)
        os.replace(partial, target)
    for name in stale:
        (dest / name).unlink()
    for folder in sorted((dest / "data").rglob("*"), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return Published(str(dest), None, None, dest.as_uri(), len(files))


def publish_to_hub(
    release_dir: Path,
    repo_id: str,
    version: str,
    *,
    private: bool = False,
    token: str | None = None,
) -> Published:
    """Push the release as one commit on `main` of the dataset repo, tagged `v<version>`.

    The token defaults to HF_TOKEN or the one saved by `hf auth login`; it is never printed.
    """
    import huggingface_hub  # deferred: it reads HF_ENDPOINT and HF_HOME when imported
    from huggingface_hub.errors import HfHubHTTPError

    tag = release_tag(version)
    files = release_files(release_dir)
    if (token or huggingface_hub.get_token()) is None:
        raise PublishError("no Hugging Face token: set HF_TOKEN or run `hf auth login`")
    api = huggingface_hub.HfApi(token=token)
    try:
        repo_url = api.create_repo(repo_id, repo_type=REPO_TYPE, private=private, exist_ok=True)
        commit = _commit_release(api, release_dir, repo_id, version, files)
        api.create_tag(repo_id, tag=tag, revision=commit, repo_type=REPO_TYPE)
    except HfHubHTTPError as err:
        raise PublishError(_explain(api, err, repo_id, version)) from err
    return Published(repo_id, commit, tag, f"{repo_url}/tree/{tag}", len(files))


def _commit_release(
    api: HfApi, release_dir: Path, repo_id: str, version: str, files: list[str]
) -> str:
    """One commit: every release file added, data files and extras of the last one deleted."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    refs = api.list_repo_refs(repo_id, repo_type=REPO_TYPE)
    published = {ref.name: ref.target_commit for ref in refs.tags}
    if f"v{version}" in published:
        raise PublishError(_already(version, published[f"v{version}"]))
    head = next((b.target_commit for b in refs.branches if b.name == "main"), None)
    remote = api.list_repo_files(repo_id, repo_type=REPO_TYPE, revision=head) if head else []
    operations = [CommitOperationAdd(f, str(release_dir / f)) for f in files]
    operations += [CommitOperationDelete(f) for f in stale_files(remote, files)]
    info = api.create_commit(
        repo_id,
        operations,
        commit_message=f"Release v{version}",
        commit_description=f"corpusbuilder release v{version}: {len(files)} files.",
        repo_type=REPO_TYPE,
        revision="main",
        parent_commit=head,
    )
    return info.oid


def _already(version: str, commit: str) -> str:
    return f"release v{version} is already published as commit {commit}; publish a new version"


def _explain(api: HfApi, err: HfHubHTTPError, repo_id: str, version: str) -> str:
    """A Hub error in terms of what the publisher should do next."""
    status = err.response.status_code
    if status == 409:
        refs = api.list_repo_refs(repo_id, repo_type=REPO_TYPE)
        commit = next((t.target_commit for t in refs.tags if t.name == f"v{version}"), "?")
        return _already(version, commit)
    if status == 412:
        return (
            f"{repo_id} changed on the Hub while v{version} was being published; run publish again"
        )
    if status in (401, 403):
        return f"the Hub refused the token: it needs write access to {repo_id} (`hf auth login`)"
    return f"publishing v{version} to {repo_id} failed: {err}"
