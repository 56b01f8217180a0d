"""File URLs, file tokens and streamed downloads of protected photos."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest
from fieldsync import AsyncClient, Job, NotFound, Photo

from ..samples import jpeg, webp


@pytest.fixture
async def photo(office_a: AsyncClient, job_a: Job) -> tuple[Photo, bytes]:
    data = jpeg(padding=300_000)
    return await office_a.photos.upload(job_a, data), data


async def test_url_points_at_the_file(office_a: AsyncClient, photo: tuple[Photo, bytes]) -> None:
    record, _ = photo

    url = office_a.files.url(record, "file", token="abc", thumb="100x100")

    assert url.startswith(f"{office_a.base_url}/api/files/{record.collection_id}/{record.id}/")
    assert f"/{record.file}?" in url
    assert "token=abc" in url and "thumb=100x100" in url


async def test_protected_file_needs_a_token(
    office_a: AsyncClient, photo: tuple[Photo, bytes]
) -> None:
    record, data = photo
    token = await office_a.files.get_token()

    async with httpx.AsyncClient() as http:
        bare = await http.get(office_a.files.url(record, "file"))
        tokened = await http.get(office_a.files.url(record, "file", token=token))

    assert bare.status_code == 404
    assert tokened.status_code == 200
    assert tokened.content == data


async def test_stream_download_is_byte_identical(
    office_a: AsyncClient, photo: tuple[Photo, bytes]
) -> None:
    record, data = photo
    digest = hashlib.sha256()

    async with office_a.files.stream(record, "file") as response:
        assert response.headers["content-type"] == "image/jpeg"
        async for chunk in response.aiter_bytes():
            digest.update(chunk)

    assert digest.hexdigest() == record.sha256 == hashlib.sha256(data).hexdigest()
    chunks = [chunk async for chunk in office_a.files.iter_bytes(record, "file")]
    assert b"".join(chunks) == data


async def test_download_to_a_path(
    office_a: AsyncClient, photo: tuple[Photo, bytes], tmp_path: Path
) -> None:
    record, data = photo

    saved = await office_a.files.download(record, "file", tmp_path / "copy.jpg")

    assert saved.read_bytes() == data
    assert [path.name for path in tmp_path.iterdir()] == ["copy.jpg"]  # noqa: ASYNC240


async def test_another_team_cannot_download(
    office_b: AsyncClient, photo: tuple[Photo, bytes], tmp_path: Path
) -> None:
    record, _ = photo

    with pytest.raises(NotFound):
        await office_b.files.download(record, "file", tmp_path / "stolen.jpg")
    assert not list(tmp_path.iterdir())  # noqa: ASYNC240


async def test_thumb_url_and_download(
    superuser_client: AsyncClient, office_a: AsyncClient, photo: tuple[Photo, bytes], tmp_path: Path
) -> None:
    record, _ = photo
    thumb = webp()
    # What the sidecar does once it has rendered the thumbnail.
    done = await superuser_client.photos.update(
        record,
        {"status": "ready", "width": 32, "height": 24},
        files={"thumb": ("thumb.webp", thumb, "image/webp")},
    )
    assert done.thumb is not None and done.thumb.endswith(".webp")

    token = await office_a.files.get_token()
    url = office_a.files.url(done, "thumb", token=token)
    assert f"/{done.thumb}?token=" in url
    async with httpx.AsyncClient() as http:
        assert (await http.get(url)).content == thumb
    saved = await office_a.files.download(done, "thumb", tmp_path / "thumb.webp")
    assert saved.read_bytes() == thumb


async def test_url_of_an_empty_file_field_is_an_error(
    office_a: AsyncClient, photo: tuple[Photo, bytes]
) -> None:
    record, _ = photo
    with pytest.raises(ValueError, match="no file in 'thumb'"):
        office_a.files.url(record, "thumb")
