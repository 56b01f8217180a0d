"""Realtime: typed events, rules and filters applied, timeouts, and reconnecting by itself.

Every wait has a deadline (`max_idle`): a missing event fails the test instead of hanging it.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from fieldsync import (
    AsyncClient,
    Backoff,
    Job,
    RealtimeAction,
    SubscriptionTimeout,
    build_filter,
)

from ..samples import jpeg
from .transports import DroppingTransport

DEADLINE = 10.0
FAST = Backoff(initial=0.01, maximum=0.05)


async def test_subscriber_receives_typed_create_update_delete(
    office_a: AsyncClient, team_a: Any
) -> None:
    async with office_a.jobs.subscribe(max_idle=DEADLINE) as events:
        job = await office_a.jobs.create(Job(team=team_a.id, title="Fresh job"))
        created = await events.next()
        await office_a.jobs.update(job, {"title": "Renamed job"})
        updated = await events.next()
        await office_a.jobs.delete(job)
        deleted = await events.next()

    assert created.action is RealtimeAction.CREATE
    assert isinstance(created.record, Job)
    assert created.record == job
    assert (updated.action, updated.record.title) == (RealtimeAction.UPDATE, "Renamed job")
    assert (deleted.action, deleted.record.id) == (RealtimeAction.DELETE, job.id)
    assert events.connects == 1


async def test_another_teams_changes_are_not_delivered(
    office_a: AsyncClient, office_b: AsyncClient, team_a: Any, team_b: Any
) -> None:
    async with office_a.jobs.subscribe(max_idle=DEADLINE) as events:
        await office_b.jobs.create(Job(team=team_b.id, title="Team B's secret"))
        mine = await office_a.jobs.create(Job(team=team_a.id, title="Team A's job"))
        first = await events.next()

    assert first.record.id == mine.id


async def test_filter_and_record_topics(office_a: AsyncClient, team_a: Any, job_a: Job) -> None:
    only_urgent = office_a.jobs.subscribe(
        filter=build_filter("title = {:t}", t="Urgent"), max_idle=DEADLINE
    )
    only_job_a = office_a.jobs.subscribe(job_a.id, max_idle=DEADLINE)
    async with only_urgent, only_job_a:
        await office_a.jobs.create(Job(team=team_a.id, title="Routine"))
        urgent = await office_a.jobs.create(Job(team=team_a.id, title="Urgent"))
        await office_a.jobs.update(job_a, {"customer": "changed"})

        assert (await only_urgent.next()).record.id == urgent.id
        event = await only_job_a.next()

    assert (event.action, event.record.id, event.record.customer) == (
        RealtimeAction.UPDATE,
        job_a.id,
        "changed",
    )


async def test_several_subscriptions_on_one_client(
    office_a: AsyncClient, team_a: Any, job_a: Job
) -> None:
    jobs = office_a.jobs.subscribe(max_idle=DEADLINE)
    photos = office_a.realtime.subscribe("photos", max_idle=DEADLINE)
    async with jobs, photos:
        created = await office_a.jobs.create(Job(team=team_a.id, title="Two listeners"))
        photo = await office_a.photos.upload(job_a, jpeg())

        assert (await jobs.next()).record.id == created.id
        photo_event = await photos.next()

    assert photo_event.record.id == photo.id
    assert type(photo_event.record).__name__ == "Photo"


async def test_iteration(office_a: AsyncClient, team_a: Any) -> None:
    titles = []
    async with office_a.jobs.subscribe(max_idle=DEADLINE) as events:
        for title in ("one", "two"):
            await office_a.jobs.create(Job(team=team_a.id, title=title))
        async for event in events:
            titles.append(event.record.title)
            if len(titles) == 2:
                break

    assert titles == ["one", "two"]


async def test_max_idle_raises_instead_of_waiting_forever(office_a: AsyncClient) -> None:
    async with office_a.jobs.subscribe(
        filter=build_filter("title = {:t}", t="never"), max_idle=0.3
    ) as events:
        started = time.monotonic()
        with pytest.raises(SubscriptionTimeout):
            await events.next()

    assert 0.3 <= time.monotonic() - started < DEADLINE


@pytest.mark.parametrize("clean", [False, True], ids=["dropped", "closed"])
async def test_reconnects_and_resubscribes_after_the_stream_ends(
    pocketbase: Any, team_a: Any, clean: bool
) -> None:
    def create_job_once_resubscribed(subscribes: int) -> None:
        if subscribes == 2:
            response = httpx.post(
                f"{pocketbase.url}/api/collections/jobs/records",
                headers={"Authorization": team_a.office.token},
                json={"team": team_a.id, "title": "after reconnect"},
            )
            response.raise_for_status()

    transport = DroppingTransport(on_subscribe=create_job_once_resubscribed)
    async with AsyncClient(pocketbase.url, transport=transport) as client:
        await client.auth.with_password(team_a.office.email, team_a.office.password)
        async with client.jobs.subscribe(max_idle=DEADLINE, backoff=FAST) as events:
            await client.jobs.create(Job(team=team_a.id, title="before"))
            assert (await events.next()).record.title == "before"
            first_client_id = events.client_id

            transport.cut(clean=clean)
            after = await events.next()

    assert after.record.title == "after reconnect"
    assert events.connects == 2
    assert events.client_id != first_client_id


async def test_server_down_ends_in_timeout_not_a_hang() -> None:
    async with AsyncClient("http://127.0.0.1:9", timeout=1.0) as client:
        events = client.jobs.subscribe(max_idle=0.5, backoff=FAST)
        with pytest.raises(SubscriptionTimeout):
            await events.next()
        await events.aclose()
