"""The background senders: deliveries go out here, never in the outbox consumer's way.

`submit` hands over deliveries this process has claimed; `concurrency` workers send them
(`PushSender` bounds the requests at once), a timer brings retries back when their backoff is
over, and one flusher writes outcomes back to PocketBase in batches. A sweep renews this
process's claims every third of their lifetime and takes over deliveries nobody holds: those
of a sidecar that stopped or crashed, or of events recorded while this one was full, so pending
deliveries are resumed after a restart.

What a push service answers decides what happens to a delivery:

- 2xx: sent.
- 404, 410: the subscription is deleted (pruned).
- 429, 5xx, no answer within `timeout_s`: tried again after `Retry-After` (capped at
  `retry_max_s`) or an exponential backoff, up to `max_attempts`, then given up.
- 413, any other 4xx, 3xx (redirects are not followed): given up.

A delivery is also given up unsent when its endpoint is off the allowlist, its keys are
invalid, or it is older than its TTL. A crash between a push service's 2xx and the flush of
that outcome (`FLUSH_DELAY_S`) sends the delivery again later; the notification's `tag`
replaces the first one on the device, so the user sees it once.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Literal

from fieldsync import Backoff

from sidecar.push.config import PushConfig
from sidecar.push.deliveries import Delivery, DeliveryStore, Settlement
from sidecar.push.metrics import PushMetrics
from sidecar.push.sender import Outcome, PushSender, Result

log = logging.getLogger(__name__)

Prune = Callable[[str], Awaitable[None]]
"""Deletes a subscription by id (gone at the push service)."""

FLUSH_DELAY_S = 1.0
FLUSH_BATCH = 500
"""Outcomes are written back in batches: `FLUSH_BATCH` of them, or whatever there is
`FLUSH_DELAY_S` after the first (the window in which a crash sends a delivery again)."""
CLOSE_GRACE_S = 2.0
"""On close, requests in flight get this long to finish before they are cancelled."""


class Dispatcher:
    def __init__(
        self,
        config: PushConfig,
        store: DeliveryStore,
        sender: PushSender,
        metrics: PushMetrics,
        prune: Prune,
    ) -> None:
        self._config = config
        self._store = store
        self._sender = sender
        self._metrics = metrics
        self._prune = prune
        self._backoff = Backoff(initial=1.0, maximum=config.retry_max_s, jitter=0.5)
        self._ready: asyncio.Queue[Delivery] = asyncio.Queue()
        self._later: list[tuple[float, int, Delivery]] = []
        self._order = itertools.count()
        self._held: set[str] = set()
        self._results: list[Settlement] = []
        self._timer_wake = asyncio.Event()
        self._flush_wake = asyncio.Event()
        self._batch_full = asyncio.Event()
        self._sweep_wake = asyncio.Event()
        self._sending = 0
        self._idle = asyncio.Event()
        self._workers: list[asyncio.Task[None]] = []
        self._tasks: list[asyncio.Task[None]] = []
        metrics.queued = lambda: len(self._held)

    @property
    def room(self) -> int:
        """How many more deliveries this process takes into memory."""
        return max(0, self._config.max_held - len(self._held))

    def start(self) -> None:
        self._workers = [
            asyncio.create_task(self._work(), name=f"push-worker-{index}")
            for index in range(self._config.concurrency)
        ]
        self._tasks = [
            asyncio.create_task(self._run(self._timer, "timer"), name="push-timer"),
            asyncio.create_task(self._run(self._flusher, "flusher"), name="push-flusher"),
            asyncio.create_task(self._run(self._sweeper, "sweeper"), name="push-sweeper"),
        ]

    async def close(self) -> None:
        """Stop: let requests in flight finish (briefly), write outcomes back, and give the
        rest up to whichever process sweeps next."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._sending:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_GRACE_S):
                    await self._idle.wait()
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        try:
            async with asyncio.timeout(CLOSE_GRACE_S):
                await self._flush()
            async with asyncio.timeout(CLOSE_GRACE_S):
                await self._store.release()
        except Exception:
            log.warning("could not hand push deliveries back; they resume when claims lapse")

    def submit(self, deliveries: Iterable[Delivery]) -> None:
        """Send these deliveries (claimed by this process), each once however often given."""
        now = time.time()
        for delivery in deliveries:
            if delivery.id in self._held:
                continue
            self._held.add(delivery.id)
            if delivery.due > now:
                self._defer(delivery)
            else:
                self._ready.put_nowait(delivery)

    def sweep_soon(self) -> None:
        """Look for unclaimed deliveries now (some were recorded while this process was full)."""
        self._sweep_wake.set()

    # --- workers --------------------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            delivery = await self._ready.get()
            self._sending += 1
            self._idle.clear()
            try:
                await self._deliver(delivery)
            except Exception:
                log.exception("push delivery failed unexpectedly", extra={"delivery": delivery.id})
                self._held.discard(delivery.id)
            finally:
                self._sending -= 1
                if not self._sending:
                    self._idle.set()

    async def _deliver(self, delivery: Delivery) -> None:
        now = time.time()
        age = now - delivery.created
        if age >= self._config.ttl_s:
            self._finish(delivery, sent=False, error="expired before it was sent", reason="expired")
            return
        outcome = await self._sender.send(
            delivery.target, delivery.message, int(self._config.ttl_s - age)
        )
        delivery.attempts += 1
        fields = {"delivery": delivery.id, "seq": delivery.event, "status": outcome.status}
        if outcome.result is Result.SENT:
            self._metrics.sent += 1
            self._finish(delivery, sent=True)
        elif outcome.result is Result.GONE:
            await self._prune(delivery.target.subscription)
            self._metrics.pruned += 1
            self._held.discard(delivery.id)  # its row went with the subscription
            log.info("push subscription gone; deleted", extra=fields)
        elif outcome.result is Result.RETRY:
            self._retry(delivery, outcome, fields)
        else:
            log.warning("push refused; dropped", extra={**fields, "error": outcome.error})
            self._finish(delivery, sent=False, error=outcome.error, reason=outcome.reason)

    def _retry(self, delivery: Delivery, outcome: Outcome, fields: dict[str, object]) -> None:
        if delivery.attempts >= self._config.max_attempts:
            log.warning("push given up", extra={**fields, "error": outcome.error})
            error = f"gave up after {delivery.attempts} tries: {outcome.error}"
            self._finish(delivery, sent=False, error=error, reason="gave_up")
            return
        delay = outcome.retry_after
        if delay is None:
            delay = self._backoff.delay(delivery.attempts - 1, random.random())
        delivery.due = time.time() + min(delay, self._config.retry_max_s)
        self._metrics.retried += 1
        log.info("push to retry", extra={**fields, "error": outcome.error, "in_s": round(delay, 1)})
        self._note(
            Settlement(delivery.id, "pending", delivery.attempts, delivery.due, outcome.error)
        )
        self._defer(delivery)

    def _finish(self, delivery: Delivery, *, sent: bool, error: str = "", reason: str = "") -> None:
        if not sent:
            self._metrics.failed[reason] += 1
        # Still held until its outcome is written (`_flush`): until then its row says pending,
        # and the event handled again must not have it sent twice.
        status: Literal["sent", "failed"] = "sent" if sent else "failed"
        self._note(Settlement(delivery.id, status, delivery.attempts, error=error))

    def _note(self, settlement: Settlement) -> None:
        """Queue an outcome for the flusher."""
        self._results.append(settlement)
        self._flush_wake.set()
        if len(self._results) >= FLUSH_BATCH:
            self._batch_full.set()

    # --- background tasks -----------------------------------------------------------------------

    async def _run(self, loop: Callable[[], Awaitable[None]], name: str) -> None:
        """Keep a background loop going; an unexpected error is logged and the loop restarted."""
        while True:
            try:
                await loop()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("push %s failed; restarting it", name)
                await asyncio.sleep(1.0)

    def _defer(self, delivery: Delivery) -> None:
        heapq.heappush(self._later, (delivery.due, next(self._order), delivery))
        self._timer_wake.set()

    async def _timer(self) -> None:
        """Move deliveries whose backoff is over to the ready queue."""
        while True:
            self._timer_wake.clear()
            now = time.time()
            while self._later and self._later[0][0] <= now:
                self._ready.put_nowait(heapq.heappop(self._later)[2])
            timeout = self._later[0][0] - now if self._later else None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._timer_wake.wait()

    async def _flusher(self) -> None:
        while True:
            await self._flush_wake.wait()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FLUSH_DELAY_S):
                    await self._batch_full.wait()
            self._flush_wake.clear()
            self._batch_full.clear()
            await self._flush()

    async def _flush(self) -> None:
        while self._results:
            batch, self._results = self._results[:1000], self._results[1000:]
            await self._store.settle(batch)
            self._held.difference_update(
                settled.id for settled in batch if settled.status != "pending"
            )

    async def _sweeper(self) -> None:
        """Renew claims; take over deliveries nobody holds (at start: resume after a restart)."""
        while True:
            self._sweep_wake.clear()
            limit = min(self.room, 1000)
            claimed = await self._store.claim(limit)
            if claimed:
                log.info("push deliveries taken over", extra={"count": len(claimed)})
                self.submit(claimed)
            if len(claimed) == limit > 0:
                continue  # there may be more
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._config.claim_ttl_s / 3):
                    await self._sweep_wake.wait()
