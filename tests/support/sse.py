"""A subscriber of the sidecar's hub over real HTTP (httpx-sse), with deadlines."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import EventSource, ServerSentEvent, aconnect_sse

HUB = "/.well-known/mercure"


@dataclass
class HubStream:
    source: EventSource
    _events: AsyncIterator[ServerSentEvent]

    @property
    def headers(self) -> httpx.Headers:
        return self.source.response.headers

    async def next(self, timeout: float = 15.0) -> ServerSentEvent:
        """The next event (heartbeat comments are skipped by httpx-sse)."""
        async with asyncio.timeout(timeout):
            return await anext(self._events)

    async def next_data(self, timeout: float = 15.0) -> dict[str, Any]:
        return dict(json.loads((await self.next(timeout)).data))

    async def until(self, event_type: str, record: str, timeout: float = 30.0) -> ServerSentEvent:
        """Skip events until one of `event_type` about `record` arrives."""
        async with asyncio.timeout(timeout):
            while True:
                event = await anext(self._events)
                if event.event == event_type and json.loads(event.data)["record"]["id"] == record:
                    return event


@asynccontextmanager
async def subscribe(
    client: httpx.AsyncClient,
    topics: Sequence[str],
    *,
    token: str | None = None,
    last_event_id: str | None = None,
) -> AsyncIterator[HubStream]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    params = [("topic", topic) for topic in topics]
    async with aconnect_sse(client, "GET", HUB, params=params, headers=headers) as source:
        source.response.raise_for_status()
        events = source.aiter_sse()
        try:
            yield HubStream(source, events)
        finally:
            await events.aclose()


async def exchange_token(client: httpx.AsyncClient, pb_token: str) -> str:
    """A subscriber JWT for a PocketBase user, from the hub's token endpoint."""
    response = await client.post(f"{HUB}/token", headers={"Authorization": pb_token})
    response.raise_for_status()
    return str(response.json()["token"])
