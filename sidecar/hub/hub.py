"""The Mercure hub facade: routes for the app, `dispatch` for the outbox consumer.

Routes (Mercure 0.x):
- `GET  /.well-known/mercure`                      subscribe (SSE)
- `POST /.well-known/mercure`                      publish (to the durable log, via `append`)
- `GET  /.well-known/mercure/subscriptions[...]`   subscriptions (of the caller's scope)

Subscribers' comings and goings are published as Mercure subscription events (`presence`).

`close()` ends every stream with its final chunk. uvicorn runs the lifespan shutdown only once
connections are closed, so call it when shutdown begins (see the sidecar's entry point).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from starlette.routing import BaseRoute, Route

from sidecar.hub.bus import Bus, LocalBus
from sidecar.hub.config import HubConfig
from sidecar.hub.history import DurableLog, History
from sidecar.hub.presence import PATH as SUBSCRIPTIONS_PATH
from sidecar.hub.presence import Presence
from sidecar.hub.publish import Append, PublishEndpoint
from sidecar.hub.subscribe import SubscribeEndpoint
from sidecar.hub.subscribers import Counters, Registry, Subscriber
from sidecar.hub.subscriptions import SubscriptionsEndpoint
from sidecar.hub.tokens import HUB_PATH
from sidecar.hub.updates import Update

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HubStats:
    """A snapshot for /metrics."""

    subscribers: int
    groups: int
    updates_dispatched: int
    dropped_slow: int


class _Receiver:
    """What this process does with what the bus brings."""

    def __init__(self, history: History, registry: Registry) -> None:
        self._history = history
        self._registry = registry

    def deliver(self, update: Update) -> None:
        self._history.remember(update)
        self._registry.deliver(update)

    def revoke(self, subject: str, issued_before: float) -> None:
        self._registry.revoke(subject, issued_before)


class Hub:
    """The hub: `routes()` for the app, `dispatch()` for the outbox consumer, `start()` and
    `close()` for the lifespan, `stats()` for /metrics.

    `append(draft)` stores a published update durably and returns it with its seq (the
    outbox consumer dispatches it later). `bus` defaults to the in-process `LocalBus`.
    """

    def __init__(
        self,
        config: HubConfig,
        durable_log: DurableLog,
        append: Append,
        bus: Bus | None = None,
    ) -> None:
        self._config = config
        self._log = durable_log
        self._counters = Counters()
        self._registry = Registry(self._counters, max_queue=config.max_queue)
        self._history = History(durable_log, size=config.history_size, page=config.history_page)
        self._bus: Bus = bus or LocalBus()
        self._presence = Presence(scoped=config.scope_claim is not None)
        self._subscribe = SubscribeEndpoint(
            config, self._registry, self._history, self.is_open, self._announce
        )
        self._publish = PublishEndpoint(config, append)
        self._subscriptions = SubscriptionsEndpoint(config, self._registry, self._presence)
        self._tasks: list[asyncio.Task[None]] = []
        self._announcing: set[asyncio.Task[None]] = set()
        self._open = False

    def routes(self) -> list[BaseRoute]:
        return [
            Route(HUB_PATH, self._subscribe, methods=["GET"], name="mercure_subscribe"),
            Route(HUB_PATH, self._publish.handle, methods=["POST"], name="mercure_publish"),
            Route(SUBSCRIPTIONS_PATH, self._subscriptions.handle, name="mercure_subscriptions"),
            Route(f"{SUBSCRIPTIONS_PATH}/{{rest:path}}", self._subscriptions.handle),
        ]

    def is_open(self) -> bool:
        return self._open

    async def start(self) -> None:
        """Start after the log's newest update: earlier ones are served from the log."""
        _, newest = await self._log.bounds()
        self._history.start(newest)
        self._registry.last_seq = newest
        await self._bus.start(_Receiver(self._history, self._registry))
        self._tasks = [
            asyncio.create_task(self._registry.pump(), name="mercure-pump"),
            asyncio.create_task(self._beat(), name="mercure-heartbeat"),
        ]
        self._open = True
        logger.info("hub started", extra={"seq": newest})

    async def dispatch(self, update: Update) -> None:
        """Fan `update` out to every hub process (called in seq order); does not wait for it.
        A closed hub drops it: its subscribers replay from the durable log when they return."""
        if self._open:
            await self._bus.publish(update)

    def _announce(self, subscriber: Subscriber, connected: bool) -> None:
        """Publish a subscriber's coming or going (Mercure subscription events) to every hub
        process; see `presence`."""
        presence = self._presence
        updates = presence.connected(subscriber) if connected else presence.disconnected(subscriber)
        if self._open:
            for update in updates:
                self._announcing.add(task := asyncio.create_task(self._bus.publish(update)))
                task.add_done_callback(self._announcing.discard)

    async def revoke(self, subject: str) -> None:
        """Void the tokens of `subject` issued until now, in every hub process: its streams
        end at once and those tokens are refused (the rights behind them changed)."""
        if self._open:
            await self._bus.revoke(subject, time.time())

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self._config.heartbeat_s)
            try:
                await self._registry.heartbeat()
            except Exception:
                logger.exception("heartbeat failed")

    async def close(self) -> None:
        """Refuse new subscribers, end every stream cleanly and wait (bounded) for them."""
        self._open = False
        await self._bus.close()
        subscribers = list(self._registry)
        for subscriber in subscribers:
            subscriber.close("shutdown")
        try:
            async with asyncio.timeout(self._config.close_timeout_s):
                await self._registry.wait_empty()
        except TimeoutError:
            logger.warning(
                "streams still open at close", extra={"subscribers": len(self._registry)}
            )
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        logger.info("hub closed", extra={"subscribers": len(subscribers)})

    def stats(self) -> HubStats:
        return HubStats(
            subscribers=len(self._registry),
            groups=self._registry.groups,
            updates_dispatched=self._counters.dispatched,
            dropped_slow=self._counters.dropped_slow,
        )
