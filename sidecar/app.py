"""The sidecar's Starlette app: routes, middleware and a lifespan that starts and stops the
outbox consumer, the hub and its feed, and the thumbnail workers. Nothing happens at import."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from sidecar import health
from sidecar.hub.config import HubConfig
from sidecar.hub.hub import Hub
from sidecar.metrics import Metrics
from sidecar.outbox.consumer import OutboxConsumer
from sidecar.outbox.handlers import EventHandlers
from sidecar.outbox.hub_feed import feed_hub, start_hub
from sidecar.outbox.log import OutboxLog
from sidecar.outbox.outage import Outage
from sidecar.principals import PrincipalResolver
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
        token_ttl_s=settings.hub_token_ttl_s,
        cookie_secure=settings.hub_cookie_secure,
    )


def create_app(settings: Settings) -> Starlette:
    metrics = Metrics()
    outage = Outage()
    session = SuperuserSession(settings, outage)
    client = session.client
    outbox = OutboxLog(client)
    hub = Hub(hub_config(settings), outbox, outbox.append, PrincipalResolver(settings.pb_url))
    thumbs = ThumbnailWorker(
        processes=settings.thumb_workers,
        long_edge=settings.thumb_long_edge,
        max_pixels=settings.thumb_max_megapixels * 1_000_000,
    )
    consumer = OutboxConsumer(
        client, EventHandlers(client, thumbs, metrics), settings, metrics, outage, session.recover
    )
    metrics.gauges["hub_subscribers"] = lambda: hub.stats().subscribers
    metrics.gauges["hub_dropped_slow_total"] = lambda: hub.stats().dropped_slow

    async def follow() -> None:
        await session.login()
        head = await start_hub(hub, outbox, outage)
        async with asyncio.TaskGroup() as group:
            group.create_task(
                feed_hub(client, hub, head, settings, metrics, outage, session.recover),
                name="hub-feed",
            )
            group.create_task(consumer.run(), name="outbox-consumer")

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
        routes=[*health.routes(metrics, outage, hub), *hub.routes()],
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
