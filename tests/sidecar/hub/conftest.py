"""A hub served by a real uvicorn (in the test's loop) over an in-memory outbox."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from httpx_sse import ServerSentEvent, aconnect_sse
from starlette.applications import Starlette
from starlette.middleware import Middleware

from sidecar.hub import Hub, HubConfig, Principal, Update, UpdateDraft, topics_for_event

SUBSCRIBER_KEY = "subscriber-key-for-tests-0123456789abcdef"
PUBLISHER_KEY = "publisher-key-for-tests-0123456789abcdef"
TEAM_A = "teamaaaaaaaaaaa"
TEAM_B = "teambbbbbbbbbbb"
DEADLINE_S = 10.0


class MemoryLog:
    """DurableLog over a plain list. `trim` drops the oldest updates like a retention job but
    still resolves their ids, so a client that is too far behind can be told apart."""

    def __init__(self) -> None:
        self.updates: list[Update] = []
        self.trimmed: dict[str, int] = {}

    @property
    def next_seq(self) -> int:
        return self.updates[-1].seq + 1 if self.updates else 1

    async def read_after(self, seq: int, limit: int) -> Sequence[Update]:
        return [u for u in self.updates if u.seq > seq][:limit]

    async def resolve(self, event_id: str) -> int | None:
        seq = next((u.seq for u in self.updates if u.id == event_id), None)
        return self.trimmed.get(event_id) if seq is None else seq

    async def bounds(self) -> tuple[int, int]:
        if not self.updates:
            return (0, 0)
        return (self.updates[0].seq, self.updates[-1].seq)

    def trim(self, keep: int) -> None:
        for update in self.updates[:-keep]:
            self.trimmed[update.id] = update.seq
        del self.updates[:-keep]


USERS = {
    "pb-token-a-field": Principal(user="userfield000001", team=TEAM_A, role="field"),
    "pb-token-a-office": Principal(user="useroffice00001", team=TEAM_A, role="office"),
    "pb-token-b-office": Principal(user="useroffice00002", team=TEAM_B, role="office"),
}


async def resolve_user(pb_token: str) -> Principal | None:
    return USERS.get(pb_token)


@dataclass
class HubServer:
    url: str
    hub: Hub
    log: MemoryLog
    config: HubConfig
    server: uvicorn.Server
    serving: asyncio.Task[None]
    published: list[Update] = field(default_factory=list)

    async def append(self, draft: UpdateDraft) -> Update:
        """The outbox write plus the consumer's dispatch, as the sidecar does."""
        seq = self.log.next_seq
        update = Update(
            seq=seq,
            id=draft.id or str(seq),
            topics=draft.topics,
            data=draft.data,
            private=draft.private,
            type=draft.type,
            retry=draft.retry,
        )
        self.log.updates.append(update)
        self.published.append(update)
        await self.hub.dispatch(update)
        return update

    async def emit(
        self, team: str, collection: str = "jobs", record: str = "job000000000001", **data: Any
    ) -> Update:
        """An outbox event (always private) for a job or photo of `team`."""
        event = f"{collection[:-1]}.updated"
        draft = UpdateDraft(
            topics=topics_for_event(collection, record, team, data),
            data=json.dumps({"type": event, "record": record, "team": team, "data": data}),
            private=True,
            type=event,
        )
        return await self.append(draft)

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=DEADLINE_S, **kwargs)


def token(key: str = SUBSCRIBER_KEY, algorithm: str = "HS256", **mercure: Any) -> str:
    """A JWT with the given `mercure` claim; `exp` (unix seconds) pops out of it if given."""
    claims: dict[str, Any] = {"mercure": mercure}
    if "exp" in mercure:
        claims["exp"] = mercure.pop("exp")
    return jwt.encode(claims, key, algorithm=algorithm)


def team_token(team: str, **extra: Any) -> str:
    return token(subscribe=[f"/teams/{team}/{{+rest}}"], payload={"team": team}, **extra)


def publisher_token(*selectors: str) -> str:
    return token(PUBLISHER_KEY, publish=list(selectors or ["*"]))


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def make_config(**overrides: Any) -> HubConfig:
    values: dict[str, Any] = {
        "subscriber_key": SUBSCRIBER_KEY,
        "publisher_key": PUBLISHER_KEY,
        "cookie_secure": False,
        "heartbeat_s": 30.0,
    }
    values.update(overrides)
    return HubConfig(**values)


@asynccontextmanager
async def serve_hub(
    config: HubConfig | None = None,
    log: MemoryLog | None = None,
    middleware: Sequence[Middleware] = (),
) -> AsyncIterator[HubServer]:
    """Serve a hub on a free loopback port; on exit close the hub, then uvicorn."""
    config = config or make_config()
    log = log or MemoryLog()
    holder: list[HubServer] = []

    async def append(draft: UpdateDraft) -> Update:
        return await holder[0].append(draft)

    hub = Hub(config, log, append, resolve_user)
    started = asyncio.Event()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await hub.start()
        started.set()
        yield

    app = Starlette(routes=hub.routes(), lifespan=lifespan, middleware=middleware)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", http="httptools", lifespan="on", loop="none")
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    async with asyncio.timeout(DEADLINE_S):
        await started.wait()
    holder.append(HubServer(url, hub, log, config, server, task))
    try:
        yield holder[0]
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
