"""The bus carries updates to every hub process; each process delivers them to its registry.

`LocalBus` is the single-process bus. A networked one (NATS) implements the same `Bus`
protocol: `publish` sends to all processes, and each calls `deliver` in seq order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from sidecar.hub.updates import Update

Deliver = Callable[[Sequence[Update]], None]
"""Hands updates (in seq order) to this process's subscribers; never blocks, never raises."""

logger = logging.getLogger(__name__)


class Bus(Protocol):
    async def start(self, deliver: Deliver) -> None:
        """Begin calling `deliver` with the updates every process publishes."""
        ...

    async def publish(self, update: Update) -> None:
        """Send `update` to every hub process; returns without waiting for fan-out."""
        ...

    async def close(self) -> None: ...


class LocalBus:
    """In-process bus: updates published before the loop gets to them go out as one batch."""

    def __init__(self) -> None:
        self._deliver: Deliver | None = None
        self._queued: list[Update] = []

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def publish(self, update: Update) -> None:
        if self._deliver is None:
            raise RuntimeError("bus not started")
        if not self._queued:
            asyncio.get_running_loop().call_soon(self._flush)
        self._queued.append(update)

    def _flush(self) -> None:
        updates, self._queued = self._queued, []
        if self._deliver is None:
            return
        try:
            self._deliver(updates)
        except Exception:
            logger.exception("fan-out failed", extra={"seq": updates[-1].seq})

    async def close(self) -> None:
        self._deliver = None
