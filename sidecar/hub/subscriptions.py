"""Mercure's subscriptions API: `GET /.well-known/mercure/subscriptions[/{topic}[/{subscriber}]]`.

As in Mercure, the requester's `mercure.subscribe` selectors must match the request URL. On
top of that, a requester with a scope (`HubConfig.scope_claim`) only sees subscribers of it.
Besides the active subscriptions, the list holds those that ended within the last hour
(`active: false`, with `until`), so a dashboard opening now can say who was here lately.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sidecar.hub.config import HubConfig
from sidecar.hub.errors import HubError, forbidden, unauthorized
from sidecar.hub.presence import CONTEXT, PATH, Presence, subscription
from sidecar.hub.subscribers import Registry, Subscriber
from sidecar.hub.tokens import COOKIE_NAME, Claims, TokenError, decode, pick_token
from sidecar.hub.topics import TopicSet

_MEDIA_TYPE = "application/ld+json"


class SubscriptionsEndpoint:
    """Lists the registry's subscriptions as Mercure's JSON-LD."""

    def __init__(self, config: HubConfig, registry: Registry, presence: Presence) -> None:
        self._config = config
        self._registry = registry
        self._presence = presence

    async def handle(self, request: Request) -> Response:
        raw_path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
        query = request.scope.get("query_string", b"").decode("latin-1")
        url = f"{raw_path}?{query}" if query else raw_path
        try:
            claims = self._authorize(request, url)
        except HubError as exc:
            return exc.response()
        segments = [unquote_plus(s) for s in raw_path.removeprefix(PATH).split("/")[1:]]
        scope = claims.scope(self._config.scope_claim)
        visible = [s for s in self._registry if scope is None or s.scope == scope]
        last_event_id = self._registry.last_id(scope)
        if len(segments) == 2:
            topic, subscriber_id = segments
            for subscriber in visible:
                if subscriber.id == subscriber_id and topic in subscriber.topics:
                    body = {"@context": CONTEXT, **_active(subscriber, topic)}
                    body["lastEventID"] = last_event_id
                    return JSONResponse(body, media_type=_MEDIA_TYPE)
            return HubError(404, "no such subscription").response()
        if len(segments) > 2 or segments == [""]:
            return HubError(404, "no such resource").response()
        wanted = segments[0] if segments else None
        subscriptions = [
            _active(subscriber, topic)
            for subscriber in visible
            for topic in subscriber.topics
            if wanted is None or topic == wanted
        ]
        subscriptions += [
            subscription(gone.subscriber, topic, gone.payload, gone.since, gone.until)
            for gone in self._presence.departed(scope)
            for topic in gone.topics
            if wanted is None or topic == wanted
        ]
        collection = {
            "@context": CONTEXT,
            "id": url,
            "type": "Subscriptions",
            "lastEventID": last_event_id,
            "subscriptions": subscriptions,
        }
        return JSONResponse(collection, media_type=_MEDIA_TYPE)

    def _authorize(self, request: Request, url: str) -> Claims:
        try:
            token = pick_token(
                request.headers.getlist("authorization"),
                request.query_params.getlist("authorization"),
                request.cookies.get(COOKIE_NAME),
            )
            if token is None:
                raise unauthorized("a subscriber token is required")
            claims = decode(token, self._config.subscriber_key)
        except TokenError as exc:
            raise unauthorized(str(exc), invalid_token=True) from exc
        if not TopicSet(claims.subscribe or ()).matches(url):
            raise forbidden("not allowed to read subscriptions")
        return claims


def _active(subscriber: Subscriber, topic: str) -> dict[str, Any]:
    return subscription(subscriber.id, topic, subscriber.payload, subscriber.since)
