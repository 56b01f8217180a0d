"""The whole system as processes: PocketBase, the sidecar with Web Push on, and a loopback push
service standing in for the browsers' (in a thread of this process), for the reliability
tests and `bench/reliability.py`.

    stack = Stack.start(tmp_path)          # PocketBase (migrated, superuser), push service, sidecar
    stack.pb.kill(); stack.pb.start()      # the processes are the suite's usual handles
    stack.processes()                      # {"pocketbase": pid, "sidecar": pid, "thumbs-1": pid...}
    stack.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import watchfiles
from watchfiles import Change

from sidecar.push.vapid import new_private_key
from tests.support.pocketbase import PocketBaseProcess
from tests.support.processes import descendants
from tests.support.push import PRODUCTION_HOSTS, vapid_public_key
from tests.support.push.service import PushService
from tests.support.sidecar import SidecarProcess

SIDECAR_ENV = {
    # Every load stream comes from 127.0.0.1 and shares one hub token per office user: lift the
    # caps that would count them as one abusive client (they are tested in tests/security/).
    "FIELDSYNC_HUB_MAX_CONNECTIONS_PER_SUBSCRIBER": "100000",
    "FIELDSYNC_HUB_MAX_CONNECTIONS_PER_IP": "100000",
    "FIELDSYNC_HUB_TOKEN_TTL_S": "3600",
    # A killed sidecar's lease and push claims lapse in seconds, not the production 10 s / 30 s.
    "FIELDSYNC_LEASE_TTL_S": "3",
    "FIELDSYNC_PUSH_CLAIM_TTL_S": "3",
}


StackFactory = Callable[..., "Stack"]
"""`make_stack(name="stack", **options)`: the reliability conftest's fixture."""


@dataclass
class Stack:
    root: Path
    pb: PocketBaseProcess
    push: PushService
    sidecar: SidecarProcess
    vapid_key: str
    sidecar_env: dict[str, str] = field(default_factory=dict)
    data_view: Path = Path()
    """PocketBase's data dir as this process reaches it (its own path, unless it is on a
    disk of its own: `SmallDisk.inside()`)."""

    @classmethod
    def start(
        cls,
        root: Path,
        *,
        pb: PocketBaseProcess | None = None,
        data_view: Path | None = None,
        sidecar_env: dict[str, str] | None = None,
    ) -> Stack:
        """Start everything in `root`; `pb` is a PocketBase not yet set up (on a disk of the
        caller's, seen here at `data_view`), by default one in `root/pb_data`."""
        root.mkdir(parents=True, exist_ok=True)
        push = PushService().start()
        hosts = f"{PRODUCTION_HOSTS},{push.url}"
        if pb is None:
            pb = PocketBaseProcess(root / "pb_data")
        pb.env["FIELDSYNC_PUSH_ALLOWED_HOSTS"] = hosts
        pb.data_dir.mkdir(parents=True, exist_ok=True)
        pb.setup()
        pb.start()
        pb.exempt_loopback()
        key = new_private_key()
        env = {
            **SIDECAR_ENV,
            "FIELDSYNC_PUSH_VAPID_PRIVATE_KEY": key,
            "FIELDSYNC_PUSH_ALLOWED_HOSTS": hosts,
            **(sidecar_env or {}),
        }
        sidecar = SidecarProcess(pb, root, port=None, **env)
        stack = cls(root, pb, push, sidecar, key, env, data_view or pb.data_dir)
        sidecar.start()
        vapid_public_key(sidecar)
        return stack

    def new_sidecar(self, pb: PocketBaseProcess) -> SidecarProcess:
        """A sidecar (not started) like this stack's, for another PocketBase (a restored one)."""
        return SidecarProcess(pb, self.root, port=None, **self.sidecar_env)

    def su(self) -> httpx.Client:
        return self.pb.superuser_client()

    def photo_storage(self) -> Path:
        """Where PocketBase keeps the photos' files (a folder per record)."""
        with self.su() as su:
            collection = su.get("/api/collections/photos").raise_for_status().json()["id"]
        return self.data_view / "storage" / str(collection)

    async def kill_pocketbase_mid_write(self, give_up: Awaitable[None]) -> str:
        """`kill -9` PocketBase at the worst moment if one comes before `give_up` is done (then
        at once): it has written a new photo's file and not committed the record. Returns the
        id of the record it was writing ("" when killed on giving up)."""
        catch = asyncio.ensure_future(self._catch_a_write())
        stop = asyncio.ensure_future(give_up)
        await asyncio.wait({catch, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if catch.done():
            return catch.result()
        catch.cancel()
        await asyncio.gather(catch, stop, return_exceptions=True)
        self.pb.kill()
        return ""

    async def _catch_a_write(self) -> str:
        """Whenever a file appears in a new record's folder (inotify, through watchfiles),
        freeze PocketBase (SIGSTOP) and look: if the file is there and its record is not in the
        database, kill it and answer the record; otherwise let it go on."""
        folder = self.photo_storage()
        async for changes in watchfiles.awatch(folder, debounce=1, step=1, watch_filter=None):
            new = {
                Path(path).parent.name
                for change, path in changes
                if change == Change.added and Path(path).parent.parent == folder
            }
            if not new:
                continue
            os.killpg(self.pb.pid, signal.SIGSTOP)
            written = {record for record in new if any((folder / record).iterdir())}
            pending = written - _committed(self.data_view / "data.db", written)
            if pending:
                self.pb.kill()
                return pending.pop()
            os.killpg(self.pb.pid, signal.SIGCONT)
        raise AssertionError("the storage watch ended")

    def processes(self) -> dict[str, int]:
        """The running processes by role: PocketBase, the sidecar, its thumbnail workers."""
        found = {}
        with contextlib.suppress(AssertionError):  # between a kill and a start
            found["pocketbase"] = self.pb.pid
        if self.sidecar.running:
            found["sidecar"] = self.sidecar.pid
            for index, pid in enumerate(sorted(descendants(self.sidecar.pid)), 1):
                found[f"sidecar child {index}"] = pid
        return found

    def stop(self) -> None:
        """Stop everything and delete PocketBase's data (the logs stay in `root`), even when
        the sidecar fails to stop (which then fails the caller)."""
        try:
            self.sidecar.stop()
        finally:
            self.pb.stop()
            self.push.stop()
            shutil.rmtree(self.pb.data_dir, ignore_errors=True)


def _committed(database: Path, records: set[str]) -> set[str]:
    """Which of `records` the photos table holds (read as any SQLite reader may)."""
    if not records:
        return set()
    db = sqlite3.connect(database, timeout=5)
    try:
        marks = ",".join("?" * len(records))
        rows = db.execute(f"SELECT id FROM photos WHERE id IN ({marks})", sorted(records))
        return {row[0] for row in rows}
    finally:
        db.close()
