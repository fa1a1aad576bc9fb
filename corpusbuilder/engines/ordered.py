"""The engines' shared bookkeeping: tasks submitted ahead in a bounded window, their results
handed back in the order submitted (whatever a pending task is: a future, a Ray reference)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

Result = TypeVar("Result")


def in_order(
    submit: Callable[[Any], Any], result: Callable[[Any], Result], batches: Iterable, window: int
) -> Iterator[Result]:
    """Submit `batches` ahead, at most `window` unanswered at once; yield their results in
    order."""
    pending: deque = deque()
    for batch in batches:
        pending.append(submit(batch))
        if len(pending) >= window:
            yield result(pending.popleft())
    while pending:
        yield result(pending.popleft())
