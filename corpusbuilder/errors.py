"""The errors a user can fix, and the exit code each one ends a command with.

Every such error is shown as one line saying what to do; a traceback appears only with
``--debug`` or for an unexpected error (a bug, exit code 1). The table is in the README.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    BUG = 1  # an unexpected error: run again with --debug and report the traceback
    USAGE = 2  # a wrong option or argument on the command line (click's own code)
    INPUT = 3  # corpus.yaml, a version, a selector or the ledger's state needs fixing first
    SOURCE_FAILED = 4  # build: a source failed; the others ran; nothing was released
    NETWORK = 5  # a server or the Hub could not be reached, timed out or refused the request
    BUSY = 6  # another command is writing this corpus (pass --wait to wait for it)
    MISMATCH = 7  # verify found a difference, or a frozen release would change if written
    INTERRUPTED = 130  # Ctrl-C: what was committed is kept; run the command again to resume


class UserError(Exception):
    """An error the user can fix; its message says how. Subclasses set their exit code."""

    exit_code: ExitCode = ExitCode.INPUT


NETWORK_MODULES = ("httpx", "httpcore", "requests", "urllib3", "huggingface_hub")


def explain(exc: BaseException) -> tuple[str, ExitCode]:
    """The one line a user sees for `exc`, and the exit code; BUG for what nobody foresaw."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted: what was committed is kept; run the command again to resume", (
            ExitCode.INTERRUPTED
        )
    if isinstance(exc, UserError):
        return str(exc), exc.exit_code
    if isinstance(exc, ConnectionError | TimeoutError) or type(exc).__module__.startswith(
        NETWORK_MODULES
    ):
        return f"network: {exc or type(exc).__name__}; check the connection, a retry is safe", (
            ExitCode.NETWORK
        )
    if isinstance(exc, ValueError):  # adapters refuse a bad option with a ValueError
        return str(exc), ExitCode.INPUT
    return f"unexpected {type(exc).__name__}: {exc}", ExitCode.BUG
