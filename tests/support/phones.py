"""Phones in the field: a camera roll of distinct photos (JPEGs of 1-5 MB and some HEICs) and a
phone that uploads them one after another with the SDK, as its own user, retrying what a
network or a restarting server breaks (the SDK's upload is retry-safe: its record id is
derived from the bytes).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import random
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from fieldsync import ApiError, AsyncClient, AuthStore, TransportError

from tests.support.images import jpeg, photo
from tests.support.teams import Member

HEIC_SIZE = (1280, 960)
"""HEIC encoding (x265) costs seconds per megapixel here: one small base is made per run."""
RETRY_INITIAL_S = 0.2
RETRY_MAX_S = 2.0


@cache
def _jpeg_base(width: int, height: int) -> bytes:
    return jpeg(photo(width, height, seed=width * 7 + height))


@cache
def _heic_base() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    photo(*HEIC_SIZE, seed=3).save(out, "HEIF", quality=80)
    return out.getvalue()


def _tagged_jpeg(base: bytes, tag: bytes) -> bytes:
    """`base` with a comment segment (COM) right after SOI: another file, the same picture."""
    return base[:2] + b"\xff\xfe" + struct.pack(">H", len(tag) + 2) + tag + base[2:]


def _tagged_heic(base: bytes, tag: bytes) -> bytes:
    """`base` with a trailing `free` box, which ISO-BMFF readers skip."""
    return base + struct.pack(">I", len(tag) + 8) + b"free" + tag


@dataclass(frozen=True)
class Album:
    """Distinct photos for every (phone, index): JPEGs of the given sizes in turn and a HEIC
    every `heic_every`-th (0: none)."""

    sizes: tuple[tuple[int, int], ...] = ((2000, 1500), (2600, 1950), (3200, 2400), (4000, 3000))
    heic_every: int = 10
    nonce: str = field(default_factory=lambda: f"{random.getrandbits(48):012x}")

    def prepare(self) -> None:
        """Make the base images now (seconds of CPU), not during a timed run."""
        for size in self.sizes:
            _jpeg_base(*size)
        if self.heic_every:
            _heic_base()

    def photo(self, phone: int, index: int) -> tuple[bytes, str]:
        """The bytes and file name of `phone`'s `index`-th photo."""
        tag = f"fieldsync {self.nonce} phone {phone} photo {index}".encode()
        if self.heic_every and index % self.heic_every == self.heic_every - 1:
            return _tagged_heic(_heic_base(), tag), f"IMG_{index:04d}.HEIC"
        size = self.sizes[(phone + index) % len(self.sizes)]
        return _tagged_jpeg(_jpeg_base(*size), tag), f"IMG_{index:04d}.JPG"


@dataclass
class Upload:
    """One photo a phone took, and what became of it."""

    phone: str
    """The user id."""
    index: int
    sha256: str
    size: int
    started: float = 0.0
    """time.time() of the first try."""
    finished: float = 0.0
    """time.time() when a try succeeded (0 while not done)."""
    attempts: int = 0
    photo: str = ""
    """The record id."""
    error: str = ""
    """The last error that was not retried ("" when uploaded)."""
    error_status: int = 0
    """Its HTTP status (0: no answer)."""

    @property
    def seconds(self) -> float:
        return self.finished - self.started


class Progress:
    """Uploads done so far, awaitable: `await progress.reached(n)`."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.in_flight = 0
        self._changed = asyncio.Condition()

    async def note(self, done: int = 0, in_flight: int = 0) -> None:
        async with self._changed:
            self.done += done
            self.in_flight += in_flight
            self._changed.notify_all()

    async def reached(self, count: int) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self.done >= count)


def retryable(error: Exception) -> bool:
    """What a phone tries again: no answer, or the server's own trouble (5xx, 429)."""
    if isinstance(error, TransportError):
        return True
    return isinstance(error, ApiError) and (error.status >= 500 or error.status == 429)


@dataclass
class Phone:
    """A field worker's phone: their login, their job, their camera roll."""

    member: Member
    number: int
    job: str
    uploads: list[Upload] = field(default_factory=list)

    async def run(
        self,
        url: str,
        album: Album,
        indices: Sequence[int],
        progress: Progress,
        *,
        think_s: float = 0.0,
        retry_for_s: float = 90.0,
        stop_at: float | None = None,
    ) -> None:
        """Upload the photos `indices` of `album` in turn, `think_s` apart, none started after
        `stop_at` (time.monotonic()); retry each for up to `retry_for_s` after its first
        failure."""
        auth = AuthStore(self.member.token)
        async with AsyncClient(url, timeout=60, auth_store=auth) as client:
            for index in indices:
                if stop_at is not None and time.monotonic() >= stop_at:
                    return
                data, name = album.photo(self.number, index)
                upload = Upload(self.member.id, index, hashlib.sha256(data).hexdigest(), len(data))
                self.uploads.append(upload)
                await self._upload(client, upload, data, name, progress, retry_for_s)
                if think_s:
                    await asyncio.sleep(think_s)

    async def retry_failed(self, url: str, album: Album, progress: Progress) -> None:
        """Upload again every photo that failed with an error that was not retried."""
        auth = AuthStore(self.member.token)
        async with AsyncClient(url, timeout=60, auth_store=auth) as client:
            for upload in self.uploads:
                if upload.error:
                    upload.error, upload.error_status = "", 0
                    data, name = album.photo(self.number, upload.index)
                    await self._upload(client, upload, data, name, progress, 30.0)

    async def _upload(
        self,
        client: AsyncClient,
        upload: Upload,
        data: bytes,
        name: str,
        progress: Progress,
        retry_for_s: float,
    ) -> None:
        upload.started = upload.started or time.time()
        first_failure = 0.0
        await progress.note(in_flight=1)
        try:
            while True:
                upload.attempts += 1
                try:
                    record = await client.photos.upload(
                        self.job, data, team=self.member.team, filename=name
                    )
                except (ApiError, TransportError) as exc:
                    first_failure = first_failure or time.monotonic()
                    if not retryable(exc) or time.monotonic() - first_failure > retry_for_s:
                        upload.error = f"{type(exc).__name__}: {exc}"
                        upload.error_status = exc.status if isinstance(exc, ApiError) else 0
                        return
                    delay = min(RETRY_MAX_S, RETRY_INITIAL_S * 2 ** (upload.attempts - 1))
                    await asyncio.sleep(delay * (0.5 + random.random() / 2))
                    continue
                upload.photo, upload.finished = record.id, time.time()
                await progress.note(done=1)
                return
        finally:
            await progress.note(in_flight=-1)
