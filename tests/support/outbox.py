"""The outbox in memory, for hub tests and the hub-only benchmark: a `DurableLog` that is
appended to as the sidecar does (an `events` row, then the hub update the event contract makes
of it), so fakes carry exactly what production sends."""

from __future__ import annotations

from typing import Any

from fieldsync import Event

from sidecar.events import record_event, update_from_event
from sidecar.hub import Hub, Page, Update, UpdateDraft


class MemoryOutbox:
    """Updates in a list. `trim` drops the oldest like a retention job but still resolves their
    ids, so a client that is too far behind can be told apart. Attach `hub` to dispatch."""

    def __init__(self) -> None:
        self.updates: list[Update] = []
        self.trimmed: dict[str, int] = {}
        self.published: list[Update] = []
        """Every update ever appended, trimmed or not."""
        self.hub: Hub | None = None
        self._seq = 0

    async def read_after(self, seq: int, limit: int) -> Page:
        updates = [u for u in self.updates if u.seq > seq][:limit]
        return Page(updates, updates[-1].seq if updates else seq)

    async def resolve(self, event_id: str) -> int | None:
        seq = next((u.seq for u in self.updates if u.id == event_id), None)
        return self.trimmed.get(event_id) if seq is None else seq

    async def bounds(self) -> tuple[int, int]:
        if not self.updates:
            return (0, 0)
        return (self.updates[0].seq, self.updates[-1].seq)

    def trim(self, keep: int) -> None:
        for update in self.updates[:-keep]:
            self.trimmed[update.id] = update.seq
        del self.updates[:-keep]

    async def append(self, draft: UpdateDraft) -> Update:
        """An update published through the hub (`POST /.well-known/mercure`)."""
        seq = self._next()
        event = Event(
            id=f"ev{seq:013d}",
            seq=seq,
            type=draft.type or "",
            topics=list(draft.topics),
            private=draft.private,
            uid=draft.id or "",
            retry=draft.retry,
            data=draft.data,
        )
        return await self._store(update_from_event(event))

    async def emit(
        self, team: str, collection: str = "jobs", record: str = "job000000000001", **data: Any
    ) -> Update:
        """A record event of `team`: a job or photo updated, with `data` in its snapshot."""
        event = record_event(
            self._next(), f"{collection[:-1]}.updated", team, {"id": record, **data}
        )
        return await self._store(update_from_event(event))

    def _next(self) -> int:
        self._seq = max(self._seq, self.updates[-1].seq if self.updates else 0) + 1
        return self._seq

    async def _store(self, update: Update) -> Update:
        self.updates.append(update)
        self.published.append(update)
        if self.hub is not None:
            await self.hub.dispatch(update)
        return update
