"""Imported in the forkserver the workers start from, never in the main process: a worker keeps
the forkserver's `__main__` instead of re-running the main script, as multiprocessing does by
default. A worker runs functions of importable modules only, and the main script imports far
more than the steps need: the CLI's imports cost a worker ~130 MiB (175 against 47 MiB)."""

from __future__ import annotations

from multiprocessing import spawn


def _keep_main(main: str) -> None:
    """In place of multiprocessing's fix-up of a new process's `__main__` (by path or name)."""


spawn._fixup_main_from_path = spawn._fixup_main_from_name = _keep_main
