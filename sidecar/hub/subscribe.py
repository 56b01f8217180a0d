"""`GET /.well-known/mercure`: the SSE stream, a raw ASGI app (no StreamingResponse).

The subscriber is registered before history is read: updates after the registration seq are
kept for it by its group while it replays up to that seq, then the pump sends it the rest.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import HTTPConnection
from starlette.types import Receive, Scope, Send

from sidecar.hub.config import HubConfig
from sidecar.hub.errors import HubError, bad_request, forbidden, unauthorized
from sidecar.hub.history import History
from sidecar.hub.subscribers import Interest, Registry, Subscriber
from sidecar.hub.templates import TemplateError, is_template
from sidecar.hub.tokens import COOKIE_NAME, Claims, TokenError, decode, pick_token
from sidecar.hub.topics import MAX_TOPIC_LENGTH, MAX_TOPICS, WILDCARD, TopicSet

_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"private, no-cache, no-store, must-revalidate, max-age=0"),
    (b"x-accel-buffering", b"no"),
]
_OPENING = b":\n\n"

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Request:
    topics: tuple[str, ...]
    claims: Claims | None
    last_event_id: str | None


class SubscribeEndpoint:
    """The ASGI app behind `GET /.well-known/mercure`."""

    def __init__(
        self,
        config: HubConfig,
        registry: Registry,
        history: History,
        is_open: Callable[[], bool],
    ) -> None:
        self._config = config
        self._registry = registry
        self._history = history
        self._is_open = is_open

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            if not self._is_open():
                raise HubError(503, "the hub is not running")
            request = self._read(HTTPConnection(scope))
        except HubError as exc:
            await exc.response()(scope, receive, send)
            return
        if scope["method"] == "HEAD":
            await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
            await send({"type": "http.response.body", "body": b""})
            return
        await self._stream(request, scope, receive, send)

    def _read(self, conn: HTTPConnection) -> _Request:
        try:
            token = pick_token(
                conn.headers.getlist("authorization"),
                conn.query_params.getlist("authorization"),
                conn.cookies.get(COOKIE_NAME),
            )
            claims = None if token is None else decode(token, self._config.subscriber_key)
        except TokenError as exc:
            raise unauthorized(str(exc), invalid_token=True) from exc
        if claims is None and not self._config.anonymous:
            raise unauthorized("a subscriber token is required")
        topics = tuple(conn.query_params.getlist("topic"))
        _check_topics(topics, claims)
        last_event_id = conn.headers.get("last-event-id") or conn.query_params.get("lastEventID")
        return _Request(topics, claims, last_event_id or None)

    async def _stream(self, request: _Request, scope: Scope, receive: Receive, send: Send) -> None:
        claims = request.claims
        subscriber = Subscriber(
            id=f"urn:uuid:{uuid.uuid4()}",
            topics=request.topics,
            payload=None if claims is None else claims.payload,
            scope=None if claims is None else claims.scope(self._config.scope_claim),
            send=send,
            wake=self._registry.wake,
        )
        selectors = None if claims is None else frozenset(claims.subscribe or ())
        group = self._registry.add(subscriber, Interest(frozenset(request.topics), selectors))
        upto = subscriber.sent_upto
        task = subscriber.task = asyncio.current_task()
        if claims is not None and claims.expires_at is not None:
            loop = asyncio.get_running_loop()
            at = loop.time() + max(0.0, claims.expires_at - time.time())
            subscriber.expiry = loop.call_at(at, subscriber.close, "expired")
        logger.info(
            "subscriber connected",
            extra={"subscriber": subscriber.id, "topic": request.topics, "seq": upto},
        )
        started = False
        try:
            headers = list(_HEADERS)
            plan = None
            if request.last_event_id is not None:
                plan = await self._history.plan(request.last_event_id, upto, group.accepts)
                headers.append((b"last-event-id", plan.header.encode()))
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            started = True
            await send({"type": "http.response.body", "body": _OPENING, "more_body": True})
            if plan is not None and plan.after is not None:
                async for batch in self._history.updates(plan.after, upto):
                    await subscriber.send_history([u for u in batch if group.accepts(u)])
                subscriber.sent_upto = max(upto, plan.after)
            subscriber.go_live()
            while (await receive())["type"] != "http.disconnect":
                pass
        except asyncio.CancelledError:
            if not subscriber.closed or task is None:
                raise
            task.uncancel()
        finally:
            subscriber.task = None
            self._registry.remove(subscriber)
            subscriber.close("disconnected")
            if started:
                await subscriber.finish()
        if not started:
            await HubError(503, "the hub is shutting down").response()(scope, receive, send)


def _check_topics(topics: tuple[str, ...], claims: Claims | None) -> None:
    if not topics:
        raise bad_request('missing "topic" parameter')
    if len(topics) > MAX_TOPICS:
        raise bad_request(f'more than {MAX_TOPICS} "topic" parameters')
    allowed = None if claims is None else TopicSet(claims.subscribe or ())
    for topic in topics:
        if len(topic) > MAX_TOPIC_LENGTH:
            raise bad_request(f"topic longer than {MAX_TOPIC_LENGTH} characters")
        try:
            template = topic == WILDCARD or is_template(topic)
        except TemplateError as exc:
            raise bad_request(f"topic {topic!r}: {exc}") from exc
        if not template and allowed is not None and not allowed.matches(topic):
            raise forbidden(f"not allowed to subscribe to {topic!r}")
