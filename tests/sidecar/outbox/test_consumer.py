"""The outbox consumer in-process against a real PocketBase: ordering, cursor, bad events."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
from fieldsync import AsyncClient, Event, Unauthorized

from sidecar.metrics import Metrics
from sidecar.outbox.consumer import OutboxConsumer, Progress
from sidecar.outbox.outage import Outage
from sidecar.settings import Settings
from tests.support.pocketbase import PocketBaseProcess
from tests.support.sidecar import PUBLISHER_KEY, SUBSCRIBER_KEY
from tests.support.waiting import wait_until

EVENTS = "/api/collections/events/records"


def test_progress_moves_only_over_finished_prefix() -> None:
    progress = Progress(10)
    for seq in (11, 12, 13):
        progress.start(seq)
    progress.finish(13)
    assert progress.cursor == 10 and progress.in_flight == 3
    progress.finish(11)
    assert progress.cursor == 11
    progress.finish(12)
    assert progress.cursor == 13 and progress.in_flight == 0


@pytest.fixture
def settings(pocketbase: PocketBaseProcess) -> Settings:
    return Settings(
        pb_url=pocketbase.url,
        pb_superuser_email=pocketbase.superuser_email,
        pb_superuser_password=pocketbase.superuser_password,
        hub_subscriber_key=SUBSCRIBER_KEY,
        hub_publisher_key=PUBLISHER_KEY,
        consumer_name=f"test-{secrets.token_hex(4)}",
        max_attempts=2,
        poll_interval_s=30,
        lease_ttl_s=5,
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(settings.pb_url) as client:
        await client.auth.superuser(
            settings.pb_superuser_email, settings.pb_superuser_password.get_secret_value()
        )
        yield client


async def never_relogin(error: Unauthorized) -> None:
    raise AssertionError(f"unexpected 401: {error}")


async def test_a_failing_event_is_recorded_and_skipped(
    settings: Settings, client: AsyncClient, superuser: httpx.Client
) -> None:
    kind = f"test.{secrets.token_hex(3)}"
    seen: list[int] = []
    done = asyncio.Event()
    written: list[int] = []

    async def handler(event: Event) -> None:
        if not event.type.startswith(kind):
            return
        if event.type.endswith(".poison"):
            raise RuntimeError("bad data")
        seen.append(event.seq)
        if len(seen) == 2:
            done.set()

    metrics = Metrics()
    consumer = OutboxConsumer(client, handler, settings, metrics, Outage(), never_relogin)
    task = asyncio.create_task(consumer.run())
    try:
        # Written while the consumer runs: realtime wakes it (the safety poll is 30 s away).
        for suffix in (".ok", ".poison", ".ok"):
            response = superuser.post(EVENTS, json={"type": kind + suffix})
            response.raise_for_status()
            written.append(response.json()["seq"])
        await asyncio.wait_for(done.wait(), 20)
        await wait_until(lambda: metrics.events_failed[kind + ".poison"] == 1)
        await wait_until(lambda: metrics.cursor >= written[2])
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await consumer.flush()

    assert seen == [written[0], written[2]], "the stream went on past the bad event"
    assert metrics.events_failed[kind + ".poison"] == 1
    assert metrics.event_retries == 1, "retried max_attempts - 1 times"
    stored = superuser.get(
        "/api/collections/consumers/records",
        params={"filter": f'name = "{settings.consumer_name}"'},
    ).json()["items"][0]
    assert stored["cursor"] >= written[2]
    assert stored["holder"] == "", "the lease was given up on shutdown"


async def test_a_second_consumer_stands_by_while_the_first_holds_the_lease(
    settings: Settings, client: AsyncClient
) -> None:
    first = OutboxConsumer(client, _noop, settings, Metrics(), Outage(), never_relogin)
    second_metrics = Metrics()
    second = OutboxConsumer(
        client,
        _noop,
        settings.model_copy(update={"instance": "second"}),
        second_metrics,
        Outage(),
        never_relogin,
    )
    first_task = asyncio.create_task(first.run())
    try:
        await wait_until(lambda: first.lease.held)
        second_task = asyncio.create_task(second.run())
        await asyncio.sleep(0)  # let it try once
        await wait_until(lambda: second_task.done() or not second.lease.held, timeout=2)
        assert not second_metrics.holds_lease
        first_task.cancel()
        await asyncio.gather(first_task, return_exceptions=True)
        await first.flush()  # gives the lease up
        await wait_until(lambda: second_metrics.holds_lease, timeout=15)
    finally:
        for task in (first_task, locals().get("second_task")):
            if isinstance(task, asyncio.Task):
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await second.flush()


async def _noop(event: Event) -> None:
    return None
