"""`AsyncClient`: the entry point. Services hang off it; the transport sends."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, TypeVar, overload

import httpx

from ..auth_store import AuthStore
from ..models import (
    Consumer,
    Event,
    Job,
    PushSubscription,
    Record,
    Team,
    User,
)
from .auth import AsyncAuthService
from .backups import AsyncBackupService
from .files import AsyncFileService
from .photos import AsyncPhotoService
from .realtime import AsyncRealtimeService
from .records import AsyncRecordService
from .transport import DEFAULT_TIMEOUT, AsyncTransport, TimeoutTypes

__all__ = ["AsyncClient"]

M = TypeVar("M", bound=Record)


class AsyncClient:
    """A typed client for a fieldsync PocketBase.

    ::

        async with AsyncClient("http://127.0.0.1:8090") as client:
            await client.auth.with_password("office@example.com", "secret")
            job = await client.jobs.create({"team": team_id, "title": "Fix the gate"})
            photo = await client.photos.upload(job, "gate.jpg")
            async for event in client.jobs.subscribe():
                ...

    Args:
        base_url: PocketBase's root URL.
        timeout: httpx timeout for each request (seconds, or an `httpx.Timeout`).
        transport: an httpx transport to send through (proxies, tests).
        auth_store: share a login between clients, or persist it (see `AuthStore`).
        refresh_margin: refresh the token before a request once it expires within this many
            seconds.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        auth_store: AuthStore | None = None,
        refresh_margin: float = 300.0,
    ) -> None:
        self._transport = AsyncTransport(
            base_url,
            timeout=timeout,
            transport=transport,
            auth_store=auth_store,
            refresh_margin=refresh_margin,
        )
        self.auth = AsyncAuthService(self._transport)
        """Log in and out: `with_password`, `superuser`, `refresh`, `clear`."""
        self.files = AsyncFileService(self._transport)
        """File URLs, tokens and downloads."""
        self.realtime = AsyncRealtimeService(self._transport)
        """Realtime subscriptions to any collection."""
        self.teams = self.records("teams", Team)
        self.users = self.records("users", User)
        self.jobs = self.records("jobs", Job)
        self.photos = AsyncPhotoService(self._transport, self.jobs)
        """Photos, with `upload()`."""
        self.push_subscriptions = self.records("push_subscriptions", PushSubscription)
        self.events = self.records("events", Event)
        """The outbox (superusers only)."""
        self.consumers = self.records("consumers", Consumer)
        """Outbox consumers' cursors and leases (superusers only)."""
        self.backups = AsyncBackupService(self._transport, self.files)
        """Server backups: list, create, download, restore (superusers only)."""

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    @property
    def auth_store(self) -> AuthStore:
        return self._transport.auth_store

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r}, {self.auth_store!r})"

    @overload
    def records(self, collection: str) -> AsyncRecordService[Record]: ...

    @overload
    def records(self, collection: str, model: type[M]) -> AsyncRecordService[M]: ...

    def records(
        self, collection: str, model: type[Record] = Record
    ) -> AsyncRecordService[Record] | AsyncRecordService[M]:
        """The records of any collection, parsed as `model` (default: plain `Record`)."""
        return AsyncRecordService(self._transport, collection, model)

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """Call any API route with this client's auth, e.g. a custom `pb_hooks` route::

            await client.send("POST", "/api/fieldsync/consumers/sidecar/lease", json={...})

        Returns the decoded JSON body (None when empty); raises `ApiError` or `TransportError`.
        """
        return await self._transport.request(method, path, params=params, json=json)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
