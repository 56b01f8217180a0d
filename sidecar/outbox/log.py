"""The `events` outbox, read and written in one place.

`OutboxLog` owns every request the sidecar makes about `events`: pages in `seq` order, the
newest and oldest seq, a publisher id's seq, the realtime subscription that wakes the follower,
and appending an update published through the hub. Each call goes through the superuser
session, so an outage is waited out and a refused token renewed.

`OutboxHistory` is the same log seen as the hub's `DurableLog` (updates instead of events). Its
pages are shared: the rows are immutable, so subscribers replaying the same stretch at once
(every dashboard reconnecting after a restart, 200 clients asking for `earliest`) cost one
request per page, not one each.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from datetime import datetime

from fieldsync import AsyncSubscription, Event, build_filter

from sidecar.events import hub_updates, update_from_event
from sidecar.hub import Page, Update, UpdateDraft
from sidecar.session import SuperuserSession


class OutboxLog:
    """Reads and appends `events` rows over PocketBase's API."""

    def __init__(self, session: SuperuserSession) -> None:
        self._session = session
        self.reads = 0
        """Pages of events read so far (for /metrics)."""

    async def read_after(self, seq: int, limit: int) -> list[Event]:
        """Up to `limit` events with a greater seq, in order."""
        self.reads += 1
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

    async def trim(self, before: datetime, limit: int) -> int:
        """Delete up to `limit` events committed before `before` (never the newest, never one
        a consumer has not handled); how many went."""
        answer = await self._session.call(
            lambda client: client.send(
                "POST",
                "/api/fieldsync/outbox/trim",
                json={"before": before.isoformat(), "limit": limit},
            )
        )
        return int(answer["deleted"])

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
    """The outbox as the hub's `DurableLog` and its publish `append`, with shared pages."""

    def __init__(
        self, log: OutboxLog, *, cached_pages: int = 16, concurrent_reads: int = 4
    ) -> None:
        self._log = log
        self._cached_pages = cached_pages
        self._pages: OrderedDict[tuple[int, int], Page] = OrderedDict()
        """Recent full pages (a partial page may still grow)."""
        self._reading: dict[tuple[int, int], asyncio.Task[Page]] = {}
        self._slots = asyncio.Semaphore(concurrent_reads)

    async def read_after(self, seq: int, limit: int) -> Page:
        key = (seq, limit)
        page = self._pages.get(key)
        if page is not None:
            self._pages.move_to_end(key)
            return page
        reading = self._reading.get(key)
        if reading is None:
            reading = self._reading[key] = asyncio.create_task(self._read(key))
        # Shielded: one reader leaving (its subscriber went away) must not cancel the others'.
        return await asyncio.shield(reading)

    async def _read(self, key: tuple[int, int]) -> Page:
        try:
            async with self._slots:
                events = await self._log.read_after(*key)
        finally:
            del self._reading[key]
        page = Page(hub_updates(events), events[-1].seq if events else key[0])
        if len(events) == key[1]:
            self._pages[key] = page
            if len(self._pages) > self._cached_pages:
                self._pages.popitem(last=False)
        return page

    async def resolve(self, event_id: str) -> int | None:
        """The seq of the update a publisher gave the id `event_id`."""
        return await self._log.seq_of_uid(event_id)

    async def bounds(self) -> tuple[int, int]:
        oldest = await self._log.oldest()
        return (oldest, await self._log.newest()) if oldest else (0, 0)

    async def append(self, draft: UpdateDraft) -> Update:
        return update_from_event(await self._log.append(draft))
