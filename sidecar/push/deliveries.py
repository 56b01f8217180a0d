"""Deliveries kept in PocketBase (`push_deliveries`, routes in `pb_hooks/lib/push.js`).

One row per (event, subscription) is the sent-marker: planning an event again records nothing
new, so a replayed event is not pushed twice. A row is claimed by one sidecar for a while (the
holder renews its claims); when the holder stops, another takes the row over and sends it. The
row ends `sent` or `failed`; a retry leaves it `pending` with a later `next_at`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from fieldsync.models import format_datetime, parse_datetime

from sidecar.push.messages import Message
from sidecar.session import SuperuserSession

ROUTES = "/api/fieldsync/push/deliveries"
PLAN_CHUNK = 250
"""Deliveries recorded per request (PocketBase takes at most 5000): the first are sent while
the next are recorded."""


@dataclass(frozen=True, slots=True)
class Target:
    """A browser's push subscription."""

    subscription: str
    endpoint: str
    p256dh: str
    auth: str


@dataclass(slots=True)
class Delivery:
    """One message to one subscription, as a sender holds it."""

    id: str
    event: int
    target: Target
    message: Message
    created: float
    """Unix time the delivery was recorded (its TTL runs from then)."""
    attempts: int = 0
    due: float = 0.0
    """Unix time before which it is not sent (a retry's backoff)."""


@dataclass(frozen=True, slots=True)
class Settlement:
    """What became of a delivery: sent, failed, or pending again until `next_at`."""

    id: str
    status: Literal["sent", "failed", "pending"]
    attempts: int
    next_at: float | None = None
    error: str = ""

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "attempts": self.attempts,
            "next_at": _pb_time(self.next_at) if self.next_at is not None else "",
            "error": self.error[:500],
        }


@dataclass
class DeliveryStore:
    """The delivery rows, through the superuser session (which waits out PocketBase outages)."""

    session: SuperuserSession
    holder: str
    claim_ttl_s: float
    keep_s: float
    """Finished rows older than this are trimmed (longer than an event may be handled again)."""

    async def plan(
        self, event: int, planned: list[tuple[Target, Message]], *, claim: bool, now: float
    ) -> list[Delivery]:
        """Record the deliveries of `event` (claimed by this holder when `claim`); answers those
        this holder is to send: when claiming, every pending one of the event it holds or that
        nobody holds (recorded by a handler that stopped before sending them), else the new
        ones. Deliveries sent or held elsewhere are not sent again."""
        by_subscription = {target.subscription: (target, message) for target, message in planned}
        body = {
            "event": event,
            "holder": self.holder if claim else "",
            "ttl_s": self.claim_ttl_s,
            "deliveries": [
                {
                    "subscription": target.subscription,
                    "payload": message.payload,
                    "topic": message.topic,
                    "urgency": message.urgency,
                }
                for target, message in by_subscription.values()
            ],
        }
        answer = await self.session.call(lambda client: client.send("POST", ROUTES, json=body))
        deliveries = []
        for row in answer["deliveries"]:
            target, message = by_subscription[row["subscription"]]
            due = max(now, _unix(row.get("next_at")))
            attempts = int(row.get("attempts") or 0)
            deliveries.append(Delivery(row["id"], event, target, message, now, attempts, due))
        return deliveries

    async def claim(self, limit: int) -> list[Delivery]:
        """Renew this holder's claims and take up to `limit` deliveries nobody holds."""
        body = {
            "holder": self.holder,
            "ttl_s": self.claim_ttl_s,
            "limit": limit,
            "keep_s": self.keep_s,
        }
        answer = await self.session.call(
            lambda client: client.send("POST", f"{ROUTES}/claim", json=body)
        )
        return [_delivery(row) for row in answer["deliveries"]]

    async def settle(self, results: list[Settlement]) -> None:
        body = {"holder": self.holder, "results": [result.json() for result in results]}
        await self.session.call(lambda client: client.send("POST", f"{ROUTES}/settle", json=body))

    async def release(self) -> None:
        """Give this holder's pending deliveries up, so another process takes them at once."""
        body = {"holder": self.holder}
        await self.session.call(lambda client: client.send("POST", f"{ROUTES}/release", json=body))


def _delivery(row: dict[str, Any]) -> Delivery:
    payload = row["payload"] if isinstance(row.get("payload"), dict) else {}
    created = _unix(row.get("created"))
    return Delivery(
        id=row["id"],
        event=int(row["event"]),
        target=Target(row["subscription"], row["endpoint"], row["p256dh"], row["auth"]),
        message=Message(
            {str(k): str(v) for k, v in payload.items()},
            str(row.get("topic") or ""),
            str(row.get("urgency") or "normal"),
        ),
        created=created,
        attempts=int(row.get("attempts") or 0),
        due=max(created, _unix(row.get("next_at"))),
    )


def _unix(value: object) -> float:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    return parsed.timestamp() if parsed is not None else 0.0


def _pb_time(unix: float) -> str:
    return format_datetime(datetime.fromtimestamp(unix, UTC))
