"""Run a coroutine synchronously until it first suspends (Python 3.12's eager tasks, by hand).

The fan-out calls each subscriber's ASGI `send` this way: uvicorn's `send` only suspends when
the socket's buffer is full, so almost every call completes on the spot with no task and no
event-loop round trip. When one does suspend, the rest is handed back as an awaitable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Generator
from types import coroutine
from typing import Any


def run_eagerly(awaitable: Awaitable[None]) -> Awaitable[None] | None:
    """Step `awaitable`; None if it finished, else an awaitable that finishes it."""
    coro = awaitable.__await__()
    try:
        suspended_on = coro.send(None)
    except StopIteration:
        return None
    return _resume(coro, suspended_on)


@coroutine
def _resume(coro: Generator[Any, Any, None], suspended_on: Any) -> Generator[Any, Any, None]:
    # What `await` does after the first step: hand each future up to the awaiting task, and
    # forward what the task sends or throws back (results, cancellation) into `coro`.
    while True:
        try:
            value = yield suspended_on
        except BaseException as exc:
            try:
                suspended_on = coro.throw(exc)
            except StopIteration:
                return
        else:
            try:
                suspended_on = coro.send(value)
            except StopIteration:
                return
