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
from sidecar.hub.errors import HubError, bad_request, forbidden, too_many, unauthorized
from sidecar.hub.history import History
from sidecar.hub.subscribers import Interest, Registry, Subscriber
from sidecar.hub.templates import TemplateError, is_template
from sidecar.hub.tokens import COOKIE_NAME, Claims, TokenError, decode, pick_token
from sidecar.hub.topics import MAX_TOPIC_LENGTH, WILDCARD, TopicSet

_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"private, no-cache, no-store, must-revalidate, max-age=0"),
    (b"x-accel-buffering", b"no"),
]
_OPENING = b":\n\n"

logger = logging.getLogger(__name__)


MAX_EVENT_ID_LENGTH = 1024
_BUSY_RETRY_S = 10


@dataclass(frozen=True, slots=True)
class _Request:
    topics: tuple[str, ...]
    claims: Claims | None
    last_event_id: str | None
    client: str | None


class SubscribeEndpoint:
    """The ASGI app behind `GET /.well-known/mercure`."""

    def __init__(
        self,
        config: HubConfig,
        registry: Registry,
        history: History,
        is_open: Callable[[], bool],
        announce: Callable[[Subscriber, bool], None],
    ) -> None:
        self._config = config
        self._registry = registry
        self._history = history
        self._is_open = is_open
        self._announce = announce

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
        if (
            claims is not None
            and claims.subject is not None
            and self._registry.is_revoked(claims.subject, claims.issued_at)
        ):
            raise unauthorized("this token was revoked: get a new one", invalid_token=True)
        topics = tuple(conn.query_params.getlist("topic"))
        _check_topics(topics, claims, self._config)
        last_event_id = conn.headers.get("last-event-id") or conn.query_params.get("lastEventID")
        _check_event_id(last_event_id)
        client = conn.client.host if conn.client else None
        self._check_connections(claims, client)
        return _Request(topics, claims, last_event_id or None, client)

    def _check_connections(self, claims: Claims | None, client: str | None) -> None:
        config, registry = self._config, self._registry
        subject = None if claims is None else claims.subject
        if subject is not None and (
            registry.connections(subject=subject) >= config.max_connections_per_subscriber
        ):
            raise too_many(
                f"more than {config.max_connections_per_subscriber} open streams for this "
                "subscriber",
                _BUSY_RETRY_S,
            )
        if client is not None and registry.connections(client=client) >= (
            config.max_connections_per_ip
        ):
            raise too_many(
                f"more than {config.max_connections_per_ip} open streams from this address",
                _BUSY_RETRY_S,
            )

    async def _stream(self, request: _Request, scope: Scope, receive: Receive, send: Send) -> None:
        claims = request.claims
        subscriber = Subscriber(
            id=f"urn:uuid:{uuid.uuid4()}",
            topics=request.topics,
            payload=None if claims is None else claims.payload,
            scope=None if claims is None else claims.scope(self._config.scope_claim),
            subject=None if claims is None else claims.subject,
            issued_at=None if claims is None else claims.issued_at,
            client=request.client,
            send=send,
            wake=self._registry.wake,
        )
        selectors = None if claims is None else frozenset(claims.subscribe or ())
        group = self._registry.add(
            subscriber, Interest(frozenset(request.topics), selectors, subscriber.scope)
        )
        upto = self._registry.last_seq  # replay up to here; live delivery takes over after
        task = subscriber.task = asyncio.current_task()
        if claims is not None and claims.expires_at is not None:
            loop = asyncio.get_running_loop()
            at = loop.time() + max(0.0, claims.expires_at - time.time())
            subscriber.expiry = loop.call_at(at, subscriber.close, "expired")
        self._announce(subscriber, True)
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
                    await subscriber.send_history(group.replay(batch))
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
            self._announce(subscriber, False)
            subscriber.close("disconnected")
            if started:
                await subscriber.finish()
        if not started:
            await HubError(503, "the hub is shutting down").response()(scope, receive, send)


def _check_event_id(event_id: str | None) -> None:
    """A last event id is `earliest`, an id the hub gave (ASCII digits) or a publisher's id."""
    if event_id is None:
        return
    if len(event_id) > MAX_EVENT_ID_LENGTH:
        raise bad_request(f"Last-Event-ID longer than {MAX_EVENT_ID_LENGTH} characters")
    if event_id.isdigit() and not event_id.isascii():
        raise bad_request("Last-Event-ID: a sequence number is made of ASCII digits (0-9)")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in event_id):
        raise bad_request("Last-Event-ID must not contain control characters")


def _check_topics(topics: tuple[str, ...], claims: Claims | None, config: HubConfig) -> None:
    """Refuse what costs more than it may, cheapest checks first: nothing is compiled for a
    request that is too big, nor for a template outside the caller's selectors."""
    if not topics:
        raise bad_request('missing "topic" parameter')
    if len(topics) > config.max_topics:
        raise bad_request(f'more than {config.max_topics} "topic" parameters')
    allowed = None if claims is None else TopicSet(claims.subscribe or ())
    for topic in topics:
        if topic == WILDCARD:
            continue
        if "{" not in topic:
            if len(topic) > MAX_TOPIC_LENGTH:
                raise bad_request(f"topic longer than {MAX_TOPIC_LENGTH} characters")
            if allowed is not None and not allowed.matches(topic):
                raise forbidden(f"not allowed to subscribe to {topic!r}")
            continue
        if len(topic) > config.max_template_length:
            raise bad_request(f"URI template longer than {config.max_template_length} characters")
        if topic.count("{") > config.max_template_expressions:
            raise bad_request(
                f"URI template with more than {config.max_template_expressions} expressions"
            )
        if allowed is not None and not allowed.may_overlap(topic):
            raise forbidden(f"not allowed to subscribe to {topic!r}")
        try:
            template = is_template(topic)
        except TemplateError as exc:
            raise bad_request(f"topic {topic!r}: {exc}") from exc
        if not template and allowed is not None and not allowed.matches(topic):
            raise forbidden(f"not allowed to subscribe to {topic!r}")
