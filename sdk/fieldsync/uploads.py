"""Photo uploads without duplicates: content hashing, deterministic ids, file sources.

A photo's record id is derived from (team, sha256 of the bytes), so uploading the same photo
again (a retry after a lost response, a second tap) targets the same id and PocketBase refuses
the copy; `photos.upload()` then returns the record that is already there.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO

from .errors import ApiError

__all__ = ["PhotoInput", "PhotoSource", "duplicate_fields", "photo_id", "sniff_image_type"]

PhotoInput = str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO | IO[bytes]
"""A path, the bytes themselves, or a binary file object opened for reading."""

ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
ID_LENGTH = 15
CHUNK_SIZE = 64 * 1024


def photo_id(team: str, sha256: str) -> str:
    """The record id of the photo with content hash `sha256` in `team` (15 chars, [a-z0-9])."""
    digest = hashlib.sha256(f"fieldsync.photo\x00{team}\x00{sha256.lower()}".encode()).digest()
    number = int.from_bytes(digest[:16], "big")
    chars = []
    for _ in range(ID_LENGTH):
        number, index = divmod(number, len(ID_ALPHABET))
        chars.append(ID_ALPHABET[index])
    return "".join(chars)


def duplicate_fields(error: ApiError) -> set[str]:
    """The fields PocketBase called not unique in `error`, e.g. ``{"team", "sha256"}``."""
    return {name for name, code in error.field_codes.items() if code == "validation_not_unique"}


_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_HEIF_BRANDS = {b"mif1", b"msf1"}


def sniff_image_type(head: bytes) -> tuple[str, str]:
    """(content type, file extension) from the first bytes of an image."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ".jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", ".webp"
    if head[4:8] == b"ftyp":
        if head[8:12] in _HEIC_BRANDS:
            return "image/heic", ".heic"
        if head[8:12] in _HEIF_BRANDS:
            return "image/heif", ".heif"
    return "application/octet-stream", ""


class PhotoSource:
    """The bytes to upload, read once in chunks, whatever form they were given in.

    `size` is known for bytes, paths and seekable files (then the request has a
    Content-Length); for a pipe it is None and the body is sent chunked. The first chunk is read
    at once, to name the file by its real type.
    """

    def __init__(
        self, file: PhotoInput, *, filename: str | None = None, chunk_size: int = CHUNK_SIZE
    ) -> None:
        self.chunk_size = chunk_size
        self._stream: IO[bytes] | None = None
        self._owned = False
        self._data: memoryview | None = None
        name = ""
        if isinstance(file, bytes | bytearray | memoryview):
            self._data = memoryview(file).cast("B")
            self.size: int | None = len(self._data)
            self._head = bytes(self._data[:chunk_size])
        else:
            if isinstance(file, str | os.PathLike):
                path = Path(file)
                self._stream = path.open("rb")
                self._owned = True
                name = path.name
            else:
                self._stream = file
                raw_name = getattr(file, "name", "")
                name = os.path.basename(raw_name) if isinstance(raw_name, str) else ""
            self.size = _remaining_size(self._stream)
            self._head = _read(self._stream, chunk_size)
        self.content_type, extension = sniff_image_type(self._head)
        self.filename = filename or name or f"photo{extension or '.bin'}"

    def chunks(self) -> Iterator[bytes]:
        """The content, start to end, `chunk_size` bytes at a time (only once)."""
        if self._data is not None:
            data = self._data
            for start in range(0, len(data), self.chunk_size):
                yield bytes(data[start : start + self.chunk_size])
            return
        assert self._stream is not None
        if self._head:
            yield self._head
        while chunk := _read(self._stream, self.chunk_size):
            yield chunk

    def close(self) -> None:
        """Close the file if this source opened it (a caller's file object stays open)."""
        if self._owned and self._stream is not None:
            self._stream.close()


def _read(stream: IO[bytes], size: int) -> bytes:
    chunk: Any = stream.read(size)
    if isinstance(chunk, str):
        raise TypeError("open the photo in binary mode ('rb'), not text mode")
    return bytes(chunk) if chunk else b""


def _remaining_size(stream: IO[bytes]) -> int | None:
    try:
        if not stream.seekable():
            return None
        position = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(position)
    except (AttributeError, OSError, ValueError):
        return None
    return max(end - position, 0)
