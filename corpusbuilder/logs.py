"""Logging of the core: warnings (fetch retries, waits) on stderr, everything in a per-run file.

The core only calls ``logging.getLogger(__name__)``; the command line decides where it goes. Each
command that writes a corpus keeps a log file under ``<workdir>/logs``, so a night's failed build
can be read the next morning, traceback included, while the terminal shows one line.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from corpusbuilder.source import utc_now

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LEVELS = ("debug", "info", "warning", "error")


LOGGERS = ("corpusbuilder", "sources")  # the core, and the built-in adapters' own package


def console(level: str) -> None:
    """Show the core's messages at `level` and above on stderr."""
    handler = logging.StreamHandler()
    handler.setLevel(level.upper())
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    _install(handler, "console")


def run_file(workdir: Path, command: str) -> Path:
    """Start the log file of this command under `workdir/logs`; return its path."""
    folder = workdir / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{utc_now():%Y%m%dT%H%M%SZ}-{command}-{os.getpid()}.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter(FORMAT))
    _install(handler, "run_file")
    return path


def _install(handler: logging.Handler, role: str) -> None:
    """Put `handler` in the place of an earlier one of the same role, closing that one: a process
    that runs several commands (tests, notebooks) neither repeats lines nor leaks open files."""
    handler.set_name(f"corpusbuilder-{role}")
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        for old in [h for h in logger.handlers if h.get_name() == handler.get_name()]:
            logger.removeHandler(old)
            old.close()
        logger.addHandler(handler)
