"""The `events` outbox, read and written in one place.

`OutboxLog` owns every request the sidecar makes about `events`: pages in `seq` order, the
newest and oldest seq, a publisher id's seq, the realtime subscription that wakes the follower,
and appending an update published through the hub. Each call goes through the superuser
session, so an outage is waited out and a refused token renewed.

`OutboxHistory` is the same log seen as the hub's `DurableLog` (updates instead of events).
"""

from __future__ import annotations

from collections.abc import Sequence

from fieldsync import AsyncSubscription, Event, build_filter

from sidecar.events import update_from_event
from sidecar.hub import Update, UpdateDraft
from sidecar.session import SuperuserSession


class OutboxLog:
    """Reads and appends `events` rows over PocketBase's API."""

    def __init__(self, session: SuperuserSession) -> None:
        self._session = session

    async def read_after(self, seq: int, limit: int) -> list[Event]:
        """Up to `limit` events with a greater seq, in order."""
        page = await self._session.call(
            lambda client: client.events.list(
                per_page=limit, filter=f"seq > {int(seq)}", sort="seq", skip_total=True
            )
        )
        return page.items

    async def newest(self) -> int:
        """The newest seq (0 when the outbox is empty): one request."""
        return await self._first_seq("-seq")

    async def oldest(self) -> int:
        """The oldest seq still kept (0 when the outbox is empty)."""
        return await self._first_seq("seq")

    async def _first_seq(self, sort: str) -> int:
        page = await self._session.call(
            lambda client: client.events.list(per_page=1, sort=sort, fields="seq", skip_total=True)
        )
        return page.items[0].seq if page.items else 0

    async def seq_of_uid(self, uid: str) -> int | None:
        """The seq of the update a publisher gave the id `uid`, None if there is none."""
        page = await self._session.call(
            lambda client: client.events.list(
                per_page=1,
                filter=build_filter("uid = {:uid}", uid=uid),
                fields="seq",
                skip_total=True,
            )
        )
        return page.items[0].seq if page.items else None

    def live(self) -> AsyncSubscription[Event]:
        """PocketBase realtime on `events`: new rows as they commit (not always in order)."""
        return self._session.client.realtime.subscribe("events", model=Event)

    async def append(self, draft: UpdateDraft) -> Event:
        """Store an update published through the hub; the outbox consumer delivers it."""
        return await self._session.call(
            lambda client: client.events.create(
                {
                    "type": draft.type or "",
                    "topics": list(draft.topics),
                    "private": draft.private,
                    "uid": draft.id or "",
                    "retry": draft.retry,
                    "data": draft.data,
                }
            )
        )


class OutboxHistory:
    """The outbox as the hub's `DurableLog` and its publish `append`."""

    def __init__(self, log: OutboxLog) -> None:
        self._log = log

    async def read_after(self, seq: int, limit: int) -> Sequence[Update]:
        return [update_from_event(event) for event in await self._log.read_after(seq, limit)]

    async def resolve(self, event_id: str) -> int | None:
        """An id we gave (a sequence number, even one trimmed since) or a publisher's id."""
        if event_id.isascii() and event_id.isdigit():
            seq = int(event_id)
            return seq if seq <= await self._log.newest() else None
        return await self._log.seq_of_uid(event_id)

    async def bounds(self) -> tuple[int, int]:
        oldest = await self._log.oldest()
        return (oldest, await self._log.newest()) if oldest else (0, 0)

    async def append(self, draft: UpdateDraft) -> Update:
        return update_from_event(await self._log.append(draft))
