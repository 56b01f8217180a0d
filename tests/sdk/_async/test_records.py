"""CRUD round trips, lists, filters and typed errors against the real PocketBase."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import pytest
from fieldsync import (
    AsyncClient,
    BadRequest,
    Consumer,
    Event,
    Forbidden,
    Job,
    JobStatus,
    NotFound,
    Record,
    build_filter,
)


async def test_create_get_update_delete_round_trip(office_a: AsyncClient, team_a: Any) -> None:
    due = datetime(2026, 12, 1, 9, 30, 15, 250000, tzinfo=UTC)
    job = await office_a.jobs.create(
        Job(team=team_a.id, title="Replace the boiler", customer="Ms Smith", due=due)
    )

    assert isinstance(job, Job)
    assert len(job.id) == 15
    assert job.collection_name == "jobs"
    assert job.status is JobStatus.NEW  # the server's default
    assert job.created_by == team_a.office.id  # set by the server from the auth
    assert job.assignee is None  # "" on the wire
    assert job.due == due
    assert job.created is not None and job.created.tzinfo is not None

    assert await office_a.jobs.get(job.id) == job

    assigned = await office_a.jobs.update(
        job, {"status": JobStatus.ASSIGNED, "assignee": team_a.field.id}
    )
    assert assigned.status is JobStatus.ASSIGNED
    assert assigned.assignee == team_a.field.id
    assert assigned.updated is not None and job.updated is not None
    assert assigned.updated >= job.updated

    cleared = await office_a.jobs.update(job.id, Job(due=None, customer="Mr Smith"))
    assert cleared.due is None
    assert cleared.customer == "Mr Smith"
    assert cleared.title == "Replace the boiler"

    await office_a.jobs.delete(cleared)
    with pytest.raises(NotFound):
        await office_a.jobs.get(job.id)


async def test_list_filter_sort_and_pages(office_a: AsyncClient, team_a: Any) -> None:
    tag = secrets.token_hex(6)
    titles = [f"job {n}" for n in (3, 1, 4, 5, 2)]
    for title in titles:
        await office_a.jobs.create({"team": team_a.id, "title": title, "customer": tag})
    only_tag = build_filter("customer = {:tag}", tag=tag)

    first = await office_a.jobs.list(1, 2, filter=only_tag, sort="title")
    assert (first.page, first.per_page, first.total_items, first.total_pages) == (1, 2, 5, 3)
    assert [job.title for job in first.items] == ["job 1", "job 2"]
    last = await office_a.jobs.list(3, 2, filter=only_tag, sort="title")
    assert [job.title for job in last.items] == ["job 5"]

    newest = await office_a.jobs.list(filter=only_tag, sort="-title", skip_total=True)
    assert newest.total_items == -1
    assert [job.title for job in newest.items] == sorted(titles, reverse=True)

    iterated = [
        job.title async for job in office_a.jobs.iterate(filter=only_tag, sort="title", batch=2)
    ]
    assert iterated == sorted(titles)
    assert [job.title for job in await office_a.jobs.all(filter=only_tag, sort="title")] == sorted(
        titles
    )

    first_match = await office_a.jobs.first(only_tag, sort="-title")
    assert first_match.title == "job 5"


async def test_first_without_a_match_is_not_found(office_a: AsyncClient) -> None:
    with pytest.raises(NotFound):
        await office_a.jobs.first(build_filter("title = {:t}", t=secrets.token_hex(8)))


@pytest.mark.parametrize(
    "title",
    [
        'He said "hi"',
        "it's O'Brien's",
        "back\\slash\\",
        "line\nbreak",
        "{:tag} && id != ''",
        '" || title != "',
    ],
)
async def test_filter_values_are_escaped(office_a: AsyncClient, team_a: Any, title: str) -> None:
    tag = secrets.token_hex(6)
    await office_a.jobs.create({"team": team_a.id, "title": title, "customer": tag})
    await office_a.jobs.create({"team": team_a.id, "title": "decoy", "customer": tag})

    found = await office_a.jobs.list(
        filter=build_filter("customer = {:tag} && title = {:title}", tag=tag, title=title)
    )

    assert [job.title for job in found.items] == [title]


async def test_fields_and_expand(office_a: AsyncClient, job_a: Job, team_a: Any) -> None:
    partial = await office_a.jobs.get(job_a.id, fields="id,title")
    assert (partial.id, partial.title, partial.customer) == (job_a.id, job_a.title, "")

    expanded = await office_a.jobs.get(job_a.id, expand="created_by")
    assert expanded.expand["created_by"]["id"] == team_a.office.id


async def test_any_collection_without_a_model(office_a: AsyncClient, job_a: Job) -> None:
    record = await office_a.records("jobs").get(job_a.id)

    assert type(record) is Record
    assert record.model_extra is not None
    assert record.model_extra["title"] == job_a.title


async def test_not_found_carries_status_message_and_url(office_a: AsyncClient) -> None:
    with pytest.raises(NotFound) as caught:
        await office_a.jobs.get("doesnotexist123")

    assert caught.value.status == 404
    assert caught.value.message
    assert caught.value.url.endswith("/api/collections/jobs/records/doesnotexist123")


async def test_invalid_create_is_bad_request_with_field_data(
    office_a: AsyncClient, team_a: Any
) -> None:
    with pytest.raises(BadRequest) as caught:
        await office_a.jobs.create({"team": team_a.id, "title": ""})

    assert caught.value.status == 400
    assert caught.value.field_codes == {"title": "validation_required"}


async def test_superuser_only_collection_is_forbidden(office_a: AsyncClient) -> None:
    with pytest.raises(Forbidden) as caught:
        await office_a.events.list()
    assert caught.value.status == 403


async def test_another_teams_record_is_not_found(office_b: AsyncClient, job_a: Job) -> None:
    with pytest.raises(NotFound):
        await office_b.jobs.get(job_a.id)
    with pytest.raises(NotFound):
        await office_b.jobs.update(job_a, {"title": "taken over"})


async def test_field_worker_cannot_create_jobs(field_a: AsyncClient, team_a: Any) -> None:
    with pytest.raises(BadRequest):
        await field_a.jobs.create({"team": team_a.id, "title": "not mine to make"})


async def test_client_chosen_id_reused_is_bad_request_on_id(
    office_a: AsyncClient, team_a: Any
) -> None:
    record_id = secrets.token_hex(8)[:15].ljust(15, "0")
    created = await office_a.jobs.create({"id": record_id, "team": team_a.id, "title": "first"})
    assert created.id == record_id

    with pytest.raises(BadRequest) as caught:
        await office_a.jobs.create({"id": record_id, "team": team_a.id, "title": "second"})

    assert caught.value.data["id"]["code"] == "validation_not_unique"
    assert (await office_a.jobs.get(record_id)).title == "first"


async def test_superuser_reads_the_outbox_typed(superuser_client: AsyncClient, job_a: Job) -> None:
    event = await superuser_client.events.first(
        build_filter("record = {:id}", id=job_a.id), sort="-seq"
    )

    assert isinstance(event, Event)
    assert event.seq > 0
    assert event.collection == "jobs"
    assert event.type.startswith("job.")
    assert event.data is not None


async def test_consumer_lease_round_trip(superuser_client: AsyncClient) -> None:
    lease_until = datetime(2026, 11, 25, 10, 0, 0, 123000, tzinfo=UTC)
    consumer = await superuser_client.consumers.create(
        Consumer(
            name=f"test-{secrets.token_hex(4)}", cursor=7, holder="me", lease_until=lease_until
        )
    )
    assert consumer.lease_until == lease_until

    moved = await superuser_client.consumers.update(consumer, {"cursor": 9, "lease_until": None})
    assert (moved.cursor, moved.lease_until) == (9, None)
    await superuser_client.consumers.delete(moved.id)
