"""Photo uploads: every kind of source, typed records, and no duplicates ever."""

from __future__ import annotations

import hashlib
import io
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fieldsync import AsyncClient, BadRequest, Job, Photo, PhotoStatus, build_filter, photo_id

from ..samples import Unseekable, jpeg


async def _count(client: AsyncClient, team: str, sha256: str) -> int:
    page = await client.photos.list(
        filter=build_filter("team = {:team} && sha256 = {:sha}", team=team, sha=sha256)
    )
    return page.total_items


@pytest.mark.parametrize("kind", ["path", "bytes", "file", "unseekable"])
async def test_upload_from_any_source(
    office_a: AsyncClient, job_a: Job, team_a: Any, tmp_path: Path, kind: str
) -> None:
    data = jpeg()
    taken_at = datetime(2026, 11, 20, 8, 15, 0, 500000, tzinfo=UTC)
    source: Any
    if kind == "path":
        source = tmp_path / "meter.jpg"
        source.write_bytes(data)
    elif kind == "bytes":
        source = data
    elif kind == "file":
        source = io.BytesIO(data)
    else:
        source = Unseekable(data)

    photo = await office_a.photos.upload(
        job_a, source, caption="Meter", taken_at=taken_at, device_id="phone-1"
    )

    sha256 = hashlib.sha256(data).hexdigest()
    assert isinstance(photo, Photo)
    assert photo.sha256 == sha256
    assert photo.id == photo_id(team_a.id, sha256)
    assert (photo.team, photo.job) == (team_a.id, job_a.id)
    assert photo.uploaded_by == team_a.office.id
    assert photo.status is PhotoStatus.PROCESSING
    assert (photo.caption, photo.device_id, photo.taken_at) == ("Meter", "phone-1", taken_at)
    assert photo.file.endswith(".jpg")
    assert photo.thumb is None
    if kind == "path":
        assert photo.file.startswith("meter")


async def test_upload_with_only_the_job_id_fetches_its_team(
    office_a: AsyncClient, job_a: Job, team_a: Any
) -> None:
    photo = await office_a.photos.upload(job_a.id, jpeg())

    assert photo.team == team_a.id


async def test_uploading_the_same_photo_twice_gives_one_record(
    office_a: AsyncClient, job_a: Job, team_a: Any
) -> None:
    data = jpeg()

    first = await office_a.photos.upload(job_a, data, caption="first")
    second = await office_a.photos.upload(job_a, data, caption="second try")

    assert second == first
    assert await _count(office_a, team_a.id, first.sha256) == 1


async def test_retry_with_the_same_explicit_id_gives_the_same_record(
    office_a: AsyncClient, job_a: Job, team_a: Any
) -> None:
    data = jpeg()
    record_id = secrets.token_hex(8)[:15]

    first = await office_a.photos.upload(job_a, data, id=record_id)
    retried = await office_a.photos.upload(job_a, io.BytesIO(data), id=record_id)

    assert first.id == retried.id == record_id
    assert await _count(office_a, team_a.id, first.sha256) == 1


async def test_same_bytes_under_another_id_return_the_existing_photo(
    office_a: AsyncClient, job_a: Job
) -> None:
    data = jpeg()
    first = await office_a.photos.upload(job_a, data)

    again = await office_a.photos.upload(job_a, data, id=secrets.token_hex(8)[:15])

    assert again.id == first.id


async def test_an_id_taken_by_other_bytes_is_bad_request(office_a: AsyncClient, job_a: Job) -> None:
    first = await office_a.photos.upload(job_a, jpeg())

    with pytest.raises(BadRequest) as caught:
        await office_a.photos.upload(job_a, jpeg(), id=first.id)

    assert caught.value.field_codes.get("id") == "validation_not_unique"


async def test_the_same_photo_in_two_teams_is_two_records(
    office_a: AsyncClient, office_b: AsyncClient, job_a: Job, team_b: Any
) -> None:
    data = jpeg()
    job_b = await office_b.jobs.create(Job(team=team_b.id, title="Team B's job"))

    in_a = await office_a.photos.upload(job_a, data)
    in_b = await office_b.photos.upload(job_b, data)

    assert in_a.sha256 == in_b.sha256
    assert in_a.id != in_b.id


async def test_upload_to_another_teams_job_is_refused(office_b: AsyncClient, job_a: Job) -> None:
    with pytest.raises(BadRequest):
        await office_b.photos.upload(job_a, jpeg(), team=job_a.team)


async def test_raw_create_with_files(office_a: AsyncClient, job_a: Job, team_a: Any) -> None:
    data = jpeg()
    sha256 = hashlib.sha256(data).hexdigest()

    photo = await office_a.photos.create(
        {"team": team_a.id, "job": job_a.id, "sha256": sha256, "caption": "raw"},
        files={"file": ("raw.jpg", data, "image/jpeg")},
    )

    assert (photo.sha256, photo.caption) == (sha256, "raw")
    assert photo.file.startswith("raw")
