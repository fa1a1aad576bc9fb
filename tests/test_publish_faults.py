"""Publishing to a Hub that fails on the wire: a lost answer, a dropped connection or a hang ends
the publish with one line (network exit code, "a retry is safe") within the client timeout, and
the retry without the fault completes it: the tag on a commit holding exactly the manifest's files,
one commit, one publication row in the ledger.

As in test_hub_build, the CLI runs in one subprocess whose environment points at the loopback
server (huggingface_hub reads HF_ENDPOINT when imported); the server runs here, each scenario's
fault armed for its own repo, and fires once: the first publish meets it, the retry does not.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time

import pytest

from corpusbuilder.errors import ExitCode
from corpusbuilder.ledger import Ledger
from corpusbuilder.project import Project
from corpusbuilder.release import files as release_files
from corpusbuilder.release import hub_network, manifest
from tests.demo_copies import build_demo
from tests.hub_server import Fault, HubServer
from tests.test_hub_build import ROOT, TOKEN, _env

TIMEOUT = 2.0  # seconds: the publish's --timeout in every scenario
SLACK = 60.0  # what else a first publish may take on a loaded machine, besides one timeout
SCENARIOS = {  # repo name → the fault its first publish meets
    "commit-answer-lost": Fault("commit", "lost_answer"),
    "tag-answer-lost": Fault("tag", "lost_answer"),
    "commit-dropped": Fault("commit", "drop"),
    "commit-hangs": Fault("commit", "hang"),
    "tag-hangs": Fault("tag", "hang"),
    "repo-info-hangs": Fault("repo_info", "hang"),
}
STEP = {"commit": "committing the files", "tag": "tagging commit", "repo_info": "reading the repo"}


def repo_id(name: str) -> str:
    return f"faults/{name}"


def publish_twice(config: str) -> dict:
    """The subprocess side: each scenario's first publish and its retry, timed."""
    from click.testing import CliRunner

    from corpusbuilder.cli import cli

    out = {}
    for name in SCENARIOS:
        out[name] = []
        for _ in ("first", "retry"):
            args = ["-q", "-c", config, "publish", "1.0.0", "--repo-id", repo_id(name)]
            started = time.monotonic()
            result = CliRunner().invoke(cli, [*args, "--timeout", str(TIMEOUT)])
            took = time.monotonic() - started
            out[name].append({"code": result.exit_code, "output": result.output, "took": took})
    return out


@pytest.fixture(scope="module")
def faulted(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    config = build_demo(root / "demo")
    faults = [Fault(f.route, f.kind, repo_id(name)) for name, f in SCENARIOS.items()]
    with HubServer(TOKEN, faults=faults) as hub:
        args = [sys.executable, "-m", "tests.test_publish_faults", str(config)]
        env = _env(hub.endpoint, root / "hf")  # -q: no upload bars around the one line
        proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        yield Project.open(config, progress=False), json.loads(proc.stdout.splitlines()[-1]), hub


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_fault_fails_in_one_line_within_the_timeout_and_the_retry_completes(faulted, name):
    project, out, hub = faulted
    fault = SCENARIOS[name]
    first, retry = out[name]
    assert (fault.kind, fault.route, repo_id(name)) in hub.fired
    assert first["code"] == ExitCode.NETWORK, first["output"]
    line = first["output"].rstrip("\n")
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith(f"Error: publishing v1.0.0 to {repo_id(name)}: the ")
    assert line.endswith("; running the command again is safe")
    if fault.kind == "hang":
        assert f"did not answer within {TIMEOUT:g} s while {STEP[fault.route]}" in line
        assert TIMEOUT <= first["took"] < TIMEOUT + SLACK  # ended by the timeout, not by the hub
    else:
        assert f"broke while {STEP[fault.route]}" in line
        assert "before an answer (Server disconnected without sending a response" in line
    assert retry["code"] == 0, retry["output"]
    assert_published_once(project, hub, repo_id(name))


def assert_published_once(project: Project, hub: HubServer, repo: str) -> None:
    """The tag holds exactly the manifest's files, in one commit; the ledger, one publication."""
    state = hub.hub.repos[("dataset", repo)]
    commit = state.commits[state.tags["v1.0.0"]]
    folder = release_files.own_folder(project.config, "1.0.0")
    listed = manifest.read(folder)["files"]
    there = {path: blob.data for path, blob in commit.files.items() if path != ".gitattributes"}
    assert there.pop(manifest.NAME) == (folder / manifest.NAME).read_bytes()
    assert {p: hashlib.sha256(b).hexdigest() for p, b in there.items()} == {
        p: d["sha256"] for p, d in listed.items()
    }
    assert len(state.commits) == 2  # the initial commit and the release: never committed twice
    rows = [p for p in Ledger(project.config.ledger_url).publications("1.0.0") if p.target == repo]
    assert [(p.kind, p.tag, p.commit) for p in rows] == [("hub", "v1.0.0", commit.oid)]


def test_the_ledger_keeps_every_publication_target(faulted):
    project, _, _ = faulted
    targets = [(p.kind, p.target) for p in Ledger(project.config.ledger_url).publications()]
    assert targets == [("folder", str(project.config.root / "hub"))] + [
        ("hub", repo_id(name)) for name in SCENARIOS
    ]


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "could not be reached"),
        (TimeoutError("timed out"), "did not answer within 2 s"),
        (ConnectionResetError(104, "Connection reset by peer"), "broke before an answer"),
    ],
)
def test_a_dead_or_silent_server_is_described_in_words(error, said):
    try:
        try:
            raise error
        except OSError as inner:
            raise RuntimeError("wrapped by the client") from inner
    except RuntimeError as outer:
        assert said in hub_network.describe(outer, "http://127.0.0.1:9", 2.0)


if __name__ == "__main__":
    print(json.dumps(publish_twice(sys.argv[1])))
