"""A takedown removes documents from every later release and survives re-ingest and re-curation."""

from __future__ import annotations

import json

from click.testing import CliRunner

from corpusbuilder.cli import cli
from corpusbuilder.errors import ExitCode
from tests.helpers import demo_project


def test_takedown_leaves_later_releases_and_is_audited(tmp_path):
    project = demo_project(tmp_path / "demo")
    project.build()
    runner = CliRunner()
    config = str(project.config.path)
    done = runner.invoke(
        cli, ["-c", config, "takedown", "https://example.org/corpusbuilder-demo/fr-riviere",
              "--reason", "author's request"],
    )  # fmt: skip
    assert done.exit_code == 0 and "demo/fr-riviere" in done.output
    doc = project.ledger.document("demo/fr-riviere")
    assert (doc.status, doc.reason) == ("taken_down", "takedown")

    project.build(version="1.1.0")  # re-ingests and re-curates: the takedown holds
    assert project.ledger.document("demo/fr-riviere").status == "taken_down"
    new = {m.doc_id for m in project.ledger.release_members("1.1.0")}
    old = {m.doc_id for m in project.ledger.release_members("1.0.0")}
    assert old - new == {"demo/fr-riviere"}  # the frozen release is unchanged
    release = project.ledger.release("1.1.0")
    assert release.parent == "1.0.0"
    assert release.counts["diff"] == {"parent": "1.0.0", "added": 0, "removed": 1, "changed": 0}

    audit = runner.invoke(cli, ["-c", config, "audit", "demo/fr-riviere"]).output
    assert "not released because it was taken down" in audit
    assert "takedown: taken_down (takedown) by takedown_v2" in audit
    assert "author's request" in audit
    assert "1.0.0: config fr" in audit  # still in the release frozen before the takedown


def test_takedown_needs_a_match_and_a_reason(tmp_path):
    project = demo_project(tmp_path / "demo")
    project.build()
    config = str(project.config.path)
    runner = CliRunner()
    nothing = runner.invoke(cli, ["-c", config, "takedown", "demo/nope", "--reason", "x"])
    assert nothing.exit_code == ExitCode.INPUT
    assert "no document matches 'demo/nope'" in nothing.output
    blank = runner.invoke(cli, ["-c", config, "takedown", "demo/it-piazza", "--reason", " "])
    assert blank.exit_code == ExitCode.INPUT and "say why" in blank.output


def test_a_taken_down_text_changed_at_its_source_stays_down_and_is_audited_once(tmp_path):
    project = demo_project(tmp_path / "demo")
    project.build()
    project.take_down("demo/en-lighthouse", "author's request")
    texts = project.config.path.parent / "texts.jsonl"
    lines = texts.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["text"] += " The author added this line after asking for its removal."
    texts.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n", encoding="utf-8")

    project.build(version="1.1.0")  # the changed text is ingested, and curation holds it down
    doc = project.ledger.document("demo/en-lighthouse")
    assert (doc.status, doc.reason) == ("taken_down", "takedown")
    assert "demo/en-lighthouse" not in {m.doc_id for m in project.ledger.release_members("1.1.0")}
    audit = CliRunner().invoke(cli, ["-c", str(project.config.path), "audit", "demo/en-lighthouse"])
    takedown_lines = [line for line in audit.output.splitlines() if "taken down by" in line]
    assert len(takedown_lines) == 1, audit.output
    assert "author's request — named by it" in takedown_lines[0]
    audit = CliRunner().invoke(
        cli, ["-c", str(project.config.path), "audit", "demo/en-lighthouse", "--json"]
    )
    assert [t["match"] for t in json.loads(audit.output)["takedowns"]] == ["named"]
