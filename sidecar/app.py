"""The sidecar's Starlette app: routes, middleware and a lifespan that starts and stops the
outbox consumer, the hub and the thumbnail workers. Nothing happens at import.

The outbox has one reader, the consumer that holds the lease: it publishes every event to the
hub's bus and hands it to the handlers. With the in-process `LocalBus`, only the lease holder's
hub receives updates, so the hub is open exactly while this process holds the lease (a
standby process answers 503 and a proxy sends subscribers to the holder); a bus shared by
several processes (NATS) would keep every hub open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Sequence

from fieldsync import Event
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from sidecar import health
from sidecar.events import SCOPE_CLAIM, update_from_event
from sidecar.exchange import PrincipalResolver, TokenExchange
from sidecar.hub import Hub, HubConfig
from sidecar.metrics import Metrics
from sidecar.outbox.consumer import OutboxConsumer
from sidecar.outbox.handlers import EventHandlers
from sidecar.outbox.log import OutboxHistory, OutboxLog
from sidecar.session import SuperuserSession
from sidecar.settings import Settings
from sidecar.thumbs import ThumbnailWorker

log = logging.getLogger(__name__)


def hub_config(settings: Settings) -> HubConfig:
    return HubConfig(
        subscriber_key=settings.hub_subscriber_key.get_secret_value(),
        publisher_key=settings.hub_publisher_key.get_secret_value(),
        anonymous=settings.hub_anonymous,
        heartbeat_s=settings.hub_heartbeat_s,
        history_size=settings.hub_history_size,
        max_queue=settings.hub_max_queue,
        scope_claim=SCOPE_CLAIM,
    )


def create_app(settings: Settings) -> Starlette:
    metrics = Metrics()
    session = SuperuserSession(settings)
    outbox = OutboxLog(session)
    history = OutboxHistory(outbox)
    hub = Hub(hub_config(settings), history, history.append)
    exchange = TokenExchange(
        settings.hub_subscriber_key.get_secret_value(),
        PrincipalResolver(settings.pb_url),
        ttl_s=settings.hub_token_ttl_s,
        cookie_secure=settings.hub_cookie_secure,
    )
    thumbs = ThumbnailWorker(
        processes=settings.thumb_workers,
        long_edge=settings.thumb_long_edge,
        max_pixels=settings.thumb_max_megapixels * 1_000_000,
    )

    async def publish(events: Sequence[Event]) -> None:
        for event in events:
            try:
                update = update_from_event(event)
            except ValueError as exc:
                log.error(
                    "outbox event has no valid topics; not published",
                    extra={"seq": event.seq, "error": str(exc)},
                )
                continue
            await hub.dispatch(update)

    async def on_lease(held: bool) -> None:
        if held and not hub.is_open():
            await hub.start()
        elif not held:
            await hub.close()

    consumer = OutboxConsumer(
        session,
        outbox,
        EventHandlers(session, thumbs, metrics),
        publish,
        settings,
        metrics,
        on_lease,
    )
    metrics.gauges["hub_subscribers"] = lambda: hub.stats().subscribers
    metrics.gauges["hub_dropped_slow_total"] = lambda: hub.stats().dropped_slow

    async def follow() -> None:
        await session.login()
        await consumer.run()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await thumbs.start()
        task = asyncio.create_task(follow(), name="sidecar-follow")
        task.add_done_callback(_log_crash)
        log.info(
            "sidecar started", extra={"port": settings.http_port, "instance": settings.instance}
        )
        try:
            yield
        finally:
            await hub.close()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await consumer.flush()
            await thumbs.close()
            await session.aclose()
            log.info("sidecar stopped")

    app = Starlette(
        routes=[*health.routes(metrics, session.outage, hub), *exchange.routes(), *hub.routes()],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
                expose_headers=["Last-Event-ID"],
                allow_credentials=True,
            )
        ],
        lifespan=lifespan,
    )
    app.state.hub = hub
    return app


def _log_crash(task: asyncio.Task[None]) -> None:
    """A crash of the following task (e.g. PocketBase refusing the superuser's password) stops
    the whole process, so whatever supervises it sees the failure instead of an idle sidecar."""
    if not task.cancelled() and task.exception() is not None:
        log.critical("sidecar cannot go on; stopping", exc_info=task.exception())
        signal.raise_signal(signal.SIGTERM)
