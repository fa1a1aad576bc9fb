"""Shared fixtures. Real samples live in ../shared/data (not in this repository)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data; skips the test with a clear message where it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"real sample {path} is absent; these tests need ../shared/data beside the repo"
        )
    return path


@pytest.fixture
def shared_data() -> Path:
    return shared_path()
