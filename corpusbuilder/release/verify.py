"""Read a release back — its folder, a folder it was published to, or a Hub revision — and check
it against manifest.json and the ledger: every file's sha256 and size, every row's text sha256
(recomputed from the text), every row's place (doc_id, text, shard, row) as frozen, and the
manifest hash recomputed from the rows. A published card may carry hand-written text around its
generated block; only the generated part is compared.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pyarrow as pa
import pyarrow.parquet as pq

from corpusbuilder.ledger import Ledger, ReleaseRecord
from corpusbuilder.release import card, layout, manifest
from corpusbuilder.release.freeze import ReleaseError
from corpusbuilder.textstore import sha256_text

SHOWN = 50  # differences listed; the rest are counted


@dataclass
class Verified:
    version: str
    where: str
    files: int = 0
    rows: int = 0
    differences: list[str] = field(default_factory=list)

    def report(self) -> list[str]:
        """One line when all is well; else a header line and one line per difference."""
        if not self.differences:
            return [
                f"release {self.version} verified at {self.where}: {self.files} files and"
                f" {self.rows} rows match manifest.json and the ledger"
            ]
        lines = [
            f"release {self.version} at {self.where} differs in {len(self.differences)} places:"
        ]
        lines += [f"  {d}" for d in self.differences[:SHOWN]]
        if len(self.differences) > SHOWN:
            lines.append(f"  … and {len(self.differences) - SHOWN} more")
        return lines


def _short(digest: dict | None) -> str:
    if digest is None:
        return "nothing"
    return f"sha256 {digest['sha256'][:12]}… ({digest['size']} bytes)"


def recorded_files(release: ReleaseRecord) -> dict:
    if not release.files:
        raise ReleaseError(
            f"release {release.version} was frozen but never written: run"
            f" `corpusbuilder release {release.version}` first"
        )
    return release.files


def verify_folder(
    root: Path, release: ReleaseRecord, ledger: Ledger, where: str | None = None
) -> Verified:
    """Check the release files under `root` (foreign files beside them are not looked at)."""
    check = _Check(root, release, Verified(release.version, where or str(root)))
    expected = recorded_files(release)
    listed = check.manifest(expected)
    for path in sorted(expected.keys() - {manifest.NAME} | listed.keys()):
        check.file(path, expected.get(path), listed.get(path))
    check.rows(sorted(filter(layout.is_data, expected)), ledger)
    return check.result


@dataclass
class _Check:
    root: Path
    release: ReleaseRecord
    result: Verified

    def differ(self, line: str) -> None:
        self.result.differences.append(line)

    def manifest(self, expected: dict) -> dict:
        """manifest.json against the ledger; returns the files it lists ({} if unusable)."""
        path, frozen = self.root / manifest.NAME, expected.get(manifest.NAME)
        found = manifest.digest_file(path) if path.is_file() else None
        self.result.files += 1
        if found != frozen:
            self.differ(f"{manifest.NAME}: {_found(found)}, frozen as {_short(frozen)}")
        ours = manifest.read(self.root)
        if ours is None:
            return {}
        for key in ("version", "manifest_hash", "policy_hash", "config_hash"):
            value, want = ours.get(key), getattr(self.release, key)
            if value != want:
                self.differ(f"{manifest.NAME}: {key} is {value!r}, the ledger has {want!r}")
        return ours["files"]

    def file(self, path: str, frozen: dict | None, listed: dict | None) -> None:
        self.result.files += 1
        if frozen != listed:
            self.differ(f"{path}: manifest.json lists {_short(listed)}, frozen as {_short(frozen)}")
        found = _digest(self.root, path)
        if found != frozen:
            self.differ(f"{path}: {_found(found)}, frozen as {_short(frozen)}")

    def rows(self, shards: list[str], ledger: Ledger) -> None:
        """Every row's text against its sha256 column and the frozen rows; the manifest hash."""
        members = ledger.release_members(self.release.version)
        frozen = {(m.shard, m.row): (m.doc_id, m.text_sha256) for m in members}
        seen = []
        for shard in shards:
            for index, (doc_id, text, column) in _shard_rows(self.root / shard, shard, self):
                sha, where = sha256_text(text), f"{shard} row {index} ({doc_id})"
                if sha != column:
                    self.differ(f"{where}: text sha256 {sha[:12]}…, its column says {column[:12]}…")
                want = frozen.pop((shard, index), None)
                if want != (doc_id, sha):
                    self.differ(f"{where}: text sha256 {sha[:12]}…, frozen: {_member(want)}")
                config = PurePosixPath(shard).parts[1]
                seen.append({"doc_id": doc_id, "text_sha256": sha, "config": config}
                            | {"shard": shard, "row": index})  # fmt: skip
        for (shard, index), (doc_id, _) in sorted(frozen.items()):
            self.differ(f"{shard} row {index} ({doc_id}): missing")
        self.result.rows = len(seen)
        recomputed, want = manifest.manifest_hash(seen), self.release.manifest_hash
        if recomputed != want:
            self.differ(f"manifest hash of the rows read is {recomputed}, frozen as {want}")


def _found(digest: dict | None) -> str:
    return "missing" if digest is None else f"found {_short(digest)}"


def _member(frozen: tuple[str, str] | None) -> str:
    return "no row here" if frozen is None else f"{frozen[0]} with sha256 {frozen[1][:12]}…"


def _digest(root: Path, path: str) -> dict | None:
    """The file's digest; for the card, that of its generated part (the rest is the owner's)."""
    target = root / path
    if not target.is_file():
        return None
    if path != layout.README:
        return manifest.digest_file(target)
    text = target.read_bytes()
    generated = card.generated_part(text.decode("utf-8", errors="replace"))
    return manifest.digest_bytes(generated.encode() if generated is not None else text)


def _shard_rows(path: Path, shard: str, check: _Check) -> Iterator[tuple[int, tuple]]:
    """(row index, (id, text, text_sha256)) of a shard, streamed; an unreadable shard is a
    difference, not a crash."""
    if not path.is_file():
        return
    index = 0
    try:
        columns = ["id", "text", "text_sha256"]
        for batch in pq.ParquetFile(path).iter_batches(batch_size=1000, columns=columns):
            for row in zip(*(batch.column(c).to_pylist() for c in columns), strict=True):
                yield index, row
                index += 1
    except (OSError, pa.ArrowException) as err:
        check.differ(f"{shard}: unreadable after row {index} ({err})")


def verify_hub(
    repo_id: str, revision: str, release: ReleaseRecord, ledger: Ledger, token: str | None = None
) -> Verified:
    """Download the release's files at `revision` of the Hub repo, then check them."""
    import huggingface_hub  # deferred: it reads HF_ENDPOINT and HF_HOME when imported
    from huggingface_hub.errors import EntryNotFoundError

    from corpusbuilder.release.publish_hub import REPO_TYPE, hub_errors

    api = huggingface_hub.HfApi(token=token)
    doing = f"reading {repo_id}@{revision}"
    with tempfile.TemporaryDirectory() as folder, hub_errors(api.endpoint, repo_id, doing):
        for path in sorted(recorded_files(release)):
            try:
                api.hf_hub_download(
                    repo_id, path, repo_type=REPO_TYPE, revision=revision, local_dir=folder
                )
            except EntryNotFoundError:
                continue  # reported as missing
        return verify_folder(Path(folder), release, ledger, f"{repo_id}@{revision}")
