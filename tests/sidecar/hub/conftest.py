"""A hub served by a real uvicorn (in the test's loop) over an in-memory outbox."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from httpx_sse import ServerSentEvent, aconnect_sse
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from sidecar.events import SCOPE_CLAIM, team_selector
from sidecar.hub import Hub, HubConfig, Update, UpdateDraft
from tests.support.net import listening_socket
from tests.support.outbox import MemoryOutbox

SUBSCRIBER_KEY = "subscriber-key-for-tests-0123456789abcdef"
PUBLISHER_KEY = "publisher-key-for-tests-0123456789abcdef"
TEAM_A = "teamaaaaaaaaaaa"
TEAM_B = "teambbbbbbbbbbb"
DEADLINE_S = 10.0


@dataclass
class HubServer:
    url: str
    hub: Hub
    log: MemoryOutbox
    config: HubConfig
    server: uvicorn.Server
    serving: asyncio.Task[None]

    async def append(self, draft: UpdateDraft) -> Update:
        """A publish as the sidecar stores it (the outbox, then the hub's dispatch)."""
        return await self.log.append(draft)

    async def emit(
        self, team: str, collection: str = "jobs", record: str = "job000000000001", **data: Any
    ) -> Update:
        """A record event of `team`, as the outbox consumer hands it to the hub."""
        return await self.log.emit(team, collection, record, **data)

    @property
    def published(self) -> list[Update]:
        return self.log.published

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=DEADLINE_S, **kwargs)


def token(key: str = SUBSCRIBER_KEY, algorithm: str = "HS256", **mercure: Any) -> str:
    """A JWT with the given `mercure` claim; `exp`, `iat` and `sub` pop out of it if given."""
    claims: dict[str, Any] = {"mercure": mercure}
    for name in ("exp", "iat", "sub"):
        if name in mercure:
            claims[name] = mercure.pop(name)
    return jwt.encode(claims, key, algorithm=algorithm)


def team_token(team: str, **extra: Any) -> str:
    return token(subscribe=[team_selector(team)], payload={SCOPE_CLAIM: team}, **extra)


def publisher_token(*selectors: str) -> str:
    return token(PUBLISHER_KEY, publish=list(selectors or ["*"]))


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def make_config(**overrides: Any) -> HubConfig:
    values: dict[str, Any] = {
        "subscriber_key": SUBSCRIBER_KEY,
        "publisher_key": PUBLISHER_KEY,
        "anonymous": False,
        "heartbeat_s": 30.0,
        "history_size": 5000,
        "max_queue": 1000,
        "max_connections_per_subscriber": 16,
        "max_connections_per_ip": 10_000,
        "scope_claim": SCOPE_CLAIM,
    }
    values.update(overrides)
    return HubConfig(**values)


@asynccontextmanager
async def serve_hub(
    config: HubConfig | None = None,
    log: MemoryOutbox | None = None,
    middleware: Sequence[Middleware] = (),
    routes: Sequence[BaseRoute] = (),
) -> AsyncIterator[HubServer]:
    """Serve a hub on a free loopback port; on exit close the hub, then uvicorn."""
    config = config or make_config()
    log = log or MemoryOutbox()
    hub = log.hub = Hub(config, log, log.append)
    started = asyncio.Event()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await hub.start()
        started.set()
        yield

    app = Starlette(routes=[*routes, *hub.routes()], lifespan=lifespan, middleware=middleware)
    sock = listening_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", http="httptools", lifespan="on", loop="none")
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    async with asyncio.timeout(DEADLINE_S):
        await started.wait()
    try:
        yield HubServer(url, hub, log, config, server, task)
    finally:
        await hub.close()
        server.should_exit = True
        async with asyncio.timeout(DEADLINE_S):
            await task
        sock.close()


@pytest.fixture
async def hub_server() -> AsyncIterator[HubServer]:
    async with serve_hub() as server:
        yield server


async def take(events: AsyncIterator[ServerSentEvent], count: int) -> list[ServerSentEvent]:
    """The next `count` events of a stream (bounded wait)."""
    async with asyncio.timeout(DEADLINE_S):
        return [await anext(events) for _ in range(count)]


@asynccontextmanager
async def subscribe(
    server: HubServer,
    topics: Sequence[str] = ("*",),
    *,
    token_value: str | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    client: httpx.AsyncClient | None = None,
) -> AsyncIterator[tuple[httpx.Response, AsyncIterator[ServerSentEvent]]]:
    """An open subscription (registered with the hub once this yields) and its events."""
    query: list[tuple[str, str]] = [("topic", topic) for topic in topics]
    query += list((params or {}).items())
    all_headers = dict(headers or {})
    if token_value is not None:
        all_headers.update(bearer(token_value))
    async with contextlib.AsyncExitStack() as stack:
        if client is None:
            client = await stack.enter_async_context(server.client())
        source = await stack.enter_async_context(
            aconnect_sse(client, "GET", "/.well-known/mercure", params=query, headers=all_headers)
        )
        if source.response.status_code != 200:
            await source.response.aread()
            raise AssertionError(f"{source.response.status_code}: {source.response.text}")
        yield source.response, source.aiter_sse()
