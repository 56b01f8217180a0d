"""The office during a busy morning: users editing their team's jobs, and dashboards following
PocketBase's own realtime (`/api/realtime`, through the SDK) next to the hub's.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fieldsync import (
    ApiError,
    AsyncClient,
    AsyncSubscription,
    AuthStore,
    Record,
    TransportError,
)

from tests.support.teams import Member

STATUSES = ("assigned", "in_progress")
"""Editors move jobs between these: a status change every other edit."""

Delivery = tuple[str, str, str]
"""(collection, action, record id) of a realtime message."""


@dataclass
class Editor:
    """An office user changing the team's jobs: a title, then a status, in turn."""

    member: Member
    jobs: Sequence[str]
    edits: int = 0
    errors: list[str] = field(default_factory=list)

    async def run(self, url: str, stop: asyncio.Event, every_s: float) -> None:
        """Edit every `every_s` until `stop` is set. Errors are noted and not retried (a
        retried PATCH could apply twice); the outbox tells what was committed."""
        async with AsyncClient(url, timeout=30, auth_store=AuthStore(self.member.token)) as c:
            turn = 0
            while not stop.is_set():
                job = self.jobs[turn % len(self.jobs)]
                rnd = turn // len(self.jobs)
                change = (
                    {"title": f"Job {job} take {rnd}"}
                    if turn % 2 == 0
                    else {"status": STATUSES[rnd % len(STATUSES)]}
                )
                try:
                    await c.jobs.update(job, change)
                    self.edits += 1
                except (ApiError, TransportError) as exc:
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                turn += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), every_s)


@dataclass
class RealtimeDashboard:
    """An office dashboard on PocketBase realtime: every job and photo change it is sent."""

    member: Member
    received: Counter[Delivery] = field(default_factory=Counter)
    teams: Counter[str] = field(default_factory=Counter)
    """How many messages carried each team (only the member's is allowed)."""
    connects: int = 0

    async def run(self, url: str, ready: asyncio.Event) -> None:
        """Follow jobs and photos until cancelled; `ready` is set once both are subscribed."""
        async with AsyncClient(url, timeout=30, auth_store=AuthStore(self.member.token)) as c:
            jobs, photos = c.jobs.subscribe(), c.photos.subscribe()
            async with jobs, photos:
                ready.set()
                await asyncio.gather(self._follow(jobs), self._follow(photos))

    async def _follow(self, subscription: AsyncSubscription[Any]) -> None:
        async for event in subscription:
            record: Record = event.record
            self.received[(record.collection_name, str(event.action), record.id)] += 1
            self.teams[str(getattr(record, "team", ""))] += 1
            self.connects = max(self.connects, subscription.connects)
