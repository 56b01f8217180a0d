"""Test photos: small real images with unique bytes (shared by the async and sync tests)."""

from __future__ import annotations

import io
import os

from PIL import Image


def jpeg(padding: int = 2048) -> bytes:
    """A valid JPEG followed by `padding` random bytes, so every call's content is unique."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 120, 40)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue() + os.urandom(padding)


def webp() -> bytes:
    """A small valid WebP image (what the sidecar writes as a thumbnail)."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (10, 140, 90)).save(buffer, "WEBP")
    return buffer.getvalue()


class Unseekable(io.RawIOBase):
    """A binary file that can only be read forward, like a pipe: its size is unknown."""

    def __init__(self, data: bytes) -> None:
        self._buffer = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, target: bytearray) -> int:  # type: ignore[override]
        chunk = self._buffer.read(len(target))
        target[: len(chunk)] = chunk
        return len(chunk)
