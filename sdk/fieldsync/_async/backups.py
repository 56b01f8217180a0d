"""PocketBase's backups (`client.backups`, superusers only): list, create, download, restore."""

from __future__ import annotations

import builtins
import os
from pathlib import Path
from urllib.parse import quote

from ..models import Backup
from .files import AsyncFileService
from .transport import AsyncTransport

__all__ = ["AsyncBackupService"]

BACKUPS_PATH = "/api/backups"


class AsyncBackupService:
    """Backups of the whole server (``pb_data`` as a zip), through PocketBase's backup API.

    Every call needs a superuser login. `restore` makes PocketBase replace its data and restart
    itself: requests fail for a moment afterwards.
    """

    def __init__(self, transport: AsyncTransport, files: AsyncFileService) -> None:
        self._transport = transport
        self._files = files

    def _path(self, key: str) -> str:
        if not key:
            raise ValueError("a backup name is required")
        return f"{BACKUPS_PATH}/{quote(key, safe='')}"

    async def list(self) -> builtins.list[Backup]:
        """Every backup, newest first."""
        body = await self._transport.request("GET", BACKUPS_PATH)
        backups = [Backup.model_validate(item) for item in body or []]
        return sorted(backups, key=lambda b: (b.modified is not None, b.modified), reverse=True)

    async def create(self, name: str | None = None) -> None:
        """Make a backup now, named `name` (``[a-z0-9_-]+.zip``) or after the time."""
        await self._transport.request("POST", BACKUPS_PATH, json={"name": name} if name else {})

    async def download(self, key: str, path: str | os.PathLike[str]) -> Path:
        """Save backup `key` to `path` (through a temp name, so `path` is never partial)."""
        target = Path(path)
        partial = target.with_name(target.name + ".part")
        token = await self._files.get_token()
        try:
            with partial.open("wb") as out:
                async with self._transport.stream(
                    "GET", self._path(key), params={"token": token}, auth=False
                ) as response:
                    async for chunk in response.aiter_bytes():
                        out.write(chunk)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        return target

    async def restore(self, key: str) -> None:
        """Replace the server's data with backup `key`; PocketBase restarts to load it."""
        await self._transport.request("POST", f"{self._path(key)}/restore")
