"""Realtime subscriptions over PocketBase's SSE endpoint, reconnecting by themselves.

Protocol: ``GET /api/realtime`` opens the stream and sends ``PB_CONNECT`` with a
``clientId``; ``POST /api/realtime {"clientId", "subscriptions": [key]}`` (with the auth
header) subscribes; messages then arrive named after the key with data
``{"action", "record"}``.

Each subscription owns its connection and reads it only while you wait for the next event
(messages queue in the socket meanwhile), so several subscriptions on one client never share
state. PocketBase sends no heartbeats, closes idle streams after about 5 minutes and never
replays what was sent while a client was away: a subscription reconnects and re-subscribes by
itself (exponential backoff with jitter), and `connects` counts the connections, so a caller
that must not miss changes can re-read over REST when it grows.
"""

from __future__ import annotations

import random
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import AsyncExitStack, suppress
from types import TracebackType
from typing import Any, Generic, Self, TypeVar, overload

import httpx
from httpx_sse import ServerSentEvent

from .._concurrency import asleep
from ..backoff import Backoff
from ..errors import ApiError, SubscriptionTimeout, TransportError
from ..models import COLLECTION_MODELS, RealtimeEvent, Record
from ..topics import CONNECT_EVENT, parse_client_id, parse_message, subscription_key
from .transport import AsyncTransport

__all__ = ["AsyncRealtimeService", "AsyncSubscription"]

M = TypeVar("M", bound=Record)

REALTIME_PATH = "/api/realtime"


def _retryable(error: ApiError) -> bool:
    # 404: the server forgot our client id (it restarted between GET and POST).
    return error.status >= 500 or error.status in (404, 429)


class AsyncSubscription(Generic[M]):
    """Typed realtime events of one topic: iterate it, and enter it to connect first.

    ::

        async with client.jobs.subscribe() as events:   # connected and subscribed here
            async for event in events:
                print(event.action, event.record.title)

    Args:
        max_idle: raise `SubscriptionTimeout` when one wait for the next event lasts longer
            than this many seconds (reconnects included); None waits forever.
        backoff: reconnect delays (default: `Backoff()`, 0.25 s doubling up to 30 s).
    """

    def __init__(
        self,
        transport: AsyncTransport,
        collection: str,
        model: type[M],
        topic: str = "*",
        *,
        filter: str | None = None,
        expand: str | None = None,
        max_idle: float | None = None,
        backoff: Backoff | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.key = subscription_key(collection, topic, filter=filter, expand=expand)
        self.collection = collection
        self.model = model
        self.max_idle = max_idle
        self.backoff = backoff or Backoff()
        self.client_id = ""
        self.connects = 0
        """Connections made so far; more than 1 means events may have been missed."""
        self._transport = transport
        self._rand = rand
        self._stack: AsyncExitStack | None = None
        self._events: AsyncGenerator[ServerSentEvent, None] | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r}, connects={self.connects})"

    @property
    def connected(self) -> bool:
        return self._events is not None

    def _timeout(self) -> httpx.Timeout:
        # No read timeout: PocketBase is silent while nothing changes (unless max_idle).
        base = self._transport.timeout
        return httpx.Timeout(
            connect=base.connect, read=self.max_idle, write=base.write, pool=base.pool
        )

    async def connect(self) -> None:
        """Open the stream and subscribe now (otherwise the first wait does it)."""
        if self._closed:
            raise RuntimeError("the subscription is closed")
        if self._events is None:
            await self._open()

    async def _open(self) -> None:
        stack = AsyncExitStack()
        try:
            source = await stack.enter_async_context(
                self._transport.connect_sse(REALTIME_PATH, timeouts=self._timeout())
            )
            events = self._transport.iter_sse(source)
            stack.push_async_callback(events.aclose)
            first = await anext(events, None)
            if first is None or first.event != CONNECT_EVENT:
                raise TransportError("realtime stream did not start with PB_CONNECT")
            try:
                client_id = parse_client_id(first.data)
            except ValueError as exc:
                raise TransportError(f"bad PB_CONNECT message: {exc}") from exc
            await self._transport.request(
                "POST", REALTIME_PATH, json={"clientId": client_id, "subscriptions": [self.key]}
            )
        except BaseException:
            await stack.aclose()
            raise
        self._stack, self._events, self.client_id = stack, events, client_id
        self.connects += 1

    async def _drop(self) -> None:
        stack, self._stack, self._events = self._stack, None, None
        if stack is not None:
            with suppress(TransportError, ApiError):
                await stack.aclose()

    async def next(self) -> RealtimeEvent[M]:
        """Wait for the next event of this subscription, reconnecting as needed.

        Raises `SubscriptionTimeout` past `max_idle`, `StopAsyncIteration` if the subscription
        is closed meanwhile, and `ApiError` when PocketBase refuses the subscription (e.g. 403).
        """
        if self._closed:
            raise RuntimeError("the subscription is closed")
        deadline = None if self.max_idle is None else time.monotonic() + self.max_idle
        attempt = 0
        failure: Exception | None = None
        while True:
            try:
                if self._events is None:
                    await self._open()
                    attempt = 0
                assert self._events is not None
                message = await anext(self._events, None)
            except TransportError as exc:
                failure = exc
            except ApiError as exc:
                if not _retryable(exc):
                    await self._drop()
                    raise
                failure = exc
            else:
                if message is not None:
                    event = parse_message(message.event, message.data, self.key, self.model)
                    if event is not None:
                        return event
                    continue
                failure = None  # the server ended the stream (idle close, shutdown)
            await self._drop()
            if self._closed:  # closed while waiting
                raise StopAsyncIteration
            if failure is None and attempt == 0:
                attempt = 1  # reconnect at once after a clean close, back off if it repeats
                continue
            delay = self.backoff.delay(attempt, self._rand())
            attempt += 1
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SubscriptionTimeout(
                        f"no event on {self.key} within {self.max_idle} s"
                    ) from failure
                delay = min(delay, remaining)
            await asleep(delay)

    async def aclose(self) -> None:
        """Unsubscribe by closing the stream (PocketBase forgets the client)."""
        self._closed = True
        await self._drop()

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> RealtimeEvent[M]:
        if self._closed:
            raise StopAsyncIteration
        return await self.next()


class AsyncRealtimeService:
    """Creates realtime subscriptions (`client.realtime`); see `AsyncSubscription`."""

    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport

    @overload
    def subscribe(
        self,
        collection: str,
        topic: str = "*",
        *,
        model: type[M],
        filter: str | None = None,
        expand: str | None = None,
        max_idle: float | None = None,
        backoff: Backoff | None = None,
    ) -> AsyncSubscription[M]: ...

    @overload
    def subscribe(
        self,
        collection: str,
        topic: str = "*",
        *,
        model: None = None,
        filter: str | None = None,
        expand: str | None = None,
        max_idle: float | None = None,
        backoff: Backoff | None = None,
    ) -> AsyncSubscription[Record]: ...

    def subscribe(
        self,
        collection: str,
        topic: str = "*",
        *,
        model: type[Any] | None = None,
        filter: str | None = None,
        expand: str | None = None,
        max_idle: float | None = None,
        backoff: Backoff | None = None,
    ) -> AsyncSubscription[Any]:
        """Subscribe to changes of `collection`: every record (``"*"``) or one record id.

        Events are parsed as `model`, by default the collection's model when fieldsync knows
        it (``"jobs"`` -> `Job`) and `Record` otherwise. PocketBase applies the collection's
        list/view rule for the logged-in user to every event, and `filter` on top.
        """
        resolved = model or COLLECTION_MODELS.get(collection, Record)
        return AsyncSubscription(
            self._transport,
            collection,
            resolved,
            topic,
            filter=filter,
            expand=expand,
            max_idle=max_idle,
            backoff=backoff,
        )
