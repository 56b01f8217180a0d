"""The outbox seen as the hub's durable log: stored updates in `seq` order, and where updates
published with `POST /.well-known/mercure` are written (so they replay like any other)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from fieldsync import AsyncClient, Event, build_filter

from sidecar.hub.topics import topics_for_event
from sidecar.hub.updates import Update, UpdateDraft


def update_from_event(event: Event) -> Update:
    """The hub update of an outbox event.

    A record event goes to its team topics as a private update whose data is
    ``{"type", "seq", "team", "record": <snapshot>}``; a published event keeps its own topics,
    data, privacy, id, type and retry.
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
    )


class OutboxLog:
    """Implements the hub's `DurableLog` and its publish `append` over PocketBase."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def read_after(self, seq: int, limit: int) -> Sequence[Update]:
        page = await self._client.events.list(
            per_page=limit, filter=f"seq > {int(seq)}", sort="seq", skip_total=True
        )
        return [update_from_event(event) for event in page.items]

    async def resolve(self, event_id: str) -> int | None:
        """An id we gave (a sequence number, even one trimmed since) or a publisher's id."""
        if event_id.isdigit():
            seq = int(event_id)
            return seq if seq <= await self.newest() else None
        page = await self._client.events.list(
            per_page=1,
            filter=build_filter("uid = {:uid}", uid=event_id),
            fields="seq",
            skip_total=True,
        )
        return page.items[0].seq if page.items else None

    async def bounds(self) -> tuple[int, int]:
        oldest = await self._first_seq("seq")
        return (oldest, await self.newest()) if oldest else (0, 0)

    async def newest(self) -> int:
        """The newest seq (0 when the outbox is empty): one request."""
        return await self._first_seq("-seq")

    async def _first_seq(self, sort: str) -> int:
        page = await self._client.events.list(per_page=1, sort=sort, fields="seq", skip_total=True)
        return page.items[0].seq if page.items else 0

    async def append(self, draft: UpdateDraft) -> Update:
        """Store a published update in the outbox; the hub feed then delivers it."""
        event = await self._client.events.create(
            {
                "type": draft.type or "",
                "topics": list(draft.topics),
                "private": draft.private,
                "uid": draft.id or "",
                "retry": draft.retry,
                "data": draft.data,
            }
        )
        return update_from_event(event)
