"""Every command has help with an example; errors a user can fix are one clear line."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from corpusbuilder.cli import cli
from corpusbuilder.errors import ExitCode


def _commands(group: click.Group, prefix=()):
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


@pytest.mark.parametrize(
    "path,command", list(_commands(cli)), ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_every_command_has_help_with_an_example(path, command):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert command.help and len(command.help.split()) >= 4
    if not isinstance(command, click.Group):
        assert "Example:" in result.output, f"`corpusbuilder {' '.join(path)}` help has no example"


def test_sources_lists_every_builtin_adapter():
    result = CliRunner().invoke(cli, ["sources"])
    names = [line.split("\t")[0] for line in result.output.splitlines()]
    assert names == ["gutenberg", "hf_dataset", "local", "mediawiki", "oai_pmh"]
    assert "sources.local" in result.output


def test_licences_resolve_json_and_stdin():
    runner = CliRunner()
    result = runner.invoke(cli, ["licences", "resolve", "--json", "CC BY-NC-SA 4.0"])
    row = json.loads(result.output)
    assert set(row) == {"statement", "licence", "status", "rule"}
    assert (row["licence"], row["status"]) == ("CC-BY-NC-SA-4.0", "rejected")
    piped = runner.invoke(
        cli, ["licences", "resolve"], input="CC0\ninfo:eu-repo/semantics/openAccess\n"
    )
    first, second = piped.output.splitlines()
    assert first.split("\t")[:2] == ["CC0-1.0", "allowed"]
    assert second.split("\t")[:2] == ["null", "unknown"]


def test_missing_config_and_unknown_source_say_what_to_do(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(cli, ["-c", str(tmp_path / "nope.yaml"), "status"])
    assert missing.exit_code == ExitCode.INPUT
    assert "corpusbuilder init" in missing.output and "Traceback" not in missing.output
    runner.invoke(cli, ["init", "--demo", str(tmp_path / "d")])
    unknown = runner.invoke(cli, ["-c", str(tmp_path / "d" / "corpus.yaml"), "ingest", "nope"])
    assert "no source 'nope'" in unknown.output and "configured: demo" in unknown.output


def test_unknown_adapter_lists_the_available_ones(tmp_path):
    (tmp_path / "corpus.yaml").write_text("sources:\n  - {name: x, adapter: nosuch}\n")
    result = CliRunner().invoke(cli, ["-c", str(tmp_path / "corpus.yaml"), "ingest", "x"])
    assert "unknown source 'nosuch'; available: gutenberg, hf_dataset, local" in result.output
