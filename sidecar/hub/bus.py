"""The bus carries updates to every hub process; each process delivers them to its registry.

`LocalBus` is the single-process bus. A networked one (NATS) implements the same `Bus`
protocol: `publish` sends to all processes, and each calls `deliver` in seq order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sidecar.hub.updates import Update

Deliver = Callable[[Update], None]
"""Hands an update (in seq order) to this process's subscribers; returns at once."""


class Bus(Protocol):
    async def start(self, deliver: Deliver) -> None:
        """Begin calling `deliver` with the updates every process publishes."""
        ...

    async def publish(self, update: Update) -> None:
        """Send `update` to every hub process; returns without waiting for fan-out."""
        ...

    async def close(self) -> None: ...


class LocalBus:
    """The single-process bus: delivery is a direct call (the pump does the writing)."""

    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def publish(self, update: Update) -> None:
        if self._deliver is None:
            raise RuntimeError("the bus is not started")
        self._deliver(update)

    async def close(self) -> None:
        self._deliver = None
