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


def console(level: str) -> None:
    """Show the core's messages at `level` and above on stderr."""
    root = logging.getLogger("corpusbuilder")
    root.setLevel(logging.DEBUG)
    handler = logging.StreamHandler()
    handler.setLevel(level.upper())
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.addHandler(handler)
    for name in ("sources",):  # the built-in adapters log under their own package
        logging.getLogger(name).addHandler(handler)


def run_file(workdir: Path, command: str) -> Path:
    """Start the log file of this command under `workdir/logs`; return its path."""
    folder = workdir / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{utc_now():%Y%m%dT%H%M%SZ}-{command}-{os.getpid()}.log"
    handler = logging.FileHandler(path, encoding="utf-8", delay=False)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter(FORMAT))
    for name in ("corpusbuilder", "sources"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    return path
