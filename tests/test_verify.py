"""`corpusbuilder verify` reads a release back and names every difference (exit code 7).

The Hub case runs through the loopback server in tests/test_hub_build.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corpusbuilder.errors import ExitCode
from corpusbuilder.release.shards import SCHEMA
from tests.demo_copies import run

FR = "data/fr/train-00000-of-00001.parquet"


def test_verify_passes_on_the_release_folder_and_on_a_published_folder(built: Path):
    own = built.parent / "work" / "releases" / "1.0.0"
    assert run(built, "verify", "1.0.0").output == (
        f"release 1.0.0 verified at {own}: 15 files and 7 rows match manifest.json and the ledger\n"
    )
    published = run(built, "verify", "1.0.0", "--to", str(built.parent / "hub"))
    assert published.exit_code == 0
    hub = built.parent / "hub"
    assert published.output.startswith(f"release 1.0.0 verified at {hub}: 15 files")


def test_a_changed_row_is_named_with_its_shard_and_row(built: Path):
    shard = built.parent / "hub" / FR
    rows = pq.read_table(shard).to_pylist()
    rows[1]["text"] = rows[1]["text"].replace("pain", "PAIN", 1)  # its sha256 column unchanged
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), shard, compression="zstd")

    result = run(built, "verify", "1.0.0", "--to", str(built.parent / "hub"))
    assert result.exit_code == ExitCode.MISMATCH
    lines = result.output.splitlines()
    assert lines[0] == f"release 1.0.0 at {built.parent / 'hub'} differs in 4 places:"
    assert lines[1].startswith(f"  {FR}: found sha256 ")
    column = rows[1]["text_sha256"][:12]
    assert lines[2].startswith(f"  {FR} row 1 (demo/fr-boulangerie): text sha256 ")
    assert lines[2].endswith(f"…, its column says {column}…")
    assert lines[3].endswith(f"…, frozen: demo/fr-boulangerie with sha256 {column}…")
    assert lines[4].startswith("  manifest hash of the rows read is ")


def test_a_missing_file_and_an_edited_manifest_are_differences(built: Path):
    hub = built.parent / "hub"
    (hub / "LICENSE.md").unlink()
    listed = json.loads((hub / "manifest.json").read_text())
    listed["manifest_hash"] = "0" * 64
    (hub / "manifest.json").write_text(json.dumps(listed, indent=2) + "\n")

    result = run(built, "verify", "1.0.0", "--to", str(hub))
    assert result.exit_code == ExitCode.MISMATCH
    lines = result.output.splitlines()
    assert lines[1].startswith("  manifest.json: found sha256 ")
    assert lines[2] == (
        f"  manifest.json: manifest_hash is {'0' * 64!r}, the ledger has"
        " 'b82ed03e431a158e0d879cca0ff73803c68aa1cddcb0e62c0dbe3dbc15cb19ad'"
    )
    assert lines[3].startswith("  LICENSE.md: missing, frozen as sha256 ")


def test_verify_wants_one_target_and_revision_only_with_the_hub(built: Path):
    both = run(built, "verify", "1.0.0", "--to", "x", "--repo-id", "a/b")
    assert both.exit_code == ExitCode.INPUT and "choose one" in both.output
    revision = run(built, "verify", "1.0.0", "--revision", "main")
    assert revision.exit_code == ExitCode.INPUT
    assert "only a Hub repo (`--repo-id`) takes --revision" in revision.output
    unknown = run(built, "verify", "2.0.0")
    assert unknown.exit_code == ExitCode.INPUT
    assert "no release 2.0.0; freeze it with `corpusbuilder release 2.0.0`" in unknown.output
