"""fieldsync's event contract: what an outbox event becomes on the hub. Documented in
docs/events.md; this module is the one place that knows teams, jobs and photos on that path.

- Topics: `/teams/{team}/jobs/{job}`, `/teams/{team}/photos/{photo}` and, for a photo of a job,
  `/teams/{team}/jobs/{job}/photos/{photo}` (canonical topic first).
- Privacy: record events are private; they reach only tokens whose selectors match a topic.
- Who sees what: a user's hub token may subscribe to `team_selector(team)`, and its payload
  names the team, which the hub uses as the subscriber's scope (`SCOPE_CLAIM`).
- The SSE data of a record event: ``{"type", "seq", "team", "record": <snapshot>}``.
- A user's role or team changing, or the user deleted (`user.updated`, `user.deleted`), is not
  published: the user's hub tokens are voided and their streams closed.

Nothing here does I/O: the outbox reader, the hub feed and the tests' fakes all build their
updates with `update_from_event`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fieldsync import Event

from sidecar.hub import Update

USERS = "users"
SCOPE_CLAIM = "team"
"""The token payload key that partitions subscribers (the hub's `scope_claim`)."""

_ID = re.compile(r"[A-Za-z0-9_-]+")

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Principal:
    """A PocketBase team user, as the token exchange sees it."""

    user: str
    team: str
    role: str
    name: str = ""

    def payload(self) -> dict[str, str]:
        """The hub token's `mercure.payload`: what other subscribers may learn (never email)."""
        return {"user": self.user, SCOPE_CLAIM: self.team, "role": self.role, "name": self.name}


def team_selector(team: str) -> str:
    """The selector matching every topic of `team` and nothing else."""
    return f"/teams/{_checked(team)}/{{+rest}}"


def topics_for_event(
    collection: str, record: str, team: str, snapshot: dict[str, Any]
) -> tuple[str, ...]:
    """Topics of a record event: its canonical topic first, then alternates."""
    base = f"/teams/{_checked(team)}"
    if collection == "jobs":
        return (f"{base}/jobs/{_checked(record)}",)
    if collection == "photos":
        photo = f"{base}/photos/{_checked(record)}"
        job = snapshot.get("job")
        if isinstance(job, str) and job:
            return (photo, f"{base}/jobs/{_checked(job)}/photos/{_checked(record)}")
        return (photo,)
    raise ValueError(f"no topics for collection {collection!r}")


def update_from_event(event: Event) -> Update:
    """The hub update of an outbox event.

    A record event goes to its team topics as a private update carrying the snapshot; an
    update published through the hub (it has `topics`) keeps its own topics, data, privacy,
    id, type and retry. Raises ValueError for an event with no valid topics.
    """
    if event.topics:
        data = event.data if isinstance(event.data, str) else json.dumps(event.data)
        return Update(
            seq=event.seq,
            id=event.uid or str(event.seq),
            topics=tuple(event.topics),
            data=data,
            private=event.private,
            type=event.type or None,
            retry=event.retry,
            scope=event.team or None,
        )
    snapshot = event.data if isinstance(event.data, dict) else {}
    payload = {"type": event.type, "seq": event.seq, "team": event.team, "record": snapshot}
    return Update(
        seq=event.seq,
        id=str(event.seq),
        topics=topics_for_event(event.collection, event.record, event.team, snapshot),
        data=json.dumps(payload, separators=(",", ":")),
        private=True,
        type=event.type,
        scope=event.team,
    )


def changed_user(event: Event) -> str | None:
    """The user whose role or team changed, or who was deleted (`user.*` events), else None.
    Such events are not published: the hub voids the user's tokens instead."""
    return event.record if event.collection == USERS else None


def hub_updates(events: Iterable[Event]) -> list[Update]:
    """The hub updates of `events`, in order, leaving out those that have none: user changes,
    and malformed rows (logged: they can only come from outside the hooks)."""
    updates = []
    for event in events:
        if changed_user(event) is not None:
            continue
        try:
            updates.append(update_from_event(event))
        except ValueError as exc:
            log.error(
                "outbox event has no valid topics; not published",
                extra={"seq": event.seq, "error": str(exc)},
            )
    return updates


def record_event(
    seq: int, event_type: str, team: str, snapshot: dict[str, Any], **fields: Any
) -> Event:
    """An outbox row as the PocketBase hook writes it, for a job or photo `snapshot` (which
    must hold the record's `id`): what tests and benchmarks feed the hub with."""
    collection = {"job": "jobs", "photo": "photos"}[event_type.split(".")[0]]
    return Event(
        id=f"ev{seq:013d}",
        seq=seq,
        type=event_type,
        collection=collection,
        record=snapshot["id"],
        team=team,
        data=snapshot,
        private=True,
        **fields,
    )


def _checked(record_id: str) -> str:
    if not _ID.fullmatch(record_id):
        raise ValueError(f"invalid id {record_id!r}")
    return record_id
