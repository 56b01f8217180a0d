"""The outbox consumer: the one reader of the outbox, and every event handled, in effect once.

One process among several holds the consumer's lease. The holder follows the outbox from its
persisted cursor (`OutboxFollower`), publishes every event at once, in order, to the hub's bus
(`publish`: every hub process fans it out), and hands it to the handlers (thumbnails...).

Handling never holds up publishing: events wait for a handler in a bounded `Backlog`, and
when that is full the follower keeps reading and publishing while the backlog reads the
overflow back from the outbox later. Events are handled concurrently but the persisted cursor
only moves to the highest sequence below which everything is done, so `kill -9` at any moment
loses nothing: the next holder resumes from the cursor and the idempotent handlers skip what
was already done.

Outages of PocketBase are waited out by the superuser session. A handler's 4xx (a record gone,
a write refused) cannot get better by retrying: the event is recorded as failed and skipped.
Any other exception is retried `max_attempts` times, then recorded and skipped, so one bad
event never stops the stream.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from fieldsync import ApiError, Backoff, Event

from sidecar.metrics import Metrics
from sidecar.outbox.cursor import ConsumerLease, LeaseLost
from sidecar.outbox.follower import OutboxFollower
from sidecar.outbox.log import OutboxLog
from sidecar.session import SuperuserSession
from sidecar.settings import Settings

log = logging.getLogger(__name__)

Handler = Callable[[Event], Awaitable[None]]
Publish = Callable[[Sequence[Event]], Awaitable[None]]
"""Hands a batch of events, in seq order, to the hub's bus (returns without waiting for it)."""
LeaseChange = Callable[[bool], Awaitable[None]]
"""Told True when this process takes the lease, False when it loses it."""

FLUSH_TIMEOUT_S = 2.0
BACKLOG_BATCHES = 20
"""Batches of events kept in memory waiting for a handler; beyond, they are read back later."""


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


class Backlog:
    """Events waiting for a handler, in seq order, at most `window` of them in memory.

    `offer` never blocks the follower: what does not fit is dropped and remembered as a range
    (`_accepted` < seq <= `_offered`) that `next` reads back from the outbox once the events in
    memory are taken.
    """

    def __init__(self, log: OutboxLog, *, after: int, window: int, page: int) -> None:
        self._log = log
        self._window = window
        self._page = page
        self._events: deque[Event] = deque()
        self._accepted = after
        """The newest seq that was put in memory (or handed out)."""
        self._offered = after
        """The newest seq offered."""
        self._arrived = asyncio.Event()

    def offer(self, batch: Sequence[Event]) -> None:
        if not batch:
            return
        self._offered = batch[-1].seq
        if self._accepted == batch[0].seq - 1 and len(self._events) < self._window:
            self._events.extend(batch)
            self._accepted = self._offered
        self._arrived.set()

    async def next(self) -> Event:
        """The next event to handle."""
        while not self._events:
            if self._accepted < self._offered:
                page = await self._log.read_after(self._accepted, self._page)
                self._events.extend(event for event in page if event.seq <= self._offered)
                # Nothing left to read up to `_offered` means it was trimmed meanwhile.
                self._accepted = self._events[-1].seq if self._events else self._offered
                continue
            self._arrived.clear()
            await self._arrived.wait()
        return self._events.popleft()


class OutboxConsumer:
    def __init__(
        self,
        session: SuperuserSession,
        log: OutboxLog,
        handler: Handler,
        publish: Publish,
        settings: Settings,
        metrics: Metrics,
        on_lease: LeaseChange,
    ) -> None:
        self._session = session
        self._log = log
        self._handler = handler
        self._publish = publish
        self._settings = settings
        self._metrics = metrics
        self._on_lease = on_lease
        self.lease = ConsumerLease(
            session,
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
                if not standby_logged:
                    log.info("another process holds the outbox consumer; standing by")
                    standby_logged = True
                await asyncio.sleep(self.lease.ttl_s / 3)
                continue
            standby_logged = False
            if not self._metrics.holds_lease:
                self._metrics.holds_lease = True
                log.info(
                    "holding the outbox consumer",
                    extra={"cursor": cursor, "holder": self.lease.holder},
                )
                await self._on_lease(True)
            failed = False
            try:
                await self._consume(cursor)
            except* LeaseLost:
                self._metrics.holds_lease = False
                log.warning("lost the outbox consumer lease; standing by")
                await self._on_lease(False)
            except* Exception:
                # Anything else (a 4xx reading the outbox...): start over from the cursor.
                log.exception("outbox consumer failed; resuming from the persisted cursor")
                failed = True
            # A cancel (the process stopping) that arrives while a task of the group fails is
            # folded into the group's error (Python 3.11): honour it rather than loop on and
            # take the lease again.
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise asyncio.CancelledError
            if failed:
                await asyncio.sleep(self._retry.delay(0, random.random()))

    async def _consume(self, cursor: int) -> None:
        settings = self._settings
        progress = self._progress = Progress(cursor)
        self._committed = cursor
        self._metrics.cursor = cursor
        follower = OutboxFollower(
            self._log,
            self._session.outage,
            after=cursor,
            batch_size=settings.batch_size,
            poll_interval_s=settings.poll_interval_s,
        )
        backlog = Backlog(
            self._log,
            after=cursor,
            window=BACKLOG_BATCHES * settings.batch_size,
            page=settings.batch_size,
        )
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._keep_lease(), name="outbox-lease")
                group.create_task(self._commit(progress), name="outbox-commit")
                group.create_task(self._dispatch(backlog, progress, group), name="outbox-work")
                async for batch in follower.batches():
                    self._metrics.head_seq = follower.head_seq
                    await self._publish(batch)
                    self._metrics.hub_dispatched += len(batch)
                    backlog.offer(batch)
        finally:
            self._metrics.in_flight = 0

    async def _dispatch(
        self, backlog: Backlog, progress: Progress, group: asyncio.TaskGroup
    ) -> None:
        """Start a handler for each event in order, at most `concurrency` at once."""
        slots = asyncio.Semaphore(self._settings.concurrency)
        while True:
            event = await backlog.next()
            await slots.acquire()
            progress.start(event.seq)
            self._metrics.in_flight = progress.in_flight
            group.create_task(self._handle(event, progress, slots))

    async def _keep_lease(self) -> None:
        while True:
            await asyncio.sleep(self.lease.ttl_s / 3)
            await self.lease.acquire()

    async def _commit(self, progress: Progress) -> None:
        """Persist the cursor whenever it moves (coalescing bursts)."""
        while True:
            await progress.moved.wait()
            progress.moved.clear()
            target = progress.cursor
            if target <= self._committed:
                continue
            await self.lease.advance(target)
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
            except ApiError as exc:
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
        another process can take over at once. Best effort and brief: the lease expires anyway."""
        try:
            async with asyncio.timeout(FLUSH_TIMEOUT_S):
                if self._progress is not None and self._progress.cursor > self._committed:
                    await self.lease.advance(self._progress.cursor)
                await self.lease.release()
        except (TimeoutError, LeaseLost, ApiError):
            log.info("could not hand the outbox consumer over at shutdown")


def _lag_ms(event: Event) -> float:
    if event.created is None:
        return 0.0
    return round((datetime.now(UTC) - event.created).total_seconds() * 1000, 1)
