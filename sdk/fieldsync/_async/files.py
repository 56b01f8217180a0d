"""Record files: URLs, file tokens for protected fields, streamed downloads."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx

from .._concurrency import AsyncLock
from ..auth_store import token_expiry
from ..models import Record
from .transport import AsyncTransport

__all__ = ["AsyncFileService"]

TOKEN_MARGIN = 15.0
"""Fetch a new file token when the cached one expires within this many seconds."""


def _file_path(record: Record, field: str) -> str:
    filename = getattr(record, field, None)
    if filename is None and record.model_extra:
        filename = record.model_extra.get(field)
    if not isinstance(filename, str) or not filename:
        raise ValueError(f"{type(record).__name__} {record.id!r} has no file in {field!r}")
    collection = record.collection_id or record.collection_name
    if not collection or not record.id:
        raise ValueError("the record needs its id and collection to locate its files")
    return "/api/files/" + "/".join(
        quote(part, safe="") for part in (collection, record.id, filename)
    )


class AsyncFileService:
    """Files of records (`client.files`).

    Protected file fields (``photos.file``, ``photos.thumb``) need a short-lived file token;
    `stream`, `iter_bytes` and `download` get and cache one for the logged-in user when you do
    not pass `token`.
    """

    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport
        self._token = ""
        self._token_owner = ""
        self._lock = AsyncLock()

    def url(
        self,
        record: Record,
        field: str,
        *,
        thumb: str | None = None,
        token: str | None = None,
        download: bool = False,
    ) -> str:
        """The absolute URL of the file in `record.<field>`.

        Args:
            thumb: a PocketBase thumb size such as ``"100x100"`` (image fields with thumbs
                configured). fieldsync's own WebP thumbnail is the field ``"thumb"``:
                ``files.url(photo, "thumb", token=...)``.
            token: a file token (`get_token`), required for protected fields.
            download: ask the browser to save instead of display.
        """
        query = {"thumb": thumb, "token": token, "download": "1" if download else None}
        params = urlencode({key: value for key, value in query.items() if value})
        url = self._transport.url(_file_path(record, field))
        return f"{url}?{params}" if params else url

    async def get_token(self) -> str:
        """A new file token for the logged-in user (valid for a few minutes)."""
        body = await self._transport.request("POST", "/api/files/token")
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise ValueError("PocketBase returned no file token")
        return token

    async def _cached_token(self) -> str | None:
        store = self._transport.auth_store
        if store.record is None or not store.token:
            return None
        owner = f"{store.collection}/{store.record.id}"
        async with self._lock:
            expires = token_expiry(self._token) if self._token else None
            fresh = expires is not None and expires - TOKEN_MARGIN > time.time()
            if not fresh or self._token_owner != owner:
                self._token, self._token_owner = await self.get_token(), owner
            return self._token

    @asynccontextmanager
    async def stream(
        self,
        record: Record,
        field: str,
        *,
        thumb: str | None = None,
        token: str | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """The file's response with the body unread::

        async with client.files.stream(photo, "file") as response:
            async for chunk in response.aiter_bytes():
                ...
        """
        file_token = token if token is not None else await self._cached_token()
        params = {"thumb": thumb, "token": file_token}
        async with self._transport.stream(
            "GET", _file_path(record, field), params=params, auth=False
        ) as response:
            yield response

    async def iter_bytes(
        self,
        record: Record,
        field: str,
        *,
        thumb: str | None = None,
        token: str | None = None,
        chunk_size: int | None = None,
    ) -> AsyncIterator[bytes]:
        """The file's bytes, chunk by chunk."""
        async with self.stream(record, field, thumb=thumb, token=token) as response:
            async for chunk in response.aiter_bytes(chunk_size):
                yield chunk

    async def download(
        self,
        record: Record,
        field: str,
        path: str | os.PathLike[str],
        *,
        thumb: str | None = None,
        token: str | None = None,
    ) -> Path:
        """Save the file to `path` (written to a temp name first, so `path` is never partial)."""
        target = Path(path)
        partial = target.with_name(target.name + ".part")
        try:
            with partial.open("wb") as out:
                async for chunk in self.iter_bytes(record, field, thumb=thumb, token=token):
                    out.write(chunk)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        return target
