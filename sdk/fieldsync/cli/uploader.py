"""Uploading files as photos of a job, once each: what `upload` and `watch` share.

A file's record id is `photo_id(team, sha256)` (the SDK's dedup), so the file is hashed first
and looked up by that id: one already on the server is reported as such and not sent again.
Otherwise the SDK streams it (a retry after an interruption hits the same id, never a copy).
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .._async.client import AsyncClient
from ..errors import FieldsyncError, NotFound
from ..models import Job, Photo
from ..uploads import photo_id
from .errors import describe

__all__ = ["Outcome", "Uploaded", "Uploader", "sha256_file"]

_CHUNK = 1024 * 1024


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class Outcome(enum.StrEnum):
    UPLOADED = "uploaded"
    ALREADY = "already uploaded"
    FAILED = "failed"


@dataclass(frozen=True)
class Uploaded:
    """What became of one file."""

    path: Path
    outcome: Outcome
    photo: Photo | None = None
    sha256: str = ""
    error: str = ""


class _CountingFile(io.FileIO):
    """A file that reports how many bytes were read from it (for progress bars)."""

    def __init__(self, path: Path, on_read: Callable[[int], None]) -> None:
        super().__init__(path, "rb")
        self._on_read = on_read

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        if data:
            self._on_read(len(data))
        return data or b""


class Uploader:
    """Uploads files as photos of `job` (its team's dedup applies)."""

    def __init__(self, client: AsyncClient, job: Job, *, caption: str | None = None) -> None:
        self._client = client
        self._job = job
        self._caption = caption

    async def already_there(self, sha256: str) -> Photo | None:
        """The team's photo with these bytes, if any (found by its derived id)."""
        try:
            photo = await self._client.photos.get(photo_id(self._job.team, sha256))
        except NotFound:
            return None
        return photo if photo.sha256 == sha256 else None

    async def upload(self, path: Path, on_read: Callable[[int], None] = lambda _: None) -> Uploaded:
        """Upload `path` unless its bytes are already there; failures come back as FAILED."""
        try:
            sha256 = await asyncio.to_thread(sha256_file, path)
            existing = await self.already_there(sha256)
            if existing is not None:
                return Uploaded(path, Outcome.ALREADY, existing, sha256)
            with _CountingFile(path, on_read) as handle:
                photo = await self._client.photos.upload(
                    self._job, handle, caption=self._caption, filename=path.name
                )
        except (FieldsyncError, OSError) as exc:
            return Uploaded(path, Outcome.FAILED, error=describe(exc))
        return Uploaded(path, Outcome.UPLOADED, photo, sha256)
