"""Publish owns only what it published (issue 7): at a folder target it deletes only the files the
manifest.json of our previous release there names, keeps every other file and the hand-written
text of the card, refuses to overwrite a file that is not ours unless --replace, and says so when
the target already holds the release.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpusbuilder.errors import ExitCode
from corpusbuilder.project import Project
from tests.demo_copies import build_demo, files, run

DE = "data/de/train-00000-of-00001.parquet"
FR = "data/fr/train-00000-of-00001.parquet"
FOREIGN = "data/README-data.txt"
HEAD = "Published by the open-text team; ask us at team@example.org.\n\n"
TAIL = "\n## Team notes\n\nThis section is written by hand.\n"


def _edit_by_hand(hub: Path) -> None:
    """The folder's owner adds a file of theirs under data/ and writes around the card's block."""
    (hub / FOREIGN).write_text("How the data folder is organised.\n")
    front, rest = (hub / "README.md").read_text().split("\n---\n", 1)
    (hub / "README.md").write_text(f"{front}\n---\n\n{HEAD}{rest.lstrip()}{TAIL}")


def _release_without_de(config: Path) -> None:
    assert run(config, "takedown", "demo/de-bahnhof", "--reason", "author's request").exit_code == 0
    assert run(config, "release", "1.1.0").exit_code == 0


def test_their_files_and_card_text_survive_and_only_our_old_files_go(built: Path):
    hub = built.parent / "hub"
    _edit_by_hand(hub)
    _release_without_de(built)

    result = run(built, "publish", "1.1.0", "--to", str(hub))
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"published 1.1.0 to {hub}: 9 files written, 1 deleted (ours, from an earlier release),"
        " 1 other files kept, 5 unchanged\n"
    )
    assert (hub / FOREIGN).read_text() == "How the data folder is organised.\n"
    assert not (hub / DE).exists() and not (hub / "data/de").exists()
    card = (hub / "README.md").read_text()
    assert HEAD in card and card.endswith(TAIL)
    assert "Release **1.1.0**: 6 documents" in card and "Release **1.0.0**" not in card
    assert json.loads((hub / "manifest.json").read_text())["version"] == "1.1.0"
    assert run(built, "verify", "1.1.0", "--to", str(hub)).exit_code == 0


def test_the_dry_run_lists_adds_deletes_and_kept_files_and_writes_nothing(built: Path):
    hub = built.parent / "hub"
    _edit_by_hand(hub)
    _release_without_de(built)
    before = files(hub)

    result = run(built, "publish", "1.1.0", "--to", str(hub), "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"dry run, nothing written: publishing 1.1.0 to {hub} would write 9 files, delete 1"
        " (ours, from an earlier release), keep 1 other files and leave 5 unchanged",
        # the shards of the other languages and LICENSE.md are unchanged; what describes the
        # release as a whole changes with it
        "  write ATTRIBUTION.md",
        "  write CHANGELOG.md",
        "  write README.md",
        "  write croissant.json",
        "  write decisions/train-00000-of-00001.parquet",
        "  write funnel.svg",
        "  write provenance/train-00000-of-00001.parquet",
        "  write signatures/minhash-00000-of-00001.parquet",
        "  write manifest.json",
        f"  delete {DE}",
        f"  keep {FOREIGN}",
    ]
    assert files(hub) == before
    assert len(Project.open(built, progress=False).ledger.publications("1.1.0")) == 0


def test_a_file_that_is_not_ours_is_refused_until_replace(built: Path, tmp_path: Path):
    target = tmp_path / "theirs"
    (target / "data/fr").mkdir(parents=True)
    (target / FR).write_bytes(b"their own shard")
    (target / "README.md").write_text("# Their dataset\n")

    refused = run(built, "publish", "1.0.0", "--to", str(target))
    assert refused.exit_code == ExitCode.INPUT
    assert refused.output == (
        f"Error: {target} already holds 2 files that this release would overwrite and that no"
        f" release of ours put there (README.md, {FR}): move them away, or pass --replace to"
        " overwrite them\n"
    )
    assert files(target) == {FR: b"their own shard", "README.md": b"# Their dataset\n"}

    dry = run(built, "publish", "1.0.0", "--to", str(target), "--dry-run")
    assert f"  conflict {FR} (not ours: refused without --replace)" in dry.output.splitlines()

    replaced = run(built, "publish", "1.0.0", "--to", str(target), "--replace")
    assert replaced.exit_code == 0, replaced.output
    own = built.parent / "work" / "releases" / "1.0.0"
    assert files(target) == files(own)


def test_publishing_again_says_already_published_and_records_once(tmp_path: Path):
    built = build_demo(tmp_path / "demo")  # built here: the ledger records the folder's path
    hub = built.parent / "hub"
    again = run(built, "publish", "1.0.0", "--to", str(hub))
    assert again.exit_code == 0
    assert again.output == f"release 1.0.0 is already published at {hub}: nothing to do\n"
    second_build = run(built, "build")
    assert second_build.exit_code == 0, second_build.output
    publications = Project.open(built, progress=False).ledger.publications()
    assert [(p.version, p.kind, p.target, p.url) for p in publications] == [
        ("1.0.0", "folder", str(hub), hub.as_uri())
    ]
    assert Project.open(built, progress=False).ledger.release("1.0.0").hub_repo is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "x", "--repo-id", "org/name"], "Error: choose one: `--to DIR` or `--repo-id"),
        (["--to", "x", "--private"], "Error: only a Hub repo (`--repo-id`) takes --private\n"),
        (["--to", "x", "-m", "hello"], "Error: only a Hub repo (`--repo-id`) takes --message\n"),
        ([], "Error: say where to publish: `--to DIR` or `--repo-id ORG/NAME`\n"),
    ],
)
def test_options_that_cannot_apply_are_refused_not_ignored(built, tmp_path, args, message):
    result = run(built, "publish", "1.0.0", *args)
    assert result.exit_code == ExitCode.INPUT
    assert result.output.startswith(message)
    assert not (Path.cwd() / "x").exists() and not (built.parent / "x").exists()


def test_the_files_manifest_lists_are_what_datasets_loads(built: Path):
    import datasets

    hub = built.parent / "hub"
    listed = json.loads((hub / "manifest.json").read_text())["files"]
    project = Project.open(built, progress=False)
    for config in ("de", "en", "es", "fr", "it"):
        builder = datasets.load_dataset_builder(str(hub), config)
        resolved = {Path(p).relative_to(hub).as_posix() for p in builder.config.data_files["train"]}
        assert resolved == {p for p in listed if p.startswith(f"data/{config}/")}
        ids = datasets.load_dataset(str(hub), config, split="train")["id"]
        frozen = [m.doc_id for m in project.ledger.release_members("1.0.0") if m.config == config]
        assert ids == frozen
