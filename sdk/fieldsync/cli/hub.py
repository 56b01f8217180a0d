"""The sidecar's hub from the CLI: token exchange, a reconnecting subscription, hub calls.

`HubFeed` yields `Connected` each time a stream opens and `HubEvent` for each update. It trades
the PocketBase login for a subscriber JWT (``POST /.well-known/mercure/token``), renews it
before it expires, sends ``Last-Event-ID`` on every reconnect (the hub replays what was missed
from the outbox) and backs off while the hub is down or not ready (503).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import SSEError, aconnect_sse

from .._async.client import AsyncClient
from .._async.transport import map_httpx_errors
from ..backoff import Backoff
from ..errors import TransportError, api_error
from .errors import fail

__all__ = ["Connected", "HubEvent", "HubFeed", "describe_wait", "hub_request"]

HUB_PATH = "/.well-known/mercure"
READ_TIMEOUT_S = 90.0
"""Reconnect when the hub sends nothing (not even a heartbeat) for this long."""
RENEW_MARGIN_S = 60.0
"""Renew the subscriber token this long before it expires (at most half its life)."""
REFRESH_MARGIN_S = 300.0


@dataclass(frozen=True)
class Connected:
    """A stream opened, resuming after `last_event_id` (None: from now). `missed` is True when
    the hub can no longer replay everything since then (it answered ``earliest``)."""

    last_event_id: str | None
    missed: bool
    reconnect: bool


@dataclass(frozen=True)
class HubEvent:
    """One update: its id (the outbox seq), its type (``photo.ready``...) and decoded data."""

    id: str
    type: str
    data: Any


class _Retry(Exception):
    """The hub is unavailable for now: back off and reconnect."""


def _http(timeout: httpx.Timeout) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=timeout, headers={"Accept": "application/json"})


async def hub_request(client: AsyncClient, hub_url: str, method: str, path: str) -> Any:
    """Call a hub route with the PocketBase login (``Authorization: <token>``); JSON back.

    Raises the SDK's `ApiError` (by status) or `TransportError` like PocketBase calls do.
    """
    await _fresh_login(client)
    url = hub_url.rstrip("/") + path
    async with _http(httpx.Timeout(30.0, connect=10.0)) as http:
        with map_httpx_errors(url):
            response = await http.request(method, url, headers={"Authorization": client.auth.token})
    body = _json(response)
    if response.is_error:
        raise api_error(response.status_code, body, url)
    return body


async def _fresh_login(client: AsyncClient) -> None:
    if client.auth_store.expires_within(REFRESH_MARGIN_S):
        await client.auth.refresh()


class HubFeed:
    """Updates of `topics` from the hub at `hub_url`, for the logged-in user, forever.

    Args:
        last_event_id: where to resume (an id from an earlier run), or None to start now.
        on_wait: told why and for how long the feed waits before reconnecting.
    """

    def __init__(
        self,
        client: AsyncClient,
        hub_url: str,
        topics: list[str],
        *,
        last_event_id: str | None = None,
        backoff: Backoff | None = None,
        on_wait: Callable[[str, float], None] = lambda reason, delay: None,
    ) -> None:
        self._client = client
        self._url = hub_url.rstrip("/") + HUB_PATH
        self._topics = topics
        self.last_event_id = last_event_id
        self._backoff = backoff or Backoff(initial=0.5, maximum=15.0)
        self._on_wait = on_wait
        self._token = ""
        self._renew_at = 0.0
        self._connects = 0

    async def _exchange(self, http: httpx.AsyncClient) -> None:
        """A new subscriber JWT for the PocketBase login."""
        await _fresh_login(self._client)
        url = self._url + "/token"
        with map_httpx_errors(url):
            response = await http.post(url, headers={"Authorization": self._client.auth.token})
        if response.status_code in (401, 403):
            fail(f"the hub at {self._url} refused your login: run `fieldsync login` again")
        if response.status_code >= 500 or response.status_code == 429:
            raise _Retry(f"hub token endpoint answered {response.status_code}")
        if response.is_error:
            raise api_error(response.status_code, _json(response), url)
        body = response.json()
        expires = float(body["expires"])
        lifetime = max(expires - time.time(), 0.0)
        self._token = str(body["token"])
        self._renew_at = time.monotonic() + lifetime - min(RENEW_MARGIN_S, lifetime / 2)

    def __aiter__(self) -> AsyncIterator[Connected | HubEvent]:
        return self._run()

    async def _run(self) -> AsyncIterator[Connected | HubEvent]:
        attempt = 0
        timeout = httpx.Timeout(30.0, connect=10.0, read=READ_TIMEOUT_S)
        async with _http(timeout) as http:
            while True:
                try:
                    async for item in self._stream(http):
                        attempt = 0
                        yield item
                    reason = "the hub closed the stream"
                except _Retry as exc:
                    reason = str(exc)
                except TransportError as exc:
                    reason = exc.message
                if attempt == 0 and reason == "the hub closed the stream":
                    attempt = 1  # reconnect at once after a clean close
                    continue
                delay = self._backoff.delay(attempt, random.random())
                attempt += 1
                self._on_wait(reason, delay)
                await asyncio.sleep(delay)

    async def _stream(self, http: httpx.AsyncClient) -> AsyncIterator[Connected | HubEvent]:
        if not self._token or time.monotonic() >= self._renew_at:
            await self._exchange(http)
        headers = {"Authorization": f"Bearer {self._token}"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        params = [("topic", topic) for topic in self._topics]
        with map_httpx_errors(self._url):
            try:
                async with aconnect_sse(
                    http, "GET", self._url, params=params, headers=headers
                ) as source:
                    response = source.response
                    if response.status_code == 401:
                        self._token = ""  # expired or the key changed: exchange again
                        raise _Retry("the hub refused the subscriber token")
                    if response.status_code >= 500 or response.status_code == 429:
                        raise _Retry(f"the hub answered {response.status_code} (not ready?)")
                    if response.is_error:
                        await response.aread()
                        raise api_error(response.status_code, _json(response), self._url)
                    echoed = response.headers.get("last-event-id")
                    self._connects += 1
                    yield Connected(
                        self.last_event_id,
                        missed=self.last_event_id is not None and echoed == "earliest",
                        reconnect=self._connects > 1,
                    )
                    events = source.aiter_sse()
                    while True:
                        try:
                            async with asyncio.timeout(self._renew_at - time.monotonic()):
                                sse = await anext(events, None)
                        except TimeoutError:
                            self._token = ""  # renew, then resume from the last id at once
                            return
                        if sse is None:
                            return
                        if sse.id:
                            self.last_event_id = sse.id
                        yield HubEvent(sse.id, sse.event, _decode(sse.data))
            except SSEError as exc:
                raise _Retry(f"not an event stream: {exc}") from exc


def _json(response: httpx.Response) -> Any:
    """The decoded JSON body; None when empty or not JSON (a proxy's HTML page)."""
    try:
        return response.json()
    except ValueError:
        return None


def _decode(data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data


def describe_wait(reason: str, delay: float) -> str:
    """The notice printed while the feed waits to reconnect."""
    return f"hub: {reason}; reconnecting in {delay:.1f} s"
