"""Models: PocketBase's dates and empty strings in, PocketBase's formats out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from fieldsync import Event, Job, JobStatus, ListResult, Photo, PhotoStatus, Role, User
from fieldsync.models import format_datetime, parse_datetime, to_payload

WIRE_JOB = {
    "id": "pkw0wfpib7x0rak",
    "collectionId": "pbc_2409499253",
    "collectionName": "jobs",
    "created": "2026-11-25 17:11:35.411Z",
    "updated": "2026-11-25 17:11:35.411Z",
    "team": "hah4gzbjp17pbk5",
    "title": "Fix",
    "description": "",
    "customer": "",
    "status": "in_progress",
    "assignee": "",
    "due": "",
    "created_by": "7o6aa2piyu1oku4",
}


def test_dates_parse_to_aware_utc_and_empty_to_none() -> None:
    job = Job.model_validate(WIRE_JOB)

    assert job.created == datetime(2026, 11, 25, 17, 11, 35, 411000, tzinfo=UTC)
    assert job.due is None
    assert job.assignee is None
    assert job.status is JobStatus.IN_PROGRESS
    assert (job.collection_id, job.collection_name) == ("pbc_2409499253", "jobs")


def test_format_datetime_is_pocketbase_utc() -> None:
    local = datetime(2026, 11, 25, 12, 0, 0, 5000, tzinfo=timezone(timedelta(hours=2)))
    assert format_datetime(local) == "2026-11-25 10:00:00.005Z"
    assert parse_datetime(format_datetime(local)) == local
    assert parse_datetime("2026-11-25T10:00:00Z") == datetime(2026, 11, 25, 10, tzinfo=UTC)


def test_payload_of_a_model_sends_only_what_was_set() -> None:
    assert to_payload(Job(status=JobStatus.DONE)) == {"status": "done"}
    due = datetime(2026, 12, 1, tzinfo=UTC)
    assert to_payload(Job(title="x", due=due, assignee=None)) == {
        "title": "x",
        "due": "2026-12-01 00:00:00.000Z",
        "assignee": None,
    }


def test_payload_of_a_server_record_never_sends_server_fields() -> None:
    payload = to_payload(Job.model_validate(WIRE_JOB))

    assert not {"collectionId", "collectionName", "created", "updated", "expand"} & set(payload)
    assert payload["id"] == WIRE_JOB["id"]


def test_payload_of_a_mapping_converts_values() -> None:
    job = Job.model_validate(WIRE_JOB)
    payload = to_payload({"job": job, "status": PhotoStatus.READY, "when": job.created})
    assert payload == {"job": job.id, "status": "ready", "when": "2026-11-25 17:11:35.411Z"}


def test_partial_records_parse_with_defaults() -> None:
    photo = Photo.model_validate({"id": "a", "sha256": "0" * 64})
    assert (photo.file, photo.thumb, photo.width, photo.status) == (
        "",
        None,
        0,
        PhotoStatus.PROCESSING,
    )


def test_unknown_fields_are_kept() -> None:
    user = User.model_validate({"id": "u", "role": "admin", "nickname": "Al"})
    assert user.role is Role.ADMIN
    assert user.model_extra == {"nickname": "Al"}


def test_outbox_event_json_fields() -> None:
    event = Event.model_validate({"seq": 3, "type": "job.created", "data": None, "topics": None})
    assert (event.seq, event.data, event.topics) == (3, None, None)


def test_list_result_reads_pocketbase_names() -> None:
    page = ListResult[Job].model_validate(
        {"page": 2, "perPage": 1, "totalItems": 3, "totalPages": 3, "items": [WIRE_JOB]}
    )
    assert (page.page, page.per_page, page.total_items, page.total_pages) == (2, 1, 3, 3)
    assert isinstance(page.items[0], Job)
