"""The demo corpus built once and copied for each test that changes it: a build takes seconds,
a copy milliseconds. Every path in a corpus is relative to its corpus.yaml, so a copy is a corpus
of its own (only paths the ledger recorded, such as a publication's folder, name the original)."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from corpusbuilder.cli import cli
from tests import ledger_backend
from tests.helpers import demo_project


def run(config: Path, *args: str):
    """The CLI on the corpus at `config`, without progress bars."""
    return CliRunner().invoke(cli, ["-q", "-c", str(config), *args])


def build_demo(folder: Path) -> Path:
    """The demo built in `folder` (release 1.0.0 written and published to `folder/hub`)."""
    config = demo_project(folder).config.path
    result = run(config, "build")
    assert result.exit_code == 0, result.output
    return config


def copy_demo(config: Path, folder: Path) -> Path:
    shutil.copytree(config.parent, folder)
    ledger_backend.clone_ledger(folder / config.name)
    return folder / config.name


def files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (posix paths) with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }
