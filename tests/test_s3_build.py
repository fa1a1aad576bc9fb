"""The demo built with its stores on S3 (a moto server on 127.0.0.1): the same release bytes as
a build on local storage, published from S3 alike, `verify` passes against the release on S3 and
catches a changed file there, and a second build reuses the texts stored there."""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest
import yaml

from corpusbuilder import source
from corpusbuilder.project import Project
from corpusbuilder.storage import Storage
from tests import ledger_backend
from tests.moto_server import s3_server

DEMO_MANIFEST_HASH = "b82ed03e431a158e0d879cca0ff73803c68aa1cddcb0e62c0dbe3dbc15cb19ad"
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


class _FixedClock(datetime):
    """Evidence records when it was read; both builds read it 'at' WHEN, so their provenance
    files (and manifest.json, which names their sha256) can be compared byte for byte."""

    @classmethod
    def now(cls, tz=None):
        return WHEN


def _demo(folder: Path, name: str, **settings) -> Project:
    """The shipped demo, as `name`.yaml in `folder` with its own workdir and `settings`."""
    folder.mkdir(parents=True, exist_ok=True)
    demo = resources.files("corpusbuilder") / "demo"
    with resources.as_file(demo / "texts.jsonl") as path:
        shutil.copyfile(path, folder / "texts.jsonl")
    config = yaml.safe_load((demo / "corpus.yaml").read_text(encoding="utf-8"))
    config |= {"workdir": f"work-{name}", "publish": {"to": f"hub-{name}"}}
    config |= ledger_backend.new_ledger() | settings
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return Project.open(path, progress=False)


def _digests(storage: Storage) -> dict[str, str]:
    return {name: hashlib.sha256(storage.read_bytes(name)).hexdigest() for name in storage.files()}


@pytest.fixture
def s3(monkeypatch):
    with s3_server(monkeypatch) as bucket:
        yield bucket


def test_demo_on_s3_gives_the_local_release_bytes_verifies_and_reuses_texts(
    s3, tmp_path, monkeypatch
):
    monkeypatch.setattr(source, "datetime", _FixedClock)
    local = _demo(tmp_path, "local")
    remote = _demo(tmp_path, "s3", storage=f"{s3}/demo")
    assert local.build().release.manifest_hash == DEMO_MANIFEST_HASH
    assert remote.build().release.manifest_hash == DEMO_MANIFEST_HASH

    on_s3 = Storage(f"{s3}/demo/releases/1.0.0")
    here = Storage(tmp_path / "work-local" / "releases" / "1.0.0")
    files = _digests(here)
    assert {"manifest.json", "README.md", "data/en/train-00000-of-00001.parquet"} <= files.keys()
    assert _digests(on_s3) == files
    assert not (tmp_path / "work-s3" / "releases" / "1.0.0").exists()  # staged, then uploaded
    assert Storage(f"{s3}/demo/texts").names("seg-", ".parquet")
    assert remote.config.curation_hash() == local.config.curation_hash()  # storage: not hashed

    verified = remote.verify("1.0.0")
    assert verified.differences == [] and verified.where == on_s3.url
    assert verified.rows == local.verify("1.0.0").rows == 7

    published = _digests(Storage(tmp_path / "hub-s3"))  # publish read the release from S3
    assert published == _digests(Storage(tmp_path / "hub-local")) and "README.md" in published

    on_s3.write_text("LICENSE.md", "changed\n")
    differences = remote.verify("1.0.0").differences
    assert len(differences) == 1 and differences[0].startswith("LICENSE.md: found sha256")

    puts = []
    put = Storage.write_parquet
    monkeypatch.setattr(
        Storage, "write_parquet", lambda self, *a, **k: puts.append(self.url) or put(self, *a, **k)
    )
    again = Project.open(remote.config.path, progress=False)
    assert again.build().release.directory == on_s3.url
    assert f"{s3}/demo/texts" not in puts  # every text was found on S3: none was put again
    assert _digests(on_s3) == files  # and the tampered file was written back as frozen
