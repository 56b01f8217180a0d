"""Photos: the record service plus `upload()`, streamed, hashed on the way, never duplicated."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from .._multipart import MultipartForm
from ..errors import BadRequest, NotFound
from ..filters import build_filter
from ..models import Job, Photo, format_datetime
from ..uploads import CHUNK_SIZE, ID_LENGTH, PhotoInput, PhotoSource, duplicate_fields, photo_id
from .records import AsyncRecordService
from .transport import AsyncTransport

__all__ = ["AsyncPhotoService"]

_SHA256_PLACEHOLDER = "0" * 64


class AsyncPhotoService(AsyncRecordService[Photo]):
    """The ``photos`` collection (`client.photos`)."""

    def __init__(self, transport: AsyncTransport, jobs: AsyncRecordService[Job]) -> None:
        super().__init__(transport, "photos", Photo)
        self._jobs = jobs

    async def upload(
        self,
        job: Job | str,
        file: PhotoInput,
        *,
        caption: str | None = None,
        taken_at: datetime | None = None,
        device_id: str | None = None,
        id: str | None = None,
        team: str | None = None,
        filename: str | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> Photo:
        """Upload a photo of `job` and return its record; uploading it again returns the same one.

        The file (a path, bytes or a binary file object) is streamed, never read whole into
        memory, and hashed on the way: its sha256 and the record id travel after the file in
        the multipart body. The id defaults to `fieldsync.photo_id(team, sha256)`, so a retry
        after a lost response, or the same photo uploaded twice, hits PocketBase's unique id
        and (team, sha256) checks; the record already there is then fetched and returned when
        its sha256 matches (otherwise the `BadRequest` is raised).

        Args:
            job: the `Job` or its id.
            team: defaults to the job's team (fetched if only an id is given).
            id: a record id of your own instead of the derived one.
            filename: the name to store (default: the file's name, or one from its type).
        """
        job_id = job if isinstance(job, str) else job.id
        if team is None:
            team = (
                job.team
                if isinstance(job, Job) and job.team
                else (await self._jobs.get(job_id)).team
            )
        fields: dict[str, str] = {"team": team, "job": job_id}
        if caption is not None:
            fields["caption"] = caption
        if taken_at is not None:
            fields["taken_at"] = format_datetime(taken_at)
        if device_id is not None:
            fields["device_id"] = device_id

        source = PhotoSource(file, filename=filename, chunk_size=chunk_size)
        try:
            form = MultipartForm()
            head = form.fields(fields) + form.file_header(
                "file", source.filename, source.content_type
            )

            def tail(sha256: str, record_id: str) -> bytes:
                return (
                    form.file_footer
                    + form.fields({"sha256": sha256, "id": record_id})
                    + form.closing
                )

            headers = {"Content-Type": form.content_type}
            if source.size is not None:
                tail_size = len(tail(_SHA256_PLACEHOLDER, id or "0" * ID_LENGTH))
                headers["Content-Length"] = str(len(head) + source.size + tail_size)
            hasher = hashlib.sha256()
            sent: dict[str, str] = {}

            async def body() -> AsyncIterator[bytes]:
                yield head
                for chunk in source.chunks():
                    hasher.update(chunk)
                    yield chunk
                sent["sha256"] = hasher.hexdigest()
                sent["id"] = id or photo_id(team, sent["sha256"])
                yield tail(sent["sha256"], sent["id"])

            try:
                data: Any = await self._transport.request(
                    "POST", self._path, content=body(), headers=headers
                )
            except BadRequest as exc:
                if "sha256" not in sent:
                    raise
                existing = await self._existing(exc, team, sent["sha256"], sent["id"])
                if existing is None:
                    raise
                return existing
            return self._parse(data)
        finally:
            source.close()

    async def _existing(
        self, error: BadRequest, team: str, sha256: str, record_id: str
    ) -> Photo | None:
        """The photo that made `error` a duplicate, if it holds the same bytes."""
        duplicates = duplicate_fields(error)
        try:
            if "sha256" in duplicates:
                found = await self.first(
                    build_filter("team = {:team} && sha256 = {:sha}", team=team, sha=sha256)
                )
            elif "id" in duplicates:
                found = await self.get(record_id)
            else:
                return None
        except NotFound:
            return None
        return found if found.sha256 == sha256 else None
