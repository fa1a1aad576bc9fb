"""Publish a frozen release folder: to a local folder laid out like a Hub repo, or to the Hub
(`publish_hub`).

A release folder already is a Hub dataset repo (README.md card whose YAML lists one config per
language, ``data/<lang>/train-*.parquet``, LICENSE.md, manifest.json), so publishing copies it.
Publish owns only what it published: the manifest.json a release of ours left at the target names
our files there. Files of that release which this one lacks are deleted; every other file is
kept; a file of this release that is already there, is not ours and differs is a conflict, and
nothing is written unless the user passes --replace. The hand-written text of the target's card
outside the generated block survives. Before anything is written the card and the data files are
checked against each other and against manifest.json.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from corpusbuilder.errors import ExitCode, UserError
from corpusbuilder.release import card, layout, manifest
from corpusbuilder.release.manifest import Digest
from corpusbuilder.release.versions import check_version

FRONT_MATTER = re.compile(r"\A---\r?\n(.*?)\r?\n---\r?\n", re.S)


class PublishError(UserError):
    """A release that cannot be published as asked; the message says what to do."""


class PublishMismatch(PublishError):
    """The version is already published at the target with other files."""

    exit_code = ExitCode.MISMATCH


@dataclass(frozen=True)
class Plan:
    """What publishing does at a target, path by path."""

    write: tuple[str, ...] = ()  # files of the release that are new there or differ
    unchanged: tuple[str, ...] = ()  # files of the release already there, byte for byte
    delete: tuple[str, ...] = ()  # files our previous release put there that this one lacks
    keep: tuple[str, ...] = ()  # files there that are not ours: never touched
    conflicts: tuple[str, ...] = ()  # files of the release there, not ours, that differ

    @property
    def changes(self) -> bool:
        """Whether the target lacks this release (a conflict is a change not yet allowed)."""
        return bool(self.write or self.delete or self.conflicts)


@dataclass(frozen=True)
class Published:
    target: str  # the destination folder or the Hub repo id
    commit: str | None  # Hub commit oid; None for a folder
    tag: str | None  # "v<version>" on the Hub; None for a folder
    url: str | None
    files: int  # files of the release
    plan: Plan = field(default_factory=Plan)
    already: bool = False  # the target already held this release: nothing was written
    dry_run: bool = False


@dataclass(frozen=True)
class LocalRelease:
    """A release folder checked against its manifest.json and its card."""

    root: Path
    version: str
    files: dict[str, Digest]  # every file, manifest.json included

    def readme_for(self, existing: str | None) -> bytes:
        """The card to publish where `existing` is: ours, with the hand-written text kept."""
        return card.merge(
            (self.root / layout.README).read_text(encoding="utf-8"), existing
        ).encode()

    def sha256s(self, readme: bytes) -> dict[str, str]:
        """path → sha256 of the bytes to publish (the card as merged for the target)."""
        shas = {path: digest["sha256"] for path, digest in self.files.items()}
        return shas | {layout.README: hashlib.sha256(readme).hexdigest()}


def release_tag(version: str) -> str:
    return f"v{check_version(version)}"


def check_target(
    to: str | None,
    repo_id: str | None,
    *,
    private: bool = False,
    message: str | None = None,
    revision: str | None = None,
    required: bool = True,
) -> None:
    """One target, and only the options that apply to it: nothing asked is silently ignored."""
    if to and repo_id:
        raise PublishError(
            "choose one: `--to DIR` or `--repo-id ORG/NAME` (publish.to or publish.repo_id), not"
            " both; run the command once for each target"
        )
    if required and not (to or repo_id):
        raise PublishError("say where to publish: `--to DIR` or `--repo-id ORG/NAME`")
    hub_only = [name for name, value in
                (("--private", private), ("--message", message), ("--revision", revision))
                if value]  # fmt: skip
    if hub_only and not repo_id:
        raise PublishError(f"only a Hub repo (`--repo-id`) takes {', '.join(hub_only)}")


def card_patterns(text: str) -> dict[str, list[str]]:
    """The data_files patterns of each config in a dataset card's YAML front matter."""
    match = FRONT_MATTER.match(text)
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


def check_card(root: Path, files: list[str]) -> None:
    """Every config of the card matches a data file, and every data file belongs to a config:
    otherwise the published dataset would not load."""
    data = [f for f in files if layout.is_config_file(f)]
    patterns = card_patterns((root / layout.README).read_text(encoding="utf-8"))
    for name, globs in patterns.items():
        if not any(_matches(f, g) for f in data for g in globs):
            raise PublishError(f"config {name!r} matches no data file under {root}")
    for path in data:
        if not any(_matches(path, g) for globs in patterns.values() for g in globs):
            raise PublishError(f"{path} belongs to no config in README.md; rebuild the release")


def load_release(root: Path, version: str) -> LocalRelease:
    """The release folder `root` of `version`, once its files, manifest.json and card agree."""
    ours = manifest.read(root)
    if not (root / layout.README).is_file() or ours is None:
        raise PublishError(
            f"{root} has no README.md or no manifest.json of corpusbuilder: is it a release"
            f" folder? Run `corpusbuilder release {version}`"
        )
    if ours.get("version") != version:
        raise PublishError(f"{root} holds release {ours.get('version')}, not {version}")
    files = dict(ours["files"]) | {manifest.NAME: manifest.digest_file(root / manifest.NAME)}
    found = {p: (root / p).stat().st_size for p in manifest.visible_files(root)}
    sizes = {p: digest["size"] for p, digest in files.items()}
    wrong = sorted(p for p in sizes.keys() | found.keys() if found.get(p) != sizes.get(p))
    if wrong:
        raise PublishError(
            f"{root} does not match its manifest.json ({', '.join(wrong[:5])}): run"
            f" `corpusbuilder release {version}` to write it again"
        )
    check_card(root, sorted(files))
    return LocalRelease(root, version, files)


def make_plan(
    ours: Mapping[str, str], there: Mapping[str, str | None], owned: set[str], replace: bool
) -> Plan:
    """The plan for files `ours` (path → sha256) at a target holding `there` (path → sha256, None
    where it differs or is unknown), where `owned` are the files a release of ours put there."""
    write, unchanged, conflicts = [], [], []
    for path, sha in sorted(ours.items()):
        if path not in there:
            write.append(path)
        elif there[path] == sha:
            unchanged.append(path)
        else:
            if path not in owned:
                conflicts.append(path)
            if path in owned or replace:
                write.append(path)
    # manifest.json last: until it is written, the old one names only files that are ours
    write.sort(key=lambda p: p == manifest.NAME)
    delete = sorted(p for p in there if p in owned and p not in ours)
    keep = sorted(p for p in there if p not in owned and p not in ours)
    return Plan(tuple(write), tuple(unchanged), tuple(delete), tuple(keep), tuple(conflicts))


def owned_files(previous: dict | None, readme: str | None) -> set[str]:
    """Files at a target that are ours: those the manifest.json of our last release there
    names, that manifest itself, and a card holding our generated block (merged, not replaced)."""
    owned = set(previous["files"]) | {manifest.NAME} if previous else set()
    if readme is not None and card.generated_part(readme) is not None:
        owned.add(layout.README)
    return owned


def refuse_conflicts(plan: Plan, replace: bool, where: str) -> None:
    if plan.conflicts and not replace:
        names = ", ".join(plan.conflicts[:5])
        more = f" and {len(plan.conflicts) - 5} more" if len(plan.conflicts) > 5 else ""
        raise PublishError(
            f"{where} already holds {len(plan.conflicts)} files that this release would overwrite"
            f" and that no release of ours put there ({names}{more}): move them away, or pass"
            " --replace to overwrite them"
        )


def publish_to_folder(
    release_dir: Path, dest: Path, version: str, *, replace: bool = False, dry_run: bool = False
) -> Published:
    """Copy the release into `dest` so that `datasets.load_dataset(str(dest), config)` opens it,
    deleting only files our previous release put there (see the module docstring)."""
    release_tag(version)
    release_dir, dest = release_dir.resolve(), dest.resolve()
    if dest == release_dir or release_dir in dest.parents or dest in release_dir.parents:
        raise PublishError(f"publish to a folder outside the release folder, not {dest}")
    local = load_release(release_dir, version)
    card_there = dest / layout.README
    existing = card_there.read_text(encoding="utf-8") if card_there.is_file() else None
    readme = local.readme_for(existing)
    ours = local.sha256s(readme)
    listing = manifest.visible_files(dest) if dest.is_dir() else []
    there: dict[str, str | None] = dict.fromkeys(listing)
    for path in ours.keys() & there.keys():
        there[path] = manifest.digest_file(dest / path)["sha256"]
    plan = make_plan(ours, there, owned_files(manifest.read(dest), existing), replace)
    if not dry_run:
        refuse_conflicts(plan, replace, str(dest))
        _apply(plan, local, readme, dest)
    return Published(
        str(dest), None, None, dest.as_uri(), len(ours), plan, not plan.changes, dry_run
    )


def _apply(plan: Plan, local: LocalRelease, readme: bytes, dest: Path) -> None:
    """Write, then delete, manifest.json last; each file lands whole (copy, then rename)."""
    for name in plan.write:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        data = readme if name == layout.README else (local.root / name).read_bytes()
        partial.write_bytes(data)
        os.replace(partial, target)
    for name in plan.delete:
        (dest / name).unlink()
        for folder in (dest / name).parents:  # folders the deletion emptied, never dest itself
            if folder == dest or any(folder.iterdir()):
                break
            folder.rmdir()


def describe(done: Published, version: str) -> list[str]:
    """What the publish command prints: one line, then each path of a dry run."""
    plan, where = done.plan, done.target
    tag = f", tag {done.tag}" if done.tag else ""
    if done.already:
        commit = f", commit {done.commit}" if done.commit else ""
        return [f"release {version} is already published at {where}{tag}{commit}: nothing to do"]
    if not done.dry_run:
        return [
            f"published {version} to {where}: {len(plan.write)} files written,"
            f" {len(plan.delete)} deleted (ours, from an earlier release), {len(plan.keep)} other"
            f" files kept, {len(plan.unchanged)} unchanged{tag}"
        ]
    lines = [
        f"dry run, nothing written: publishing {version} to {where} would write"
        f" {len(plan.write)} files, delete {len(plan.delete)} (ours, from an earlier release),"
        f" keep {len(plan.keep)} other files and leave {len(plan.unchanged)} unchanged"
    ]
    for verb, paths in (("write", plan.write), ("delete", plan.delete), ("keep", plan.keep)):
        lines += [f"  {verb} {path}" for path in paths]
    lines += [f"  conflict {p} (not ours: refused without --replace)" for p in plan.conflicts]
    return lines
