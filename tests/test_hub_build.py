"""The demo corpus built, published to the loopback Hub with the CLI, verified, edited by someone
else, published again and read back with datasets.

The Hub client reads its endpoint and token at import, so the CLI runs in one subprocess
(`python -m tests.test_hub_build PLAN`) whose environment points at the loopback server; it runs
the steps of `scenario` in order with click's runner and prints what each said and its exit
code. The server runs in this process, where the tests inspect its state.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from corpusbuilder.errors import ExitCode
from tests.helpers import demo_project
from tests.hub_server import HubServer

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "hf_loopback_build_token_91c2"
REPO = "open-org/demo-corpus"
OTHER = "open-org/their-corpus"
CONFIGS = ["de", "en", "es", "fr", "it"]
FR = "data/fr/train-00000-of-00001.parquet"
HAND_HEAD = "Maintained by the open-org team. Ask us anything.\n\n"
HAND_TAIL = "\n## Our notes\n\nWritten by hand on the Hub; kept by every release.\n"


def scenario(config: str) -> dict:
    """The subprocess side: every step through the CLI, with someone else's edits in between."""
    from click.testing import CliRunner
    from datasets import load_dataset
    from huggingface_hub import HfApi

    from corpusbuilder.cli import cli

    api, out = HfApi(), {}

    def run(step: str, *args: str) -> None:
        result = CliRunner().invoke(cli, ["-q", "-c", config, *args])
        out[step] = {"code": result.exit_code, "output": result.output}

    run("first", "publish", "1.0.0", "--repo-id", REPO, "--private", "-m", "First release")
    run("again", "publish", "1.0.0", "--repo-id", REPO)
    run("verify", "verify", "1.0.0", "--repo-id", REPO)
    out["rows"] = {
        c: load_dataset(REPO, c, revision="v1.0.0", split="train").to_list() for c in CONFIGS
    }
    _edit_by_hand(api)
    run("takedown", "takedown", "demo/de-bahnhof", "--reason", "the author asked")
    run("release", "release", "1.1.0")
    run("dry_run", "publish", "1.1.0", "--repo-id", REPO, "--dry-run")
    run("next", "publish", "1.1.0", "--repo-id", REPO)
    run("verify_next", "verify", "1.1.0", "--repo-id", REPO)
    api.upload_file(path_or_fileobj=b"not the release", path_in_repo=FR, repo_id=REPO,
                    repo_type="dataset", commit_message="someone else's edit")  # fmt: skip
    run("verify_main", "verify", "1.1.0", "--repo-id", REPO, "--revision", "main")
    run("verify_tag", "verify", "1.1.0", "--repo-id", REPO)
    api.create_repo(OTHER, repo_type="dataset")
    api.upload_file(path_or_fileobj=b"# Their own card\n", path_in_repo="README.md",
                    repo_id=OTHER, repo_type="dataset")  # fmt: skip
    run("conflict", "publish", "1.0.0", "--repo-id", OTHER)
    run("replace", "publish", "1.0.0", "--repo-id", OTHER, "--replace")
    out["card_1_1"] = Path(api.hf_hub_download(REPO, "README.md", repo_type="dataset")).read_text()
    out["fr_1_1"] = load_dataset(REPO, "fr", revision="v1.1.0", split="train").to_list()
    return out


def _edit_by_hand(api) -> None:
    """The repo's owner writes around the generated card and adds a file of their own."""
    card = Path(api.hf_hub_download(REPO, "README.md", repo_type="dataset")).read_text()
    front, rest = card.split("\n---\n", 1)
    edited = f"{front}\n---\n\n{HAND_HEAD}{rest.lstrip()}{HAND_TAIL}"
    api.upload_file(path_or_fileobj=edited.encode(), path_in_repo="README.md", repo_id=REPO,
                    repo_type="dataset", commit_message="hand-written intro")  # fmt: skip
    api.upload_file(path_or_fileobj=b"ours, not corpusbuilder's", path_in_repo="notes/team.md",
                    repo_id=REPO, repo_type="dataset")  # fmt: skip


def _env(endpoint: str, home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE"))}
    env |= {"HF_ENDPOINT": endpoint, "HF_TOKEN": TOKEN, "HF_HOME": str(home)}
    return env | {"HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("hubbuild")
    project = demo_project(root / "demo")
    project.build()
    with HubServer(TOKEN) as hub:
        args = [sys.executable, "-m", "tests.test_hub_build", str(project.config.path)]
        env = _env(hub.endpoint, root / "hf")
        proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        yield project, json.loads(proc.stdout.splitlines()[-1]), hub.hub, proc


def test_every_published_row_matches_the_ledger(published):
    project, out, _, _ = published
    members = {m.doc_id: m for m in project.ledger.release_members("1.0.0")}
    seen = set()
    for config, config_rows in out["rows"].items():
        for row in config_rows:
            member, doc = members[row["id"]], project.ledger.document(row["id"])
            assert member.config == config == doc.language
            assert row["text_sha256"] == member.text_sha256 == doc.text_sha256
            assert (row["licence"], row["url"], row["title"]) == (doc.licence, doc.url, doc.title)
            assert project.store.get(doc.text_sha256) == row["text"]
            seen.add(row["id"])
    assert seen == set(members)  # every released document, and only those


def test_private_repo_one_commit_with_the_message_and_every_publication_recorded(published):
    project, out, hub, _ = published
    repo = hub.repos[("dataset", REPO)]
    assert out["first"]["code"] == 0, out["first"]["output"]
    assert repo.private is True
    first = repo.commits[repo.tags["v1.0.0"]]
    assert first.title == "First release"
    assert "manifest.json" in first.files
    release = project.ledger.release("1.1.0")
    assert (release.hub_repo, release.hub_tag, release.hub_commit) == (
        REPO, "v1.1.0", repo.tags["v1.1.0"]
    )  # fmt: skip
    found = [(p.version, p.kind, p.target, p.tag, p.commit) for p in project.ledger.publications()]
    folder = str(project.config.root / "hub")
    assert found == [
        ("1.0.0", "folder", folder, None, None),  # by `build` (publish.to: hub)
        ("1.0.0", "hub", REPO, "v1.0.0", first.oid),  # `again` found it published: not twice
        ("1.1.0", "hub", REPO, "v1.1.0", repo.tags["v1.1.0"]),
        ("1.0.0", "hub", OTHER, "v1.0.0", hub.repos[("dataset", OTHER)].tags["v1.0.0"]),
    ]


def test_publishing_the_same_version_again_succeeds_and_says_so(published):
    _, out, hub, _ = published
    commit = hub.repos[("dataset", REPO)].tags["v1.0.0"]
    assert out["again"]["code"] == 0
    assert out["again"]["output"] == (
        f"release 1.0.0 is already published at {REPO}, tag v1.0.0, commit {commit}:"
        " nothing to do\n"
    )


def test_verify_reads_the_hub_back(published):
    _, out, _, _ = published
    assert out["verify"] == {
        "code": 0,
        "output": f"release 1.0.0 verified at {REPO}@v1.0.0: 15 files and 7 rows match"
        " manifest.json and the ledger\n",
    }
    # The card there now has hand-written text around its generated block: still verified.
    assert out["verify_next"]["code"] == 0, out["verify_next"]["output"]
    assert "14 files and 6 rows match" in out["verify_next"]["output"]  # no de shard


def test_verify_names_a_shard_someone_changed_on_the_hub(published):
    _, out, _, _ = published
    assert out["verify_main"]["code"] == ExitCode.MISMATCH
    lines = out["verify_main"]["output"].splitlines()
    assert lines[0] == f"release 1.1.0 at {REPO}@main differs in 5 places:"
    assert lines[1].startswith(f"  {FR}: found sha256 ")
    assert "… (15 bytes), frozen as sha256 " in lines[1]  # b"not the release"
    assert lines[2].startswith(f"  {FR}: unreadable after row 0 (")
    assert lines[3:5] == [
        f"  {FR} row 0 (demo/fr-riviere): missing",
        f"  {FR} row 1 (demo/fr-boulangerie): missing",
    ]
    assert lines[5].startswith("  manifest hash of the rows read is ")
    assert out["verify_tag"]["code"] == 0  # the tag still points at the release's own commit


def test_the_dry_run_lists_and_writes_nothing(published):
    _, out, hub, _ = published
    assert out["dry_run"]["code"] == 0
    lines = out["dry_run"]["output"].splitlines()
    assert lines[0] == (
        f"dry run, nothing written: publishing 1.1.0 to {REPO} would write 9 files, delete 1"
        " (ours, from an earlier release), keep 2 other files and leave 5 unchanged"
    )
    assert lines[1:] == [
        "  write ATTRIBUTION.md",
        "  write CHANGELOG.md",
        "  write README.md",
        "  write croissant.json",
        "  write decisions/train-00000-of-00001.parquet",
        "  write funnel.svg",
        "  write provenance/train-00000-of-00001.parquet",
        "  write signatures/minhash-00000-of-00001.parquet",
        "  write manifest.json",
        "  delete data/de/train-00000-of-00001.parquet",
        "  keep .gitattributes",
        "  keep notes/team.md",
    ]
    titles = [c.title for c in hub.repos[("dataset", REPO)].commits.values()]
    assert titles.count("Release v1.1.0") == 1  # the real publish only


def test_next_release_keeps_their_files_and_card_text_and_deletes_only_ours(published):
    _, out, hub, _ = published
    assert out["next"]["code"] == 0, out["next"]["output"]
    assert out["next"]["output"] == (
        f"published 1.1.0 to {REPO}: 9 files written, 1 deleted (ours, from an earlier release),"
        " 2 other files kept, 5 unchanged, tag v1.1.0\n"
    )
    repo = hub.repos[("dataset", REPO)]
    files = repo.commits[repo.tags["v1.1.0"]].files
    assert files["notes/team.md"].data == b"ours, not corpusbuilder's"
    assert "data/de/train-00000-of-00001.parquet" not in files
    card = out["card_1_1"]
    assert HAND_HEAD in card and card.endswith(HAND_TAIL)
    assert "Release **1.1.0**: 6 documents" in card and "Release **1.0.0**" not in card
    assert [r["id"] for r in out["fr_1_1"]] == ["demo/fr-riviere", "demo/fr-boulangerie"]


def test_a_file_that_is_not_ours_is_a_conflict_until_replace(published):
    _, out, hub, _ = published
    assert out["conflict"]["code"] == ExitCode.INPUT
    assert out["conflict"]["output"] == (
        f"Error: {OTHER} already holds 1 files that this release would overwrite and that no"
        " release of ours put there (README.md): move them away, or pass --replace to"
        " overwrite them\n"
    )
    repo = hub.repos[("dataset", OTHER)]
    assert out["replace"]["code"] == 0, out["replace"]["output"]
    assert len(repo.commits) == 3  # initial, their card, the release: nothing on the refusal
    assert repo.commits[repo.tags["v1.0.0"]].files["README.md"].data.startswith(b"---\nlicense:")


def test_an_unreachable_hub_is_a_network_error(published, tmp_path):
    project, _, _, _ = published
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{sock.getsockname()[1]}"
    cli = [sys.executable, "-c", "from corpusbuilder.cli import main; main()"]
    args = [*cli, "-q", "-c", str(project.config.path), "publish", "1.0.0", "--repo-id", REPO]
    env = _env(endpoint, tmp_path / "hf")
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == ExitCode.NETWORK, proc.stderr
    assert re.fullmatch(
        rf"Error: publishing v1\.0\.0 to {REPO}: the Hub at {endpoint} could not be reached \(.+\);"
        r" check the connection or HF_ENDPOINT; running the command again is safe\n",
        proc.stderr,
    ), proc.stderr


if __name__ == "__main__":
    print(json.dumps(scenario(sys.argv[1])))
