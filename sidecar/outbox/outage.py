"""Waiting out PocketBase being away: one log line when it goes, one when it is back."""

from __future__ import annotations

import asyncio
import logging
import random
import time

from fieldsync.backoff import Backoff

log = logging.getLogger(__name__)


class Outage:
    """Shared by everything in the process that talks to PocketBase, so it logs once."""

    def __init__(self, backoff: Backoff | None = None) -> None:
        self._backoff = backoff or Backoff(initial=0.2, maximum=5.0)
        self._since: float | None = None
        self._attempt = 0

    @property
    def down(self) -> bool:
        return self._since is not None

    async def wait(self, error: Exception) -> None:
        """Note a failed call and sleep before the caller tries again."""
        if self._since is None:
            self._since = time.monotonic()
            log.warning(
                "PocketBase is unreachable; retrying with backoff", extra={"error": str(error)}
            )
        delay = self._backoff.delay(self._attempt, random.random())
        self._attempt += 1
        await asyncio.sleep(delay)

    def ok(self) -> None:
        """Note a successful call."""
        if self._since is not None:
            log.info(
                "PocketBase is back", extra={"down_s": round(time.monotonic() - self._since, 1)}
            )
            self._since = None
            self._attempt = 0
