"""Replay: recent updates in a ring buffer, older ones from the durable log (the outbox).

Mercure's rules for `Last-Event-ID`: the response header names the event preceding the first
one replayed, or `earliest`. Here:

- `earliest`: everything available is replayed; header `earliest`.
- a known id: what follows it is replayed; header = that id. If the log no longer holds every
  event after it (trimmed), everything available is replayed and the header is `earliest`, so
  the client can tell that it missed some. A sequence number is known whatever its value:
  replay starts after it (nothing yet for one beyond the newest).
- an unknown publisher id: nothing is replayed (as Mercure's Bolt transport); the header is the
  id of the newest update in memory the subscriber may see, else `earliest`.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Protocol

from sidecar.hub.updates import Update

EARLIEST = "earliest"

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Page:
    """A stretch of the log: its updates, and the seq it was read up to (rows of the log that
    are not updates may follow the last update)."""

    updates: Sequence[Update]
    last_seq: int


class DurableLog(Protocol):
    """Stored updates in `seq` order (the sidecar's `OutboxHistory` reads PocketBase's outbox)."""

    async def read_after(self, seq: int, limit: int) -> Page:
        """The updates among the next `limit` rows after `seq`, in order."""
        ...

    async def resolve(self, event_id: str) -> int | None:
        """The `seq` of the update a publisher gave this id, None if unknown."""
        ...

    async def bounds(self) -> tuple[int, int]:
        """(oldest kept seq, newest seq); (0, 0) when empty."""
        ...


@dataclass(frozen=True, slots=True)
class Plan:
    """Where a replay starts (`after`, None for no replay) and the response's Last-Event-ID."""

    after: int | None
    header: str


class History:
    """Recent updates in memory, backed by a durable log for older ones."""

    def __init__(self, log: DurableLog, *, size: int, page: int) -> None:
        self._log = log
        self._size = size
        self._page = page
        self._ring: deque[Update] = deque()
        self._ids: dict[str, int] = {}
        self._floor = 0
        """The ring holds every delivered update with a greater seq."""

    def start(self, newest: int) -> None:
        """Begin keeping updates that follow `newest`, the log's newest seq at start."""
        self._ring.clear()
        self._ids.clear()
        self._floor = newest

    def remember(self, update: Update) -> None:
        """Keep `update` (delivered in seq order), forgetting the oldest beyond the size."""
        if update.seq <= (self._ring[-1].seq if self._ring else self._floor):
            return
        self._ring.append(update)
        self._ids[update.id] = update.seq
        if len(self._ring) > self._size:
            old = self._ring.popleft()
            self._ids.pop(old.id, None)
            self._floor = old.seq

    async def plan(self, last_event_id: str, upto: int, visible: Callable[[Update], bool]) -> Plan:
        """Where to resume for `last_event_id`, given that live delivery starts after `upto`."""
        if last_event_id == EARLIEST:
            return Plan(after=0, header=EARLIEST)
        if last_event_id.isascii() and last_event_id.isdigit():
            # The hub's own ids (publishers may not use all-digit ids). Taken at face value,
            # even beyond the newest: whether a number was handed out yet tells of other
            # subscribers' activity, so the answer must not depend on it.
            seq: int | None = int(last_event_id)
        else:
            seq = self._ids.get(last_event_id) or await self._log.resolve(last_event_id)
        if seq is None:
            logger.info("unknown Last-Event-ID", extra={"event_id": last_event_id})
            return Plan(after=None, header=self._newest_visible(upto, visible))
        if seq < self._floor:
            oldest, _ = await self._log.bounds()
            if seq + 1 < oldest:
                return Plan(after=seq, header=EARLIEST)
        return Plan(after=seq, header=last_event_id)

    def _newest_visible(self, upto: int, visible: Callable[[Update], bool]) -> str:
        for update in reversed(self._ring):
            if update.seq <= upto and visible(update):
                return update.id
        return EARLIEST

    async def updates(self, after: int, upto: int) -> AsyncIterator[Sequence[Update]]:
        """Every update with `after < seq <= upto`, in order, in batches."""
        cursor = after
        while cursor < self._floor and cursor < upto:
            page = await self._log.read_after(cursor, self._page)
            if page.last_seq <= cursor:
                break
            yield [update for update in page.updates if update.seq <= upto]
            cursor = page.last_seq
        if cursor >= upto:
            return
        start = bisect_right(self._ring, cursor, key=_seq)
        yield [update for update in islice(self._ring, start, None) if update.seq <= upto]


def _seq(update: Update) -> int:
    return update.seq
