"""The transactional outbox (pb_hooks/outbox.pb.js, lib/outbox.js): exactly one `events` row per
committed change of a job or photo, none for a rejected write, and a contiguous sequence."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.pb.conftest import (
    JOBS,
    PHOTOS,
    MakeJob,
    MakePhoto,
    Outbox,
    Record,
    Records,
    assert_pb_error,
    jpeg_bytes,
    post_photo,
    unique,
    webp_bytes,
)
from tests.support.teams import SeededTeam, make_user

EVENTS = "/api/collections/events/records"
MAX_PHOTO_BYTES = 25 * 1024 * 1024  # photos.file maxSize as shipped


def only_event(outbox: Outbox, since: int) -> Record:
    """The one event written after `since`; fails when there are none or several."""
    events = outbox.since(since)
    assert len(events) == 1, [(e["seq"], e["type"], e["record"]) for e in events]
    return events[0]


def assert_event(event: Record, type_: str, record: Record, seq: int) -> None:
    assert event["type"] == type_
    assert event["seq"] == seq
    assert event["collection"] == record["collectionName"]
    assert event["record"] == record["id"]
    assert event["team"] == record["team"]
    assert event["private"] is True
    assert event["data"] == record  # the snapshot is the record as the API returns it


def test_job_create_update_delete_each_write_one_event(
    team_a: SeededTeam, office_a: httpx.Client, outbox: Outbox, records: Records
) -> None:
    seq = outbox.last_seq()
    created = office_a.post(JOBS, json={"team": team_a.id, "title": unique("outbox")})
    assert created.status_code == 200, created.text
    job = created.json()
    assert_event(only_event(outbox, seq), "job.created", job, seq + 1)

    updated = office_a.patch(f"{JOBS}/{job['id']}", json={"description": "two rooms"})
    assert updated.status_code == 200, updated.text
    assert_event(only_event(outbox, seq + 1), "job.updated", updated.json(), seq + 2)

    assert office_a.delete(f"{JOBS}/{job['id']}").status_code == 204
    assert_event(only_event(outbox, seq + 2), "job.deleted", updated.json(), seq + 3)
    assert [e["type"] for e in outbox.for_record(job["id"])] == [
        "job.created",
        "job.updated",
        "job.deleted",
    ]


def test_photo_lifecycle_events(
    team_a: SeededTeam,
    field_a: httpx.Client,
    office_a: httpx.Client,
    superuser: httpx.Client,
    make_job: MakeJob,
    outbox: Outbox,
) -> None:
    job = make_job(team_a.id)
    seq = outbox.last_seq()

    response = post_photo(field_a, team_a.id, job["id"])
    assert response.status_code == 200, response.text
    photo = response.json()
    assert photo["status"] == "processing"
    assert_event(only_event(outbox, seq), "photo.created", photo, seq + 1)
    path = f"{PHOTOS}/{photo['id']}"

    response = office_a.patch(path, json={"caption": "before"})
    assert response.status_code == 200, response.text
    assert_event(only_event(outbox, seq + 1), "photo.updated", response.json(), seq + 2)

    # the thumbnailer (a superuser) ends processing: processing → ready
    response = superuser.patch(
        path,
        data={"status": "ready", "width": "8", "height": "8"},
        files={"thumb": ("thumb.webp", webp_bytes(), "image/webp")},
    )
    assert response.status_code == 200, response.text
    assert_event(only_event(outbox, seq + 2), "photo.ready", response.json(), seq + 3)

    # a later edit of a ready photo is an ordinary update, not a second "ready"
    response = office_a.patch(path, json={"caption": "after"})
    assert response.status_code == 200, response.text
    ready = response.json()
    assert_event(only_event(outbox, seq + 3), "photo.updated", ready, seq + 4)

    assert office_a.delete(path).status_code == 204
    assert_event(only_event(outbox, seq + 4), "photo.deleted", ready, seq + 5)


def test_racing_ends_of_one_photos_processing_write_one_photo_ready(
    team_a: SeededTeam, make_job: MakeJob, superuser: httpx.Client, outbox: Outbox
) -> None:
    """Two sidecars (an old lease holder still finishing, the new one re-handling) may end the
    same photo's processing at once: one `photo.ready`, the other an ordinary update."""
    field_a = team_a.field.client()
    photo = post_photo(field_a, team_a.id, make_job(team_a.id)["id"]).json()
    field_a.close()
    seq = outbox.last_seq()
    su_token = superuser.headers["Authorization"]
    base = str(superuser.base_url)

    def end(_: int) -> int:
        with httpx.Client(base_url=base, headers={"Authorization": su_token}) as client:
            return client.patch(f"{PHOTOS}/{photo['id']}", json={"status": "ready"}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(end, range(8))) == {200}
    types = Counter(event["type"] for event in outbox.since(seq))
    assert types == {"photo.ready": 1, "photo.updated": 7}, types


def test_failed_processing_writes_photo_failed(
    team_a: SeededTeam,
    superuser: httpx.Client,
    make_job: MakeJob,
    make_photo: MakePhoto,
    outbox: Outbox,
) -> None:
    job = make_job(team_a.id)
    photo = make_photo(team_a.id, job["id"])
    seq = outbox.last_seq()
    response = superuser.patch(
        f"{PHOTOS}/{photo['id']}", json={"status": "failed", "error": "cannot decode"}
    )
    assert response.status_code == 200, response.text
    assert_event(only_event(outbox, seq), "photo.failed", response.json(), seq + 1)
    # failed again (an error text fix) is no new outcome
    response = superuser.patch(f"{PHOTOS}/{photo['id']}", json={"error": "cannot decode HEIC"})
    assert response.status_code == 200, response.text
    assert_event(only_event(outbox, seq + 1), "photo.updated", response.json(), seq + 2)


def test_deleting_a_user_clears_assignee_with_an_event(
    team_a: SeededTeam,
    superuser: httpx.Client,
    admin_a: httpx.Client,
    make_job: MakeJob,
    outbox: Outbox,
    records: Records,
) -> None:
    """PocketBase clears a non-required relation to a deleted record: that is a job change too,
    and the deletion itself is a `user.deleted` event (the hub voids the user's tokens)."""
    worker = make_user(superuser, team_a.id, "field", unique("leaver"))
    job = make_job(team_a.id, assignee=worker.id)
    seq = outbox.last_seq()
    assert admin_a.delete(f"/api/collections/users/records/{worker.id}").status_code == 204
    stored = records.get("jobs", job["id"])
    assert stored is not None and stored["assignee"] == ""
    job_event, user_event = outbox.since(seq)
    assert_event(job_event, "job.updated", stored, seq + 1)
    assert (user_event["type"], user_event["record"], user_event["team"]) == (
        "user.deleted",
        worker.id,
        team_a.id,
    )
    assert user_event["data"] == {"id": worker.id, "team": team_a.id, "role": "field"}


def test_a_change_of_role_or_team_is_an_event_and_nothing_else_about_users_is(
    team_a: SeededTeam, superuser: httpx.Client, outbox: Outbox
) -> None:
    user = make_user(superuser, team_a.id, "field", unique("promoted"))
    seq = outbox.last_seq()
    path = f"/api/collections/users/records/{user.id}"
    superuser.patch(path, json={"name": "Another name"}).raise_for_status()
    assert outbox.since(seq) == [], "a rename changes no rights"
    superuser.patch(path, json={"role": "office"}).raise_for_status()
    event = only_event(outbox, seq)
    assert (event["type"], event["record"], event["data"]["role"]) == (
        "user.updated",
        user.id,
        "office",
    )
    assert event["previous"] == {"team": team_a.id, "role": "field"}
    assert "email" not in event["data"]


# --- rejected writes leave no event --------------------------------------------------------


class Context:
    """What a rejected write needs: clients, a fresh job of team A and the outbox position."""

    def __init__(self, request: pytest.FixtureRequest, make_job: MakeJob) -> None:
        self.team_a: SeededTeam = request.getfixturevalue("team_a")
        self.field_a: httpx.Client = request.getfixturevalue("field_a")
        self.office_a: httpx.Client = request.getfixturevalue("office_a")
        self.office_b: httpx.Client = request.getfixturevalue("office_b")
        self.outbox: Outbox = request.getfixturevalue("outbox")
        self.job = make_job(self.team_a.id)
        self.seq = self.outbox.last_seq()
        self.photos = 0


def _validation_error(ctx: Context) -> httpx.Response:
    return ctx.office_a.post(JOBS, json={"team": ctx.team_a.id})  # no title


def _rule_refusal_create(ctx: Context) -> httpx.Response:
    return ctx.field_a.post(JOBS, json={"team": ctx.team_a.id, "title": unique("field")})


def _rule_refusal_update(ctx: Context) -> httpx.Response:
    return ctx.office_b.patch(f"{JOBS}/{ctx.job['id']}", json={"title": "other team"})


def _rule_refusal_delete(ctx: Context) -> httpx.Response:
    return ctx.office_b.delete(f"{JOBS}/{ctx.job['id']}")


def _invalid_update(ctx: Context) -> httpx.Response:
    return ctx.office_a.patch(f"{JOBS}/{ctx.job['id']}", json={"status": "archived"})


def _duplicate_id(ctx: Context) -> httpx.Response:
    return ctx.office_a.post(
        JOBS, json={"id": ctx.job["id"], "team": ctx.team_a.id, "title": "again"}
    )


def _bad_file_type(ctx: Context) -> httpx.Response:
    text = b"just some text, not a photo\n" * 20
    return post_photo(ctx.field_a, ctx.team_a.id, ctx.job["id"], text, filename="photo.jpg")


def _oversized_file(ctx: Context) -> httpx.Response:
    big = jpeg_bytes(padding=MAX_PHOTO_BYTES)
    return post_photo(ctx.field_a, ctx.team_a.id, ctx.job["id"], big)


def _duplicate_sha256(ctx: Context) -> httpx.Response:
    content = jpeg_bytes()
    first = post_photo(ctx.field_a, ctx.team_a.id, ctx.job["id"], content)
    assert first.status_code == 200, first.text
    ctx.seq = ctx.outbox.last_seq()
    ctx.photos = 1
    return post_photo(ctx.office_a, ctx.team_a.id, ctx.job["id"], content)


REJECTED: list[tuple[Callable[[Context], httpx.Response], int, str | None]] = [
    # (write, status, field named in `data`)
    (_validation_error, 400, "title"),
    (_rule_refusal_create, 400, None),
    (_rule_refusal_update, 404, None),
    (_rule_refusal_delete, 404, None),
    (_invalid_update, 400, "status"),
    (_duplicate_id, 400, "id"),
    (_bad_file_type, 400, "file"),
    (_oversized_file, 400, "file"),
    (_duplicate_sha256, 400, "sha256"),
]


@pytest.mark.parametrize(
    ("write", "status", "field"), REJECTED, ids=[w.__name__.strip("_") for w, _, _ in REJECTED]
)
def test_a_rejected_write_leaves_no_event(
    write: Callable[[Context], httpx.Response],
    status: int,
    field: str | None,
    make_job: MakeJob,
    records: Records,
    request: pytest.FixtureRequest,
) -> None:
    ctx = Context(request, make_job)
    jobs_before = records.count("jobs", f'team = "{ctx.team_a.id}"')

    body = assert_pb_error(write(ctx), status)
    if field is not None:
        assert field in body["data"], body

    assert ctx.outbox.since(ctx.seq) == []
    assert records.count("jobs", f'team = "{ctx.team_a.id}"') == jobs_before
    assert records.get("jobs", ctx.job["id"]) == ctx.job
    assert records.count("photos", f'job = "{ctx.job["id"]}"') == ctx.photos
    assert [e["type"] for e in ctx.outbox.for_record(ctx.job["id"])] == ["job.created"]


# --- sequence numbers ----------------------------------------------------------------------


def test_concurrent_writes_get_contiguous_sequence_numbers(
    team_a: SeededTeam, outbox: Outbox, records: Records
) -> None:
    """100 creates then 100 updates from 10 threads, each with its own connection."""
    seq = outbox.last_seq()
    marker = unique("burst")
    local = threading.local()
    clients: list[httpx.Client] = []
    lock = threading.Lock()

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = team_a.office.client()
            with lock:
                clients.append(local.client)
        return local.client  # type: ignore[no-any-return]

    def create(i: int) -> str:
        response = client().post(JOBS, json={"team": team_a.id, "title": f"{marker}-{i}"})
        assert response.status_code == 200, response.text
        return str(response.json()["id"])

    def update(job_id: str) -> None:
        response = client().patch(f"{JOBS}/{job_id}", json={"status": "assigned"})
        assert response.status_code == 200, response.text

    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            job_ids = list(pool.map(create, range(100)))
            list(pool.map(update, job_ids))
    finally:
        for c in clients:
            c.close()

    events = outbox.since(seq)
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(seq + 1, seq + 201)), "gaps or duplicates in the sequence"
    assert records.count("jobs", f'title ~ "{marker}-"') == 100
    by_record: dict[str, list[Record]] = {}
    for event in events:
        by_record.setdefault(event["record"], []).append(event)
    assert set(by_record) == set(job_ids)
    for job_id, job_events in by_record.items():
        assert [e["type"] for e in job_events] == ["job.created", "job.updated"], job_id
        assert job_events[1]["data"]["status"] == "assigned"
    assert Counter(e["type"] for e in events) == {"job.created": 100, "job.updated": 100}


def test_events_written_by_a_superuser_are_stamped_with_the_next_seq(
    superuser: httpx.Client, outbox: Outbox
) -> None:
    seq = outbox.last_seq()
    bodies: list[dict[str, Any]] = [
        {"type": "test.manual", "seq": 10**9},  # a seq in the body is overridden
        {"type": "test.manual", "seq": 1},  # even one that exists already
        {"type": "test.manual"},
    ]
    for offset, body in enumerate(bodies, start=1):
        response = superuser.post(EVENTS, json=body)
        assert response.status_code == 200, response.text
        assert response.json()["seq"] == seq + offset
    assert [e["seq"] for e in outbox.since(seq)] == [seq + 1, seq + 2, seq + 3]


def test_deleting_a_job_with_photos_is_refused(
    team_a: SeededTeam,
    office_a: httpx.Client,
    make_job: MakeJob,
    make_photo: MakePhoto,
    outbox: Outbox,
    records: Records,
) -> None:
    job = make_job(team_a.id)
    photo = make_photo(team_a.id, job["id"])
    seq = outbox.last_seq()
    response = office_a.delete(f"{JOBS}/{job['id']}")
    body = assert_pb_error(response, 400)
    assert "required relation" in body["message"]
    assert records.get("jobs", job["id"]) == job
    assert records.get("photos", photo["id"]) == photo
    assert outbox.since(seq) == []
    # allowed: once its photos are gone
    assert office_a.delete(f"{PHOTOS}/{photo['id']}").status_code == 204
    assert office_a.delete(f"{JOBS}/{job['id']}").status_code == 204
    assert [e["type"] for e in outbox.since(seq)] == ["photo.deleted", "job.deleted"]


def test_the_outbox_is_append_only(superuser: httpx.Client, outbox: Outbox) -> None:
    first = superuser.post(EVENTS, json={"type": "test.append_only"}).json()
    newest = superuser.post(EVENTS, json={"type": "test.append_only"}).json()

    moved = superuser.patch(f"{EVENTS}/{newest['id']}", json={"seq": 10**9, "type": "x"})
    assert moved.status_code == 400
    assert moved.json()["message"] == "Events are append-only."
    deleted = superuser.delete(f"{EVENTS}/{newest['id']}")
    assert deleted.status_code == 400
    assert deleted.json()["message"] == "The newest event cannot be deleted."
    assert outbox.last_seq() == newest["seq"]

    trimmed = superuser.delete(f"{EVENTS}/{first['id']}")
    assert trimmed.status_code == 204, "old events can be trimmed"
    after = superuser.post(EVENTS, json={"type": "test.append_only"}).json()
    assert after["seq"] == newest["seq"] + 1
