"""What truly differs between the async and the sync client: sleeping and locking.

Hand-written pairs (`AsyncLock`/`Lock`, `asleep`/`sleep`); `scripts/unasync.py` swaps the
async name for the sync one when it generates `_sync/` from `_async/`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from types import TracebackType

__all__ = ["AsyncLock", "Lock", "asleep", "sleep"]


async def asleep(seconds: float) -> None:
    """Sleep without blocking the event loop."""
    await asyncio.sleep(seconds)


def sleep(seconds: float) -> None:
    """Sleep the calling thread."""
    time.sleep(seconds)


class AsyncLock:
    """An `asyncio.Lock` made lazily, so a client can be built outside a running loop."""

    def __init__(self) -> None:
        self._lock: asyncio.Lock | None = None

    async def __aenter__(self) -> AsyncLock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        await self._lock.acquire()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._lock is not None
        self._lock.release()


class Lock:
    """A `threading.Lock` with the same shape as `AsyncLock`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> Lock:
        self._lock.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._lock.release()
