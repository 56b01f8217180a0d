"""Backups as an operator takes and restores them, through PocketBase's backup API: one made
now, downloaded, and restored into a fresh PocketBase (what moving to a new machine is).
"""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path

import httpx
from fieldsync import AsyncClient

from tests.support.pocketbase import PocketBaseProcess
from tests.support.waiting import wait_for


async def take_backup(
    pb: PocketBaseProcess, name: str, into: Path, *, when: Awaitable[None] | None = None
) -> Path:
    """Make backup `name` on `pb` (the SDK, as a superuser) and download it into `into`. With
    `when`, log in first and start the backup the moment `when` is done."""
    async with AsyncClient(pb.url, timeout=300) as client:
        await client.auth.superuser(pb.superuser_email, pb.superuser_password)
        if when is not None:
            await when
        await client.backups.create(name)
        return await client.backups.download(name, into / name)


def restore_into(fresh: PocketBaseProcess, backup: Path, original: PocketBaseProcess) -> None:
    """Upload `backup` to the running `fresh` PocketBase and restore it there; returns once it
    has restarted on the restored data, whose superuser (`original`'s) it is then given."""
    with fresh.superuser_client() as su:
        with backup.open("rb") as file:
            su.post(
                "/api/backups/upload", files={"file": (backup.name, file, "application/zip")}
            ).raise_for_status()
        su.post(f"/api/backups/{backup.name}/restore").raise_for_status()
    fresh.superuser_email = original.superuser_email
    fresh.superuser_password = original.superuser_password

    def restored() -> bool:
        try:
            fresh.superuser_token()
        except httpx.HTTPError:
            return False
        return True

    wait_for(restored, timeout=60, interval=0.1, what="PocketBase to restart on the backup")
