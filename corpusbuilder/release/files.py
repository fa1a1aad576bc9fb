"""Write the files of a frozen release: shards from its frozen rows and the text store, README.md
and LICENSE.md from its frozen facts, the provenance files from its frozen provenance
(`release_provenance`), manifest.json naming every other file with its sha256.

Files are written into a local staging folder (beside the release folder when the storage is
local). The first write records each file's sha256 and size in the ledger; a later write must
give the same bytes, and then takes the release folder's place (`Storage.replace_with`: renamed
locally, uploaded to an object store); if it does not, nothing is replaced and the write refuses.
Only the release's own folders under ``<storage>/releases`` (or the workdir's staging folder)
are ever removed.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from corpusbuilder.config import CorpusConfig
from corpusbuilder.errors import ExitCode
from corpusbuilder.ledger import Ledger, ReleaseRecord
from corpusbuilder.release import card, croissant, funnel, layout, manifest, shards
from corpusbuilder.release import provenance_files as release_provenance
from corpusbuilder.release import signatures as release_signatures
from corpusbuilder.release.freeze import ReleaseError, read_texts
from corpusbuilder.release.versions import check_version
from corpusbuilder.storage import Storage
from corpusbuilder.textstore import TextStore


class ReleaseChanged(ReleaseError):
    """Writing a frozen release again would give other bytes."""

    exit_code = ExitCode.MISMATCH


def stored(config: CorpusConfig, version: str) -> Storage:
    """Where release `version` lives: `<storage>/releases/<version>`."""
    return config.storage.child("releases", check_version(version))


def own_folder(config: CorpusConfig, version: str, suffix: str = "") -> Path:
    """`<storage>/releases/<version>` (suffix "") or its `.<version>.<suffix>` sibling, under the
    workdir when the storage is not local: the only local folders this module creates, replaces
    or removes."""
    root = ((config.storage.local_path or config.workdir) / "releases").resolve()
    name = f".{check_version(version)}.{suffix}" if suffix else check_version(version)
    path = root / name
    if path.parent != root:  # a checked version has no separator; this guards the rmtree
        raise ReleaseError(f"release folder {path} is not directly under {root}")
    return path


def _clear(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)


def write_files(
    config: CorpusConfig, ledger: Ledger, store: TextStore, release: ReleaseRecord
) -> Path | str:
    """Write the release's files from its frozen record; return where: its local folder, or
    its URL.

    Raises ReleaseChanged (exit code 7), leaving the folder as it was, when the bytes differ
    from those recorded at the first write.
    """
    version = release.version
    target = stored(config, version)
    staging = own_folder(config, version, "staging")
    _clear(staging)  # left by an interrupted write
    try:
        files = _stage(ledger, store, release, staging, config.storage.child("signatures"))
        recorded = release.files or ledger.record_release_files(version, files)
        changed = sorted(p for p in recorded.keys() | files if recorded.get(p) != files.get(p))
        if changed:
            raise ReleaseChanged(_refusal(version, changed))
        target.replace_with(staging)
    finally:
        _clear(staging)
    return target.local_path or target.url


@contextmanager
def written(
    config: CorpusConfig, ledger: Ledger, store: TextStore, release: ReleaseRecord
) -> Iterator[Path]:
    """A local folder of the release's files, written again first when they are missing or
    differ from the record (so publishing never sends files that are not the frozen ones)."""
    target = stored(config, release.version)
    with target.local_copy() as folder:
        if release.files and folder.is_dir() and manifest.digest_tree(folder) == release.files:
            yield folder
            return
    write_files(config, ledger, store, release)
    with target.local_copy() as folder:
        yield folder


def _refusal(version: str, changed: list[str]) -> str:
    names = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    return (
        f"release {version} is frozen, and writing it again would change {len(changed)} of its"
        f" files ({names}); they were left as they were. A frozen release never changes: freeze a"
        " new version (this happens when pyarrow or corpusbuilder changed since it was written)"
    )


def _stage(
    ledger: Ledger, store: TextStore, release: ReleaseRecord, staging: Path, signed: Storage
) -> dict:
    """Write every file into `staging`; return path → {sha256, size}, manifest.json included."""
    staging.mkdir(parents=True)
    for shard, rows in itertools.groupby(ledger.release_rows(release.version), lambda r: r.shard):
        shards.write_shard(staging / shard, _shard_rows(store, rows))
    if not release.files or layout.SIGNATURES in release.files:  # none in older releases
        release_signatures.write(staging, ledger, release.version, store, signed)
    release_provenance.write(staging, ledger, release)
    (staging / layout.FUNNEL_FIGURE).write_bytes(funnel.svg(release.counts["funnel"]).encode())
    (staging / layout.CROISSANT).write_bytes(croissant.render(release).encode())
    (staging / layout.README).write_bytes(card.render(release, staging).encode())
    (staging / layout.LICENSE).write_bytes(card.render_licences(release).encode())
    files = manifest.digest_tree(staging)
    text = manifest.render(release, files).encode()
    (staging / manifest.NAME).write_bytes(text)
    return files | {manifest.NAME: manifest.digest_bytes(text)}


def _shard_rows(store: TextStore, rows: Iterable) -> Iterator[dict]:
    """The rows of one shard, streamed: every column as frozen, the text from the store (sha256
    checked)."""
    for row, text in read_texts(store, rows):
        yield {
            "id": row.doc_id,
            "text": text,
            "source": row.source,
            "url": row.url,
            "title": row.title,
            "creator": row.creator,
            "date": row.date,
            "language": row.language,
            "language_score": row.language_score,
            "licence": row.licence,
            "licence_url": row.licence_url,
            "text_sha256": row.text_sha256,
            "chars": row.chars,
            "words": row.words,
        }
