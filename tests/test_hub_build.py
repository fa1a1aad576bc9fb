"""The demo corpus built, published to the loopback Hub with the CLI, and read back with datasets.

The Hub client reads its endpoint and token at import, so the CLI and the reader run in
subprocesses whose environment points at the loopback server (see tests/test_publish.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import demo_project
from tests.hub_server import HubServer

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "hf_loopback_build_token_91c2"
REPO = "open-org/demo-corpus"
READ_BACK = """
import json, sys
from datasets import load_dataset
rows = {c: load_dataset(sys.argv[1], c, revision="v1.0.0", split="train").to_list()
        for c in sys.argv[2:]}
print(json.dumps(rows))
"""


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("hubbuild")
    project = demo_project(root / "demo")
    project.build()
    with HubServer(TOKEN) as hub:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE"))}
        env |= {"HF_ENDPOINT": hub.endpoint, "HF_TOKEN": TOKEN, "HF_HOME": str(root / "hf")}
        env |= {"HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}
        cli = [sys.executable, "-c", "from corpusbuilder.cli import main; main()"]
        config = str(project.config.path)
        published = _run([*cli, "-c", config, "publish", "1.0.0", "--repo-id", REPO], env)
        configs = ["de", "en", "es", "fr", "it"]
        read = _run([sys.executable, "-c", READ_BACK, REPO, *configs], env)
    return project, published.stdout, json.loads(read.stdout.splitlines()[-1])


def test_every_published_row_matches_the_ledger(published):
    project, _, rows = published
    members = {m.doc_id: m for m in project.ledger.release_members("1.0.0")}
    seen = set()
    for config, config_rows in rows.items():
        for row in config_rows:
            member, doc = members[row["id"]], project.ledger.document(row["id"])
            assert member.config == config == doc.language
            assert row["text_sha256"] == member.text_sha256 == doc.text_sha256
            assert (row["licence"], row["url"], row["title"]) == (doc.licence, doc.url, doc.title)
            assert project.store.get(doc.text_sha256) == row["text"]
            seen.add(row["id"])
    assert seen == set(members)  # every released document, and only those


def test_the_release_records_its_hub_commit_and_tag(published):
    project, output, _ = published
    release = project.ledger.release("1.0.0")
    assert (release.hub_repo, release.hub_tag) == (REPO, "v1.0.0")
    assert re.fullmatch(r"[0-9a-f]{40}", release.hub_commit)
    assert "tag v1.0.0" in output and TOKEN not in output
