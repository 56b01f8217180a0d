"""Feeds the hub: follows the outbox from its head and dispatches every event as an update.

No lease and no cursor: every hub process may run one (subscribers that were away replay
from the outbox itself with `Last-Event-ID`).
"""

from __future__ import annotations

import asyncio
import logging

from fieldsync import AsyncClient, Event, TransportError, Unauthorized

from sidecar.hub.hub import Hub
from sidecar.metrics import Metrics
from sidecar.outbox.consumer import Relogin
from sidecar.outbox.follower import OutboxFollower
from sidecar.outbox.log import OutboxLog, update_from_event
from sidecar.outbox.outage import Outage
from sidecar.settings import Settings

log = logging.getLogger(__name__)


async def start_hub(hub: Hub, outbox: OutboxLog, outage: Outage) -> int:
    """Open the hub once PocketBase answers; returns the outbox head the feed starts after."""
    while True:
        try:
            head = await outbox.newest()
            await hub.start()
        except TransportError as exc:
            await outage.wait(exc)
            continue
        outage.ok()
        return head


async def feed_hub(
    client: AsyncClient,
    hub: Hub,
    after: int,
    settings: Settings,
    metrics: Metrics,
    outage: Outage,
    relogin: Relogin,
) -> None:
    """Dispatch every event after `after` to the hub, in order, for as long as it runs."""
    while True:
        follower = OutboxFollower(
            client,
            outage,
            after=after,
            batch_size=settings.batch_size,
            poll_interval_s=settings.poll_interval_s,
        )
        try:
            async for batch in follower.batches():
                for event in batch:
                    await _dispatch(hub, event)
                    after = event.seq
                    metrics.hub_dispatched += 1
        except Unauthorized as exc:
            await relogin(exc)
        except Exception:
            log.exception("hub feed failed; resuming", extra={"seq": after})
            await asyncio.sleep(1.0)


async def _dispatch(hub: Hub, event: Event) -> None:
    try:
        update = update_from_event(event)
    except ValueError as exc:
        log.error(
            "outbox event has no valid topics; not published",
            extra={"seq": event.seq, "error": str(exc)},
        )
        return
    await hub.dispatch(update)
