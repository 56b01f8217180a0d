"""Bad input gets a clear error (status, JSON message, per-field `data`) and changes nothing:
no record, no stored file, no outbox event."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypedDict

import httpx
import pytest

from tests.pb.conftest import (
    Outbox,
    Record,
    Records,
    assert_field_error,
    assert_pb_error,
    jpeg_bytes,
    post_photo,
    sha256,
    unique,
)
from tests.support.teams import SeededTeam

JOBS = "/api/collections/jobs/records"
MAX_PHOTO_BYTES = 25 * 1024 * 1024  # photos.file maxSize as shipped

MakeJob = Callable[..., Record]


class PhotoFields(TypedDict, total=False):
    """Form fields of a photo upload that a test sets; None leaves a field out."""

    sha256: str | None
    caption: str


@pytest.fixture
def job(team_a: SeededTeam, make_job: MakeJob) -> Record:
    return make_job(team_a.id)


@pytest.fixture
def unchanged(job: Record, outbox: Outbox, records: Records) -> Iterator[None]:
    """After the test: no new event, no photo on the test's job, the job as it was."""
    seq = outbox.last_seq()
    yield
    assert outbox.since(seq) == []
    assert records.count("photos", f'job = "{job["id"]}"') == 0
    assert records.get("jobs", job["id"]) == job


def new_id() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(15))


# --- photos ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"not a photo at all\n" * 50, "photo.jpg"),  # text, named and typed as a JPEG
        (b"%PDF-1.4\n" + b"0" * 500, "scan.pdf"),
        (b"GIF89a" + b"\0" * 500, "anim.gif"),
    ],
    ids=["text", "pdf", "gif"],
)
def test_wrong_file_type_is_refused(
    content: bytes, filename: str, team_a: SeededTeam, field_a: httpx.Client, job: Record
) -> None:
    response = post_photo(field_a, team_a.id, job["id"], content, filename=filename)
    body = assert_field_error(response, "file", "validation_invalid_mime_type")
    assert "image/jpeg" in body["data"]["file"]["message"]


@pytest.mark.usefixtures("unchanged")
def test_file_over_max_size_is_a_400_naming_the_limit(
    team_a: SeededTeam, field_a: httpx.Client, job: Record
) -> None:
    content = jpeg_bytes(padding=MAX_PHOTO_BYTES)
    response = post_photo(field_a, team_a.id, job["id"], content)
    body = assert_field_error(response, "file", "validation_file_size_limit")
    assert body["data"]["file"]["params"]["maxSize"] == MAX_PHOTO_BYTES


@pytest.mark.usefixtures("unchanged")
def test_body_over_the_request_limit_is_a_413(
    team_a: SeededTeam, field_a: httpx.Client, job: Record
) -> None:
    """PocketBase's body limit for photos is 32 MiB plus the file fields' maxSize (25 + 2):
    beyond it the request is cut off with 413 before any field is looked at."""
    content = jpeg_bytes(padding=64 * 1024 * 1024)
    response = post_photo(field_a, team_a.id, job["id"], content)
    assert_pb_error(response, 413, "Request entity too large.")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("fields", "filename", "field", "code"),
    [
        ({"sha256": None}, "photo.jpg", "sha256", "validation_required"),
        ({}, None, "file", "validation_required"),
        ({"sha256": "A" * 64}, "photo.jpg", "sha256", "validation_invalid_format"),
        ({"sha256": "g" * 64}, "photo.jpg", "sha256", "validation_invalid_format"),
        ({"sha256": "abc123"}, "photo.jpg", "sha256", "validation_min_text_constraint"),
        ({"sha256": "a" * 65}, "photo.jpg", "sha256", "validation_max_text_constraint"),
        ({"caption": "x" * 1001}, "photo.jpg", "caption", "validation_max_text_constraint"),
    ],
    ids=[
        "no-sha256",
        "no-file",
        "upper-sha256",
        "non-hex-sha256",
        "short-sha256",
        "long-sha256",
        "long-caption",
    ],
)
def test_bad_photo_fields_are_named(
    fields: PhotoFields,
    filename: str | None,
    field: str,
    code: str,
    team_a: SeededTeam,
    field_a: httpx.Client,
    job: Record,
) -> None:
    response = post_photo(field_a, team_a.id, job["id"], filename=filename, **fields)
    assert_field_error(response, field, code)


def test_same_photo_twice_is_one_record(
    team_a: SeededTeam,
    field_a: httpx.Client,
    office_a: httpx.Client,
    job: Record,
    outbox: Outbox,
    records: Records,
) -> None:
    content = jpeg_bytes()
    first = post_photo(field_a, team_a.id, job["id"], content)
    assert first.status_code == 200, first.text
    seq = outbox.last_seq()
    # another user, another file name: the (team, sha256) pair is what counts
    again = post_photo(office_a, team_a.id, job["id"], content, filename="copy.jpg")
    body = assert_field_error(again, "sha256", "validation_not_unique")
    assert body["data"]["team"]["code"] == "validation_not_unique"
    assert records.count("photos", f'sha256 = "{sha256(content)}"') == 1
    assert outbox.since(seq) == []


# --- jobs ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "title", "validation_required"),
        ({"title": ""}, "title", "validation_required"),
        ({"title": "x" * 201}, "title", "validation_max_text_constraint"),
        ({"title": "ok", "status": "archived"}, "status", "validation_invalid_value"),
        ({"title": "ok", "id": "short"}, "id", "validation_min_text_constraint"),
        ({"title": "ok", "id": "UPPERCASE123456"}, "id", "validation_invalid_format"),
    ],
    ids=[
        "no-title",
        "empty-title",
        "long-title",
        "unknown-status",
        "short-id",
        "bad-id",
    ],
)
def test_bad_job_fields_are_named(
    body: dict[str, object],
    field: str,
    code: str,
    team_a: SeededTeam,
    office_a: httpx.Client,
    records: Records,
) -> None:
    jobs = records.count("jobs", f'team = "{team_a.id}"')
    response = office_a.post(JOBS, json={"team": team_a.id, **body})
    assert_field_error(response, field, code)
    assert records.count("jobs", f'team = "{team_a.id}"') == jobs


@pytest.mark.usefixtures("unchanged")
def test_unknown_status_on_update_is_named(office_a: httpx.Client, job: Record) -> None:
    response = office_a.patch(f"{JOBS}/{job['id']}", json={"status": "archived"})
    assert_field_error(response, "status", "validation_invalid_value")


@pytest.mark.usefixtures("unchanged")
def test_malformed_json_is_a_400_with_a_message(
    team_a: SeededTeam, office_a: httpx.Client, records: Records
) -> None:
    jobs = records.count("jobs", f'team = "{team_a.id}"')
    response = office_a.post(
        JOBS, content=b'{"title": "half', headers={"content-type": "application/json"}
    )
    assert_pb_error(response, 400)
    assert records.count("jobs", f'team = "{team_a.id}"') == jobs


def test_same_client_id_twice_is_one_record(
    team_a: SeededTeam, office_a: httpx.Client, outbox: Outbox, records: Records
) -> None:
    """An offline client retries a create with the id it chose: the retry is refused, clearly."""
    job_id = new_id()
    first = office_a.post(JOBS, json={"id": job_id, "team": team_a.id, "title": "first"})
    assert first.status_code == 200, first.text
    seq = outbox.last_seq()
    again = office_a.post(JOBS, json={"id": job_id, "team": team_a.id, "title": "retry"})
    assert_field_error(again, "id", "validation_not_unique")
    assert records.count("jobs", f'id = "{job_id}"') == 1
    assert records.get("jobs", job_id) == first.json()
    assert outbox.since(seq) == []


def test_concurrent_retries_with_one_id_make_one_record(
    team_a: SeededTeam, outbox: Outbox, records: Records
) -> None:
    job_id = new_id()
    title = unique("retry")
    seq = outbox.last_seq()

    def create(_: int) -> httpx.Response:
        with team_a.office.client() as client:
            return client.post(JOBS, json={"id": job_id, "team": team_a.id, "title": title})

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(create, range(10)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * 9, [r.text for r in responses]
    for response in responses:
        if response.status_code == 400:
            assert_field_error(response, "id", "validation_not_unique")
    assert records.count("jobs", f'id = "{job_id}"') == 1
    assert [e["type"] for e in outbox.since(seq)] == ["job.created"]
