"""The sidecar's Starlette app: routes, middleware and a lifespan that starts and stops the
outbox consumer, the hub, the thumbnail workers and the push senders. Nothing happens at
import.

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
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from sidecar import health
from sidecar.events import SCOPE_CLAIM, changed_user, hub_updates
from sidecar.exchange import PrincipalResolver, TokenExchange
from sidecar.hub import Hub, HubConfig
from sidecar.metrics import Metrics
from sidecar.outbox.consumer import OutboxConsumer
from sidecar.outbox.handlers import EventHandlers
from sidecar.outbox.log import OutboxHistory, OutboxLog
from sidecar.outbox.retention import keep_trimming
from sidecar.push import PushConfig, PushNotifier
from sidecar.ratelimit import RateLimiter
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
        max_connections_per_subscriber=settings.hub_max_connections_per_subscriber,
        max_connections_per_ip=settings.hub_max_connections_per_ip,
        scope_claim=SCOPE_CLAIM,
    )


def create_app(settings: Settings) -> Starlette:
    metrics = Metrics()
    session = SuperuserSession(settings)
    outbox = OutboxLog(session)
    history = OutboxHistory(outbox)
    hub = Hub(hub_config(settings), history, history.append)
    users = PrincipalResolver(session)
    exchange = TokenExchange(
        settings.hub_subscriber_key.get_secret_value(),
        users,
        RateLimiter(settings.hub_token_requests_per_minute, 60.0),
        ttl_s=settings.hub_token_ttl_s,
        public_https=settings.public_url.startswith("https://"),
    )
    push = PushNotifier(PushConfig.from_settings(settings), session, users)
    metrics.sections.append(push.metrics.render)
    thumbs = ThumbnailWorker(
        processes=settings.thumb_workers,
        long_edge=settings.thumb_long_edge,
        max_pixels=settings.thumb_max_megapixels * 1_000_000,
        max_memory_mb=settings.thumb_worker_memory_mb,
    )

    async def publish(events: Sequence[Event]) -> None:
        """Every event to the hub, in order: updates to fan out, user changes to act on."""
        for event in events:
            user = changed_user(event)
            if user is not None:
                users.forget(user)
                await hub.revoke(user)
            for update in hub_updates([event]):
                await hub.dispatch(update)

    async def on_lease(held: bool) -> None:
        if held and not hub.is_open():
            await hub.start()
        elif not held:
            await hub.close()

    consumer = OutboxConsumer(
        session,
        outbox,
        EventHandlers(session, thumbs, push, metrics),
        publish,
        settings,
        metrics,
        on_lease,
    )
    metrics.gauges["hub_subscribers"] = lambda: hub.stats().subscribers
    metrics.gauges["hub_dropped_slow_total"] = lambda: hub.stats().dropped_slow
    metrics.gauges["outbox_reads_total"] = lambda: outbox.reads

    async def follow() -> None:
        await session.login()
        await push.start()  # after the login: it resumes pending deliveries at once
        async with asyncio.TaskGroup() as group:
            group.create_task(consumer.run(), name="outbox-consumer")
            group.create_task(
                keep_trimming(
                    outbox, settings.outbox_retention_days, settings.outbox_trim_interval_s
                ),
                name="outbox-retention",
            )

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
            await push.close()
            await session.aclose()
            log.info("sidecar stopped")

    app = Starlette(
        routes=[
            *health.routes(metrics, session.outage, hub, _secret(settings.metrics_token)),
            *exchange.routes(),
            *push.routes(),
            *hub.routes(),
        ],
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


def _secret(value: SecretStr | None) -> str | None:
    return None if value is None else value.get_secret_value()


def _log_crash(task: asyncio.Task[None]) -> None:
    """A crash of the following task (e.g. PocketBase refusing the superuser's password) stops
    the whole process, so whatever supervises it sees the failure instead of an idle sidecar."""
    if not task.cancelled() and task.exception() is not None:
        log.critical("sidecar cannot go on; stopping", exc_info=task.exception())
        signal.raise_signal(signal.SIGTERM)
