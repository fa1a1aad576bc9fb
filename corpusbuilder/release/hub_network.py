"""Network limits and failures of Hub calls: a timeout on every request, and one line saying what
went wrong on the wire.

huggingface_hub's shared HTTP client waits forever by default, and several of its calls pass
``timeout=None`` explicitly (which overrides a client default), so the limit is set on each
request as it leaves, through a request hook of that client, for as long as a command talks to
the Hub.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

TIMEOUT_ENV = "CORPUSBUILDER_HUB_TIMEOUT"
DEFAULT_TIMEOUT = 60.0  # seconds without progress (connecting, or between bytes) on one request


def default_timeout() -> float:
    """The timeout of Hub calls: $CORPUSBUILDER_HUB_TIMEOUT, else DEFAULT_TIMEOUT seconds."""
    value = os.environ.get(TIMEOUT_ENV)
    try:
        seconds = float(value) if value else DEFAULT_TIMEOUT
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise ValueError(f"{TIMEOUT_ENV}={value!r}: give the Hub timeout in seconds, e.g. 60")
    return seconds


@contextmanager
def hub_timeout(seconds: float) -> Iterator[None]:
    """Every request huggingface_hub sends meanwhile gives up after `seconds` without progress."""
    from huggingface_hub import get_session

    limits = dict.fromkeys(("connect", "read", "write", "pool"), seconds)

    def limit(request) -> None:
        request.extensions["timeout"] = limits

    hooks = get_session().event_hooks["request"]
    hooks.append(limit)
    try:
        yield
    finally:
        hooks.remove(limit)


def root_cause(err: BaseException) -> BaseException:
    """The innermost exception `err` was raised from (huggingface_hub wraps network errors)."""
    seen = {id(err)}
    while (err.__cause__ or err.__context__) is not None:
        err = err.__cause__ or err.__context__
        if id(err) in seen:
            break
        seen.add(id(err))
    return err


def describe(err: BaseException, endpoint: str, seconds: float, step: str = "") -> str:
    """What happened on the wire, in a few words, e.g. `the Hub at … did not answer within 5 s
    while tagging`; `step` says what the command was doing."""
    cause = root_cause(err)
    name = type(cause).__name__
    detail = (str(cause) or name).splitlines()[0]
    during = f" while {step}" if step else ""
    if isinstance(cause, TimeoutError) or "Timeout" in name:
        return f"the Hub at {endpoint} did not answer within {seconds:g} s{during}"
    if isinstance(cause, ConnectionRefusedError) or name == "ConnectError":
        return f"the Hub at {endpoint} could not be reached ({detail})"
    return f"the connection to the Hub at {endpoint} broke{during} before an answer ({detail})"
