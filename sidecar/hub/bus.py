"""The bus carries what every hub process must hear; each process applies it locally.

Two kinds of message: updates (to deliver to this process's subscribers, in seq order) and
revocations (a token subject whose rights changed: its open streams end, and its tokens issued
before that moment are refused). `LocalBus` is the single-process bus. A networked one (NATS)
implements the same `Bus` protocol: `publish` and `revoke` reach all processes, and each calls
its `Receiver` in the order they were sent.
"""

from __future__ import annotations

from typing import Protocol

from sidecar.hub.updates import Update


class Receiver(Protocol):
    """This process's end of the bus."""

    def deliver(self, update: Update) -> None:
        """Hand an update (in seq order) to this process's subscribers; returns at once."""
        ...

    def revoke(self, subject: str, issued_before: float) -> None:
        """End `subject`'s streams, refuse its tokens issued before `issued_before`."""
        ...


class Bus(Protocol):
    async def start(self, receiver: Receiver) -> None:
        """Begin handing `receiver` what every process sends."""
        ...

    async def publish(self, update: Update) -> None:
        """Send `update` to every hub process; returns without waiting for fan-out."""
        ...

    async def revoke(self, subject: str, issued_before: float) -> None:
        """Tell every hub process that `subject`'s earlier tokens are void."""
        ...

    async def close(self) -> None: ...


class LocalBus:
    """The single-process bus: sending is a direct call (the pump does the writing)."""

    def __init__(self) -> None:
        self._receiver: Receiver | None = None

    async def start(self, receiver: Receiver) -> None:
        self._receiver = receiver

    def _started(self) -> Receiver:
        if self._receiver is None:
            raise RuntimeError("the bus is not started")
        return self._receiver

    async def publish(self, update: Update) -> None:
        self._started().deliver(update)

    async def revoke(self, subject: str, issued_before: float) -> None:
        self._started().revoke(subject, issued_before)

    async def close(self) -> None:
        self._receiver = None
