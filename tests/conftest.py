"""Shared fixtures. Real samples live in ../shared/data (not in this repository)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import ledger_backend
from tests.demo_copies import build_demo, copy_demo

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data; skips the test with a clear message where it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"real sample {path} is absent; these tests need ../shared/data beside the repo"
        )
    return path


@pytest.fixture(scope="session", autouse=True)
def ledger_server():
    """With CORPUSBUILDER_TEST_LEDGER=postgresql, one PostgreSQL server for the session."""
    if ledger_backend.on_postgres():
        ledger_backend.start()
    yield
    ledger_backend.stop()


@pytest.fixture
def shared_data() -> Path:
    return shared_path()


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The demo built once per test module (release 1.0.0, published to its `hub` folder)."""
    return build_demo(tmp_path_factory.mktemp("template") / "demo")


@pytest.fixture
def built(template: Path, tmp_path: Path) -> Path:
    """A copy of the demo built once: release 1.0.0 written and published to `hub` beside it."""
    return copy_demo(template, tmp_path / "demo")
