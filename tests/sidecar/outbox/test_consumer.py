"""The outbox consumer in-process against a real PocketBase: ordering, cursor, bad events."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import httpx
import pytest
from fieldsync import Event

from sidecar.metrics import Metrics
from sidecar.outbox.consumer import Backlog, OutboxConsumer, Progress
from sidecar.outbox.log import OutboxLog
from sidecar.session import SuperuserSession
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
async def session(settings: Settings) -> AsyncIterator[SuperuserSession]:
    session = SuperuserSession(settings)
    await session.login()
    yield session
    await session.aclose()


def make_consumer(
    session: SuperuserSession,
    settings: Settings,
    metrics: Metrics,
    handler: Callable[[Event], Awaitable[None]],
    published: list[int] | None = None,
) -> OutboxConsumer:
    async def publish(events: Sequence[Event]) -> None:
        if published is not None:
            published.extend(event.seq for event in events)

    async def on_lease(held: bool) -> None:
        return None

    return OutboxConsumer(
        session, OutboxLog(session), handler, publish, settings, metrics, on_lease
    )


async def test_a_failing_event_is_recorded_and_skipped(
    settings: Settings, session: SuperuserSession, superuser: httpx.Client
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
    published: list[int] = []
    consumer = make_consumer(session, settings, metrics, handler, published)
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
    assert [seq for seq in published if seq in written] == written, "each published once, in order"
    assert metrics.events_failed[kind + ".poison"] == 1
    assert metrics.event_retries == 1, "retried max_attempts - 1 times"
    stored = superuser.get(
        "/api/collections/consumers/records",
        params={"filter": f'name = "{settings.consumer_name}"'},
    ).json()["items"][0]
    assert stored["cursor"] >= written[2]
    assert stored["holder"] == "", "the lease was given up on shutdown"


async def test_a_second_consumer_stands_by_while_the_first_holds_the_lease(
    settings: Settings, session: SuperuserSession
) -> None:
    first = make_consumer(session, settings, Metrics(), _noop)
    second_metrics = Metrics()
    second = make_consumer(
        session, settings.model_copy(update={"instance": "second"}), second_metrics, _noop
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


async def test_backlog_overflow_is_read_back_in_order(
    session: SuperuserSession, superuser: httpx.Client
) -> None:
    """Handling never holds the follower up: what does not fit the window is dropped from
    memory and read back from the outbox, in order, with nothing lost or repeated."""
    kind = f"test.{secrets.token_hex(3)}"
    written = []
    for _ in range(7):
        response = superuser.post(EVENTS, json={"type": kind})
        response.raise_for_status()
        written.append(response.json()["seq"])
    log = OutboxLog(session)
    events = await log.read_after(written[0] - 1, 7)
    assert [event.seq for event in events] == written, "no other writer in between"
    backlog = Backlog(log, after=written[0] - 1, window=2, page=3)
    backlog.offer(events[:2])
    backlog.offer(events[2:5])  # does not fit: remembered as a range
    backlog.offer(events[5:])
    taken = [(await backlog.next()).seq for _ in range(7)]
    assert taken == written
    backlog.offer([])
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await backlog.next()


async def test_cancel_ends_a_consumer_whose_publish_keeps_failing(
    settings: Settings, session: SuperuserSession, superuser: httpx.Client
) -> None:
    """Shutdown cancels the consumer while a batch fails: the cancel is honoured, not folded
    into the failure and retried forever (which kept a stopping sidecar holding the lease)."""
    failures = asyncio.Event()

    async def publish(events: Sequence[Event]) -> None:
        failures.set()
        raise RuntimeError("the bus is gone")

    async def on_lease(held: bool) -> None:
        return None

    consumer = OutboxConsumer(
        session, OutboxLog(session), _noop, publish, settings, Metrics(), on_lease
    )
    superuser.post(EVENTS, json={"type": "test.cancel"}).raise_for_status()
    task = asyncio.create_task(consumer.run())
    await asyncio.wait_for(failures.wait(), 20)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=5)
    assert done, "the consumer did not stop when cancelled"
    await consumer.flush()
