"""The Arrow allocator corpusbuilder asks for (see corpusbuilder/__init__.py): jemalloc, which
returns freed memory to the system, unless the user chose one. Checked in fresh interpreters:
the choice is made when pyarrow first loads."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = "import corpusbuilder, pyarrow; print(pyarrow.default_memory_pool().backend_name)"


def _backend(**env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"} | env
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=environ, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert not done.stderr, f"pyarrow warned about the pool: {done.stderr}"
    return done.stdout.strip()


@pytest.mark.skipif(sys.platform == "win32", reason="pyarrow's Windows wheels have no jemalloc")
def test_pyarrow_allocates_with_jemalloc_once_corpusbuilder_is_imported():
    assert _backend() == "jemalloc"


def test_an_allocator_the_user_chose_is_kept():
    assert _backend(ARROW_DEFAULT_MEMORY_POOL="system") == "system"
