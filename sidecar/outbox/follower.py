"""Follow the `events` outbox in strict sequence order, from a given position.

PocketBase realtime is the wake-up signal and, when its messages arrive in order, the data
itself (no extra round trip). Realtime may deliver out of commit order and drops whatever is
sent while disconnected, so a gap, a reconnect or the slow safety poll falls back to REST
(`seq > position`, sorted). Sequences are assigned inside the writer's transaction, so the
committed log never has holes: a missing number is always just late.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from fieldsync import ApiError, Event, TransportError

from sidecar.outbox.log import OutboxLog
from sidecar.session import Outage

log = logging.getLogger(__name__)


class OutboxFollower:
    """Yields ordered, gap-free batches of events after `position`."""

    def __init__(
        self,
        log: OutboxLog,
        outage: Outage,
        *,
        after: int,
        batch_size: int,
        poll_interval_s: float,
    ) -> None:
        self._log = log
        self._outage = outage
        self.position = after
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._pushed: dict[int, Event] = {}
        self._wake = asyncio.Event()
        self._stale = True
        """REST may hold events realtime did not bring (at start, after the safety poll's
        timeout or realtime trouble). Otherwise REST is read only for a gap, so events that
        arrive in order cost no request beyond their realtime message."""
        self.head_seq = after

    async def batches(self) -> AsyncIterator[list[Event]]:
        listener = asyncio.create_task(self._listen(), name="outbox-realtime")
        try:
            while True:
                # Cleared before looking, so a push that lands while we look still wakes us.
                self._wake.clear()
                batch = self._take_contiguous()
                if not batch and (self._stale or self.head_seq > self.position):
                    batch = await self._fetch()
                    self._stale = len(batch) == self._batch_size  # a full page: more may follow
                    if not batch:
                        self.head_seq = self.position
                if batch:
                    self.position = batch[-1].seq
                    self.head_seq = max(self.head_seq, self.position)
                    yield batch
                    continue
                try:
                    async with asyncio.timeout(self._poll_interval_s):
                        await self._wake.wait()
                except TimeoutError:
                    self._stale = True  # the safety poll
        finally:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)

    def _take_contiguous(self) -> list[Event]:
        """The pushed events that continue `position` without a hole; drops stale ones."""
        for seq in [s for s in self._pushed if s <= self.position]:
            del self._pushed[seq]
        batch: list[Event] = []
        nxt = self.position + 1
        while nxt in self._pushed and len(batch) < self._batch_size:
            batch.append(self._pushed.pop(nxt))
            nxt += 1
        return batch

    async def _fetch(self) -> list[Event]:
        """The next events after `position` over REST."""
        return await self._log.read_after(self.position, self._batch_size)

    async def _listen(self) -> None:
        """Feeds realtime messages into `_pushed` and wakes the reader. The subscription
        reconnects by itself; what it missed meanwhile shows up as a gap (or at the next
        safety poll) and is read over REST."""
        while True:
            try:
                async with self._log.live() as subscription:
                    async for message in subscription:
                        event = message.record
                        self.head_seq = max(self.head_seq, event.seq)
                        # Keep the payload only near the reader; far ahead it is just a wake-up.
                        if self.position < event.seq <= self.position + 4 * self._batch_size:
                            self._pushed[event.seq] = event
                        self._wake.set()
            except (TransportError, ApiError) as exc:
                log.warning(
                    "outbox realtime subscription failed; retrying", extra={"error": str(exc)}
                )
                self._stale = True
                self._wake.set()
                await self._outage.wait(exc)
