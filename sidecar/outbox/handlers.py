"""What the sidecar does for each outbox event. Every handler is idempotent: running it again
for an event already handled changes nothing (the consumer may replay after a crash)."""

from __future__ import annotations

import asyncio
import logging

from fieldsync import AsyncClient, Event, NotFound, Photo, PhotoStatus

from sidecar.metrics import Metrics
from sidecar.push import PushNotifier
from sidecar.session import SuperuserSession
from sidecar.thumbs import Thumbnail, ThumbnailError, ThumbnailWorker, WorkerDied

log = logging.getLogger(__name__)

RENDER_ATTEMPTS = 3
"""A worker that dies fails every photo it had in hand; each gets this many tries, so only
the photo that kills it every time ends up failed."""


class EventHandlers:
    """What each event brings about: push notifications (decided and queued for every event,
    sent in the background by `PushNotifier`), and the thumbnail of a new photo."""

    def __init__(
        self,
        session: SuperuserSession,
        thumbs: ThumbnailWorker,
        push: PushNotifier,
        metrics: Metrics,
    ) -> None:
        self._session = session
        self._thumbs = thumbs
        self._push = push
        self._metrics = metrics

    async def __call__(self, event: Event) -> None:
        """Both, independently: one failing (to be retried) does not hold the other back;
        both are idempotent, so a retry redoes only what is missing."""
        work = [self._push.handle(event)]
        if event.type == "photo.created":
            work.append(self.make_thumbnail(event.record))
        for outcome in await asyncio.gather(*work, return_exceptions=True):
            if isinstance(outcome, BaseException):
                raise outcome

    async def make_thumbnail(self, photo_id: str) -> None:
        """Render the photo's thumbnail, read its size and capture time, mark it ready (or failed
        with a readable error). Skips photos gone or already processed."""
        try:
            photo = await self._session.call(lambda client: client.photos.get(photo_id))
        except NotFound:
            self._metrics.thumbnails["skipped"] += 1
            return
        if photo.status is not PhotoStatus.PROCESSING:
            self._metrics.thumbnails["skipped"] += 1
            return
        try:
            original = await self._session.call(lambda client: _read_file(client, photo, "file"))
        except NotFound:
            await self._fail(photo, "the original file could not be read from storage")
            return
        try:
            thumb = await self._render(original)
        except ThumbnailError as exc:
            await self._fail(photo, str(exc))
            return
        fields: dict[str, object] = {
            "status": PhotoStatus.READY.value,
            "width": thumb.width,
            "height": thumb.height,
            "error": "",
        }
        if thumb.taken_at is not None:
            fields["taken_at"] = thumb.taken_at.isoformat()
        files: dict[str, tuple[str, bytes]] = {"thumb": (f"thumb_{photo.id}.webp", thumb.webp)}
        await self._finish(photo, fields, files)
        self._metrics.thumbnails["ready"] += 1

    async def _render(self, original: bytes) -> Thumbnail:
        attempt = 1
        while True:
            try:
                return await self._thumbs.render(original)
            except WorkerDied:
                if attempt == RENDER_ATTEMPTS:
                    raise
                attempt += 1
                log.warning(
                    "thumbnail worker died; trying the photo again", extra={"attempt": attempt}
                )

    async def _fail(self, photo: Photo, error: str) -> None:
        await self._finish(photo, {"status": PhotoStatus.FAILED.value, "error": error})
        self._metrics.thumbnails["failed"] += 1
        log.info("photo failed", extra={"record": photo.id, "error": error})

    async def _finish(
        self,
        photo: Photo,
        fields: dict[str, object],
        files: dict[str, tuple[str, bytes]] | None = None,
    ) -> None:
        try:
            await self._session.call(
                lambda client: client.photos.update(photo.id, fields, files=files)
            )
        except NotFound:
            self._metrics.thumbnails["skipped"] += 1


async def _read_file(client: AsyncClient, photo: Photo, field: str) -> bytes:
    """A file of `photo`, whole, through PocketBase's file API (wherever it stores files)."""
    return b"".join([chunk async for chunk in client.files.iter_bytes(photo, field)])
