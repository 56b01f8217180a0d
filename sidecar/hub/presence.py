"""Mercure's subscription events: who connects and who leaves, as updates.

When a subscriber connects or disconnects, the hub publishes, for each of its topics, a private
update on `/.well-known/mercure/subscriptions/{topic}/{subscriber}` whose data is Mercure's
JSON-LD `Subscription` (`active` true or false, the subscriber's token `payload`). fieldsync adds
`since` (when the stream opened) and, once it is gone, `until`. The update carries the
subscriber's scope, so it reaches only subscribers of the same scope whose selectors allow the
subscriptions topic. It is ephemeral (seq 0: never stored, never replayed) and travels over
the `Bus` like any update, so with several hub processes everyone hears of every connection.

Subscribers that left within the last hour are remembered, so the subscriptions API can tell a
dashboard that opens now who was here a moment ago ("last seen").
"""

from __future__ import annotations

import json
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

from sidecar.hub.subscribers import Subscriber
from sidecar.hub.updates import Update

PATH = "/.well-known/mercure/subscriptions"
CONTEXT = "https://mercure.rocks/"
REMEMBER_S = 3600.0
"""How long a departed subscription stays in the subscriptions API (as inactive)."""
MAX_DEPARTED = 2000


@dataclass(frozen=True, slots=True)
class Departed:
    subscriber: str
    topics: tuple[str, ...]
    payload: Any
    scope: str | None
    since: float
    until: float


def subscription(
    subscriber: str, topic: str, payload: Any, since: float, until: float | None = None
) -> dict[str, Any]:
    """Mercure's `Subscription` object (without `@context`), with `since` and `until`."""
    item: dict[str, Any] = {
        "id": f"{PATH}/{quote_plus(topic, safe='')}/{quote_plus(subscriber, safe='')}",
        "type": "Subscription",
        "subscriber": subscriber,
        "topic": topic,
        "active": until is None,
        "since": _iso(since),
    }
    if until is not None:
        item["until"] = _iso(until)
    if payload is not None:
        item["payload"] = payload
    return item


class Presence:
    """Builds the subscription updates, and remembers who left lately."""

    def __init__(self, *, scoped: bool) -> None:
        self._scoped = scoped
        self._departed: deque[Departed] = deque(maxlen=MAX_DEPARTED)

    def connected(self, subscriber: Subscriber) -> list[Update]:
        return self._updates(subscriber, until=None)

    def disconnected(self, subscriber: Subscriber) -> list[Update]:
        until = time.time()
        if self._announced(subscriber):
            self._departed.append(
                Departed(
                    subscriber.id,
                    subscriber.topics,
                    subscriber.payload,
                    subscriber.scope,
                    subscriber.since,
                    until,
                )
            )
        return self._updates(subscriber, until=until)

    def departed(self, scope: str | None) -> Iterator[Departed]:
        """Subscriptions of `scope` (every scope for None) that ended within `REMEMBER_S`."""
        horizon = time.time() - REMEMBER_S
        while self._departed and self._departed[0].until < horizon:
            self._departed.popleft()
        return (gone for gone in self._departed if scope is None or gone.scope == scope)

    def _announced(self, subscriber: Subscriber) -> bool:
        """Subscribers without a scope are not announced on a scoped hub: their update would
        reach every scope."""
        return not self._scoped or subscriber.scope is not None

    def _updates(self, subscriber: Subscriber, until: float | None) -> list[Update]:
        if not self._announced(subscriber):
            return []
        updates = []
        for topic in subscriber.topics:
            item = subscription(subscriber.id, topic, subscriber.payload, subscriber.since, until)
            updates.append(
                Update(
                    seq=0,
                    id=f"urn:uuid:{uuid.uuid4()}",
                    topics=(item["id"],),
                    data=json.dumps({"@context": CONTEXT, **item}, separators=(",", ":")),
                    private=True,
                    scope=subscriber.scope,
                )
            )
        return updates


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
