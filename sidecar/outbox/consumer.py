"""The outbox consumer: every event handled, in effect once, with the cursor moving only after.

Events are handled concurrently (thumbnails take a while) but the persisted cursor only moves
to the highest sequence below which everything is done, so `kill -9` at any moment loses
nothing: the next holder resumes from the cursor and the idempotent handlers skip what was
already done. A PocketBase outage pauses the stream (one log line); an event whose handler
keeps failing is recorded and skipped after `max_attempts`, never stopping the stream.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from fieldsync import AsyncClient, Event, TransportError, Unauthorized
from fieldsync.backoff import Backoff

from sidecar.errors import PermanentError, RetryableError
from sidecar.metrics import Metrics
from sidecar.outbox.cursor import ConsumerLease, LeaseLost
from sidecar.outbox.follower import OutboxFollower
from sidecar.outbox.outage import Outage
from sidecar.settings import Settings

log = logging.getLogger(__name__)

Handler = Callable[[Event], Awaitable[None]]
Relogin = Callable[[Unauthorized], Awaitable[None]]


class Progress:
    """The in-order cursor over events that finish out of order."""

    def __init__(self, cursor: int) -> None:
        self.cursor = cursor
        self._pending: deque[int] = deque()
        self._done: set[int] = set()
        self.moved = asyncio.Event()

    def start(self, seq: int) -> None:
        self._pending.append(seq)

    def finish(self, seq: int) -> None:
        self._done.add(seq)
        while self._pending and self._pending[0] in self._done:
            self._done.discard(self._pending[0])
            self.cursor = self._pending.popleft()
            self.moved.set()

    @property
    def in_flight(self) -> int:
        return len(self._pending)


class OutboxConsumer:
    def __init__(
        self,
        client: AsyncClient,
        handler: Handler,
        settings: Settings,
        metrics: Metrics,
        outage: Outage,
        relogin: Relogin,
    ) -> None:
        self._client = client
        self._handler = handler
        self._relogin = relogin
        self._settings = settings
        self._metrics = metrics
        self._outage = outage
        self.lease = ConsumerLease(
            client,
            name=settings.consumer_name,
            holder=settings.instance,
            ttl_s=settings.lease_ttl_s,
        )
        self._retry = Backoff(initial=0.5, maximum=10.0)
        self._progress: Progress | None = None
        self._committed = 0

    async def run(self) -> None:
        """Hold the lease when it is free and consume; stand by while another process holds it."""
        standby_logged = False
        while True:
            try:
                cursor = await self.lease.acquire()
            except LeaseLost:
                self._metrics.holds_lease = False
                if not standby_logged:
                    log.info("another process holds the outbox consumer; standing by")
                    standby_logged = True
                await asyncio.sleep(self.lease.ttl_s / 3)
                continue
            except TransportError as exc:
                await self._outage.wait(exc)
                continue
            self._outage.ok()
            standby_logged = False
            self._metrics.holds_lease = True
            log.info(
                "holding the outbox consumer", extra={"cursor": cursor, "holder": self.lease.holder}
            )
            try:
                await self._consume(cursor)
            except* LeaseLost:
                self._metrics.holds_lease = False
                log.warning("lost the outbox consumer lease; standing by")
            except* Unauthorized as group:
                await self._relogin(_first(group))
            except* Exception:
                # Anything else (a 5xx while reading the outbox...): start over from the cursor.
                log.exception("outbox consumer failed; resuming from the persisted cursor")
                await asyncio.sleep(self._retry.delay(0, random.random()))

    async def _consume(self, cursor: int) -> None:
        progress = self._progress = Progress(cursor)
        self._committed = cursor
        self._metrics.cursor = cursor
        follower = OutboxFollower(
            self._client,
            self._outage,
            after=cursor,
            batch_size=self._settings.batch_size,
            poll_interval_s=self._settings.poll_interval_s,
        )
        slots = asyncio.Semaphore(self._settings.concurrency)
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._keep_lease(), name="outbox-lease")
                group.create_task(self._commit(progress), name="outbox-commit")
                async for batch in follower.batches():
                    self._metrics.head_seq = follower.head_seq
                    for event in batch:
                        await slots.acquire()
                        progress.start(event.seq)
                        self._metrics.in_flight = progress.in_flight
                        group.create_task(self._handle(event, progress, slots))
        finally:
            self._metrics.in_flight = 0

    async def _keep_lease(self) -> None:
        while True:
            await asyncio.sleep(self.lease.ttl_s / 3)
            try:
                await self.lease.acquire()
                self._outage.ok()
            except TransportError as exc:
                await self._outage.wait(exc)

    async def _commit(self, progress: Progress) -> None:
        """Persist the cursor whenever it moves (coalescing bursts)."""
        while True:
            await progress.moved.wait()
            progress.moved.clear()
            target = progress.cursor
            if target <= self._committed:
                continue
            try:
                await self.lease.advance(target)
            except TransportError as exc:
                progress.moved.set()
                await self._outage.wait(exc)
                continue
            self._outage.ok()
            self._committed = target
            self._metrics.cursor = target

    async def _handle(self, event: Event, progress: Progress, slots: asyncio.Semaphore) -> None:
        try:
            await self._handle_with_retries(event)
        finally:
            progress.finish(event.seq)
            self._metrics.in_flight = progress.in_flight
            slots.release()

    async def _handle_with_retries(self, event: Event) -> None:
        fields = {"seq": event.seq, "event": event.type, "record": event.record}
        failures = 0
        while True:
            try:
                await self._handler(event)
            except (TransportError, RetryableError) as exc:
                # PocketBase is away or overloaded: not this event's fault, wait it out.
                await self._outage.wait(exc)
                continue
            except Unauthorized as exc:
                await self._relogin(exc)
                continue
            except PermanentError as exc:
                self._record_failure(event, str(exc), fields)
                return
            except Exception as exc:
                failures += 1
                if failures >= self._settings.max_attempts:
                    self._record_failure(event, f"{type(exc).__name__}: {exc}", fields)
                    return
                self._metrics.event_retries += 1
                log.warning(
                    "event handler failed; retrying",
                    exc_info=True,
                    extra={**fields, "attempt": failures},
                )
                await asyncio.sleep(self._retry.delay(failures - 1, random.random()))
                continue
            self._outage.ok()
            lag_ms = _lag_ms(event)
            self._metrics.events_handled[event.type] += 1
            self._metrics.lag_seconds = lag_ms / 1000
            log.info("event handled", extra={**fields, "lag_ms": lag_ms})
            return

    def _record_failure(self, event: Event, error: str, fields: dict[str, object]) -> None:
        self._metrics.events_failed[event.type] += 1
        log.error("event failed; skipped", extra={**fields, "error": error})

    async def flush(self) -> None:
        """On shutdown (after `run` is cancelled): persist the cursor, then give the lease up so
        another process can take over at once. Best effort: the lease expires anyway."""
        try:
            if self._progress is not None and self._progress.cursor > self._committed:
                await self.lease.advance(self._progress.cursor)
            await self.lease.release()
        except (TransportError, LeaseLost):
            pass


def _first(group: BaseExceptionGroup[Unauthorized]) -> Unauthorized:
    error = group.exceptions[0]
    return _first(error) if isinstance(error, BaseExceptionGroup) else error


def _lag_ms(event: Event) -> float:
    if event.created is None:
        return 0.0
    return round((datetime.now(UTC) - event.created).total_seconds() * 1000, 1)
