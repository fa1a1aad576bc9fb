"""Audit from the Hub alone (issue 10): the demo published to the loopback Hub, its provenance
config loaded at each tag from a fresh cache and checked against the ledger, and `audit
--repo-id` run where there is no corpus.yaml, giving the local audit's answer.

The Hub client reads its endpoint and cache folder at import, so everything that talks to the
loopback Hub runs in subprocesses (`python -m tests.test_audit_hub STEP …`), each with a fresh
HF_HOME; the server runs in this process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from corpusbuilder import audit
from corpusbuilder.urls import public_locator
from tests.helpers import demo_project
from tests.hub_server import HubServer

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "hf_loopback_audit_token_5e21"
REPO = "open-org/audited-corpus"


def publish(config: str) -> dict:
    """Subprocess: publish 1.0.0, take a document down, publish 1.1.0; load both provenance
    configs through the card, as a Hub user would."""
    from click.testing import CliRunner
    from datasets import load_dataset

    from corpusbuilder.cli import cli

    def run(*args: str) -> None:
        result = CliRunner().invoke(cli, ["-q", "-c", config, *args])
        assert result.exit_code == 0, result.output

    run("publish", "1.0.0", "--repo-id", REPO)
    run("takedown", "demo/de-bahnhof", "--reason", "the author asked")
    run("release", "1.1.0")
    run("publish", "1.1.0", "--repo-id", REPO)
    return {
        tag: load_dataset(REPO, "provenance", revision=tag, split="train").to_list()
        for tag in ("v1.0.0", "v1.1.0")
    }


def audit_cli(*asked: str) -> dict:
    """Subprocess, in a folder without corpus.yaml: `corpusbuilder audit DOC_ID --repo-id …
    --revision TAG --json` for each `DOC_ID@TAG` asked."""
    from click.testing import CliRunner

    from corpusbuilder.cli import cli

    answers = {}
    for one in asked:
        doc_id, revision = one.split("@")
        args = ["audit", doc_id, "--repo-id", REPO, "--revision", revision, "--json"]
        result = CliRunner().invoke(cli, args)
        answers[one] = {"code": result.exit_code, "output": result.stdout}
        answers[one]["errors"] = result.stderr
    return answers


def _subprocess(endpoint: str, home: Path, cwd: Path, *args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE"))}
    env |= {"HF_ENDPOINT": endpoint, "HF_TOKEN": TOKEN, "HF_HOME": str(home)}
    env |= {"HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "tests.test_audit_hub", *args]
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    root = tmp_path_factory.mktemp("audithub")
    project = demo_project(root / "demo")
    project.build()
    empty = root / "elsewhere"
    empty.mkdir()
    asked = ["demo/en-lighthouse@v1.0.0", "demo/de-bahnhof@v1.0.0", "demo/de-bahnhof@v1.1.0"]
    with HubServer(TOKEN) as server:
        config = str(project.config.path)
        loaded = _subprocess(server.endpoint, root / "hf-publish", ROOT, "publish", config)
        audited = _subprocess(server.endpoint, root / "hf-fresh", empty, "audit", *asked)
    yield project, loaded, audited


def test_the_provenance_config_at_each_tag_matches_the_ledger(hub):
    project, loaded, _ = hub
    ledger = project.ledger
    for tag, rows in loaded.items():
        version = tag.removeprefix("v")
        members = {m.doc_id: m for m in ledger.release_members(version)}
        assert sorted(r["doc_id"] for r in rows) == sorted(members)
        for row in rows:
            doc = ledger.document(row["doc_id"])
            evidence = ledger.evidence([doc.doc_id])[doc.doc_id]
            assert row["version"] == version
            assert (row["text_sha256"], row["licence"], row["licence_rule"], row["url"]) == (
                members[doc.doc_id].text_sha256,
                doc.licence,
                doc.licence_rule,
                doc.url,
            )
            assert [e["statement"] for e in row["evidence"]] == [e.statement for e in evidence]
    assert "demo/de-bahnhof" in {r["doc_id"] for r in loaded["v1.0.0"]}
    assert "demo/de-bahnhof" not in {r["doc_id"] for r in loaded["v1.1.0"]}


def _same(local, remote, path: str = "") -> list[str]:
    """Where `remote` differs from `local` on the keys both have (lists compared item by item)."""
    if isinstance(local, dict) and isinstance(remote, dict):
        return [d for k in local.keys() & remote.keys() for d in _same(local[k], remote[k], k)]
    if isinstance(local, list) and isinstance(remote, list) and len(local) == len(remote):
        return [d for a, b in zip(local, remote, strict=True) for d in _same(a, b, path)]
    return [] if local == remote else [f"{path}: {local!r} != {remote!r}"]


def test_audit_from_the_hub_gives_the_local_answer_without_a_ledger(hub):
    project, _, audited = hub
    answer = audited["demo/en-lighthouse@v1.0.0"]
    assert answer["code"] == 0, answer["output"]
    remote = json.loads(answer["output"])
    local = json.loads(audit.render(audit.report(project.ledger, "demo/en-lighthouse"), True))
    assert remote["document"]["licence_rule"].startswith("allowed: CC0-1.0 by url:")
    assert remote["also_found_in"] == local["also_found_in"] == ["demo/en-lighthouse-copy"]
    assert _same(local["document"], remote["document"]) == []
    assert _same(local["source"], remote["source"]) == []
    # the Hub shows a local file by its path in the corpus folder, never the publisher's own
    published = [e | {"locator": public_locator(e["locator"], project.config.root)}
                 for e in local["evidence"]]  # fmt: skip
    assert remote["evidence"][0]["locator"].startswith("texts.jsonl#line=")
    assert _same(published, remote["evidence"]) == []
    # the Hub has the decisions of the curation that kept it; the ledger also has the ingest
    curated = [d for d in local["decisions"] if d["stage"] != "ingest"]
    assert _same(curated, remote["decisions"]) == [] and len(remote["decisions"]) == 3
    assert remote["releases"] == [r for r in local["releases"] if r["version"] == "1.0.0"]
    assert remote["filter_measurements"] == local["filter_measurements"] != []


def test_audit_at_a_tag_that_no_longer_holds_the_document_says_so(hub):
    _, _, audited = hub
    assert audited["demo/de-bahnhof@v1.0.0"]["code"] == 0
    answer = audited["demo/de-bahnhof@v1.1.0"]
    assert answer["code"] != 0
    assert answer["errors"].splitlines()[-1] == (
        f"Error: no document 'demo/de-bahnhof' in {REPO}@v1.1.0; ids look like"
        " `<source>/<source_key>` (the `id` column of the data configs)"
    )


if __name__ == "__main__":
    step, *rest = sys.argv[1:]
    print(json.dumps(publish(*rest) if step == "publish" else audit_cli(*rest), default=str))
