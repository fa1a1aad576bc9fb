"""Publish a frozen release to a Hugging Face Hub dataset repo: one commit on `main` holding every
file of the release, tagged ``v<version>``, so an older tag keeps resolving to its own files.

The same rules as a folder (`publish`): the manifest.json at the head of `main` names the files
that are ours; only those are deleted; a file that is not ours and would be overwritten stops the
publish unless --replace. A tag that already points at this release's files means it is already
published: a success, so a nightly build with nothing new stays green.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corpusbuilder.errors import NETWORK_MODULES, ExitCode
from corpusbuilder.release import hub_network, layout, manifest
from corpusbuilder.release.publish import (
    LocalRelease,
    Plan,
    Published,
    PublishError,
    PublishMismatch,
    load_release,
    make_plan,
    owned_files,
    refuse_conflicts,
    release_tag,
)

if TYPE_CHECKING:
    from huggingface_hub import HfApi

REPO_TYPE = "dataset"


class HubUnreachable(PublishError):
    """The Hub could not be reached or failed on its side; a retry is safe."""

    exit_code = ExitCode.NETWORK


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def publish_to_hub(
    release_dir: Path,
    repo_id: str,
    version: str,
    *,
    private: bool = False,
    token: str | None = None,
    message: str | None = None,
    replace: bool = False,
    dry_run: bool = False,
    timeout: float | None = None,
    progress: bool = True,
) -> Published:
    """Push the release as one tagged commit (see the module docstring).

    The token defaults to HF_TOKEN or the one saved by `hf auth login`; it is never printed.
    Each Hub call gives up after `timeout` seconds without progress (see `hub_errors`);
    `progress=False` (`-q`) hides the upload bars.
    """
    import huggingface_hub  # deferred: it reads HF_ENDPOINT and HF_HOME when imported
    from huggingface_hub.utils import disable_progress_bars

    if not progress:
        disable_progress_bars()

    release_tag(version)
    local = load_release(release_dir, version)
    if (token or huggingface_hub.get_token()) is None:
        raise PublishError("no Hugging Face token: set HF_TOKEN or run `hf auth login`")
    api = huggingface_hub.HfApi(token=token)
    hub = _Hub(api, repo_id, local)
    doing = f"publishing v{version} to {repo_id}"
    with hub_errors(api.endpoint, repo_id, doing, timeout, step=lambda: hub.step):
        return hub.publish(private=private, message=message, replace=replace, dry_run=dry_run)


@contextmanager
def hub_errors(
    endpoint: str,
    repo_id: str,
    doing: str,
    timeout: float | None = None,
    step: Callable[[], str] | None = None,
) -> Iterator[None]:
    """Every Hub call meanwhile gives up after `timeout` seconds without progress (default:
    hub_network.default_timeout()); failures met while `doing` (e.g. "publishing v1.0.0") become
    a PublishError saying what to do next, a network one in one line (with the `step` it
    interrupted) and the network exit code."""
    from huggingface_hub.errors import HfHubHTTPError

    seconds = timeout or hub_network.default_timeout()
    try:
        with hub_network.hub_timeout(seconds):
            yield
    except HfHubHTTPError as err:
        raise _explain(err, repo_id, doing) from err
    except Exception as err:
        network = isinstance(err, ConnectionError | TimeoutError)
        if not (network or type(err).__module__.startswith(NETWORK_MODULES)):
            raise
        what = hub_network.describe(err, endpoint, seconds, step() if step else "")
        raise HubUnreachable(
            f"{doing}: {what}; check the connection or HF_ENDPOINT; running the command again"
            " is safe"
        ) from err


def _explain(err, repo_id: str, doing: str) -> PublishError:
    status = err.response.status_code if err.response is not None else 0
    if status == 409:
        return PublishError(f"{doing}: someone else tagged {repo_id} meanwhile; run it again")
    if status == 412:
        return PublishError(f"{doing}: {repo_id} changed on the Hub meanwhile; run it again")
    if status in (401, 403):
        return PublishError(
            f"the Hub refused the token: it needs write access to {repo_id} (`hf auth login`)"
        )
    if status >= 500 or status == 429:
        return HubUnreachable(f"{doing}: the Hub answered {status}; try again later")
    return PublishError(f"{doing} failed: {err}")


class _Hub:
    """One publish of `local` to `repo_id`: read the repo, plan, then commit and tag."""

    def __init__(self, api: HfApi, repo_id: str, local: LocalRelease) -> None:
        self.api, self.repo_id, self.local = api, repo_id, local
        self.tag = release_tag(local.version)
        self.step = "reading the repo"  # what a failure interrupted

    def publish(self, *, private: bool, message: str | None, replace: bool, dry_run: bool):
        """Read the repo's refs first, so a retry after a lost answer completes the publish:
        a tag already on this release's files is a success, and a head commit that already
        holds them (a commit whose answer was lost) is tagged without committing again."""
        exists = self._exists(private)
        tags, head = self._refs() if exists else ({}, None)
        if self.tag in tags:
            return self._already(tags[self.tag])
        plan, readme = self._plan(head, replace)
        if dry_run:
            return self._published(head, plan, dry_run=True)
        refuse_conflicts(plan, replace, self.repo_id)
        if not exists:
            self.step = "creating the repo"
            self.api.create_repo(self.repo_id, repo_type=REPO_TYPE, private=private, exist_ok=True)
        self.step = "committing the files"
        commit = self._commit(plan, readme, head, message) if plan.changes else head
        self.step = f"tagging commit {commit} as {self.tag}"
        self.api.create_tag(self.repo_id, tag=self.tag, revision=commit, repo_type=REPO_TYPE)
        return self._published(commit, plan)

    def _exists(self, private: bool) -> bool:
        """Whether the repo exists; a public one is refused when a private one is asked for."""
        from huggingface_hub.errors import RepositoryNotFoundError

        try:
            info = self.api.repo_info(self.repo_id, repo_type=REPO_TYPE)
        except RepositoryNotFoundError:
            return False
        if private and not info.private:
            raise PublishError(
                f"{self.repo_id} exists and is public, and a private repo was asked for"
                " (--private or publish.private only makes a new repo private): make it private"
                " on the Hub first, or publish without --private"
            )
        return True

    def _refs(self) -> tuple[dict[str, str], str | None]:
        refs = self.api.list_repo_refs(self.repo_id, repo_type=REPO_TYPE)
        head = next((b.target_commit for b in refs.branches if b.name == "main"), None)
        return {t.name: t.target_commit for t in refs.tags}, head

    def _already(self, commit: str) -> Published:
        """Published before if the tagged commit holds this release's files; else refused."""
        plan, _ = self._plan(commit, replace=False)
        if plan.write or plan.conflicts:
            names = ", ".join(sorted(plan.write + plan.conflicts)[:5])
            raise PublishMismatch(
                f"tag {self.tag} of {self.repo_id} points at commit {commit}, whose files differ"
                f" from release {self.local.version} ({names}): a published version never"
                " changes; publish a new version"
            )
        return self._published(commit, plan, already=True)

    def _plan(self, revision: str | None, replace: bool) -> tuple[Plan, bytes]:
        """The plan at `revision` (None: an empty repo), and the card merged for it."""
        entries = self._files(revision)
        existing = self._text(layout.README, revision) if layout.README in entries else None
        old = self._text(manifest.NAME, revision) if manifest.NAME in entries else None
        readme = self.local.readme_for(existing)
        ours = self.local.sha256s(readme)
        there = {path: self._sha256(path, entry, ours, readme) for path, entry in entries.items()}
        owned = owned_files(manifest.parse(old), existing)
        return make_plan(ours, there, owned, replace), readme

    def _files(self, revision: str | None) -> dict[str, Any]:
        if revision is None:
            return {}
        tree = self.api.list_repo_tree(
            self.repo_id, recursive=True, revision=revision, repo_type=REPO_TYPE
        )
        return {entry.path: entry for entry in tree if hasattr(entry, "blob_id")}

    def _text(self, path: str, revision: str) -> str:
        local = self.api.hf_hub_download(self.repo_id, path, repo_type=REPO_TYPE, revision=revision)
        return Path(local).read_text(encoding="utf-8")

    def _sha256(self, path: str, entry: Any, ours: Mapping[str, str], readme: bytes) -> str | None:
        """sha256 of the repo's file where it can be known: from its LFS pointer, or ours when
        its git oid is that of our bytes; None where it differs (or is not ours to compare)."""
        if path not in ours:
            return None
        if entry.lfs is not None:
            return entry.lfs.sha256
        data = readme if path == layout.README else (self.local.root / path).read_bytes()
        return ours[path] if entry.blob_id == git_blob_sha1(data) else None

    def _commit(self, plan: Plan, readme: bytes, head: str | None, message: str | None) -> str:
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete

        root = self.local.root
        operations: list = [
            CommitOperationAdd(p, readme if p == layout.README else str(root / p))
            for p in plan.write
        ]
        operations += [CommitOperationDelete(p) for p in plan.delete]
        info = self.api.create_commit(
            self.repo_id,
            operations,
            commit_message=message or f"Release {self.tag}",
            commit_description=(
                f"corpusbuilder release {self.tag}: {len(self.local.files)} files;"
                f" {len(plan.write)} written, {len(plan.delete)} deleted."
            ),
            repo_type=REPO_TYPE,
            revision="main",
            parent_commit=head,
        )
        return info.oid

    def _published(
        self, commit: str | None, plan: Plan, already: bool = False, dry_run: bool = False
    ) -> Published:
        url = f"{self.api.endpoint}/datasets/{self.repo_id}/tree/{self.tag}"
        tag = None if dry_run else self.tag
        files = len(self.local.files)
        return Published(self.repo_id, commit, tag, url, files, plan, already, dry_run)
