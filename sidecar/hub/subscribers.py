"""Connected subscribers and the fan-out to them.

Subscribers with the same interest (topics asked for, selectors allowed) share a `Group`: an
update is matched once per group, and its SSE frame, encoded once, is kept in the group. One
pump task passes over the subscribers; each one holds its position (`sent_upto`) and
gets everything its group holds past it in a single write, through its ASGI `send` run
eagerly (no task, no wake-up per subscriber). Updates arriving during a pass reach the
subscribers not yet passed in the same write: when writes are the bottleneck, a subscriber
gets fewer, larger writes instead of falling behind.

A subscriber whose socket is full is `busy` (a task finishes its write); so is one replaying
history. The pump skips busy subscribers and catches them up once they are free; one more
than `max_queue` updates behind is dropped. Nobody waits for anybody.
"""

from __future__ import annotations

import asyncio
import logging
import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.types import Message, Send

from sidecar.hub._eager import run_eagerly
from sidecar.hub.topics import TopicSet
from sidecar.hub.updates import Update

HEARTBEAT = b":\n\n"
_WRITES_PER_SLICE = 64
"""Writes between two yields to the event loop during a pass (publishers get in)."""
_FINAL_SEND_TIMEOUT_S = 1.0
_REVOCATIONS_KEPT_S = 86_400.0
"""How long a revocation is remembered: longer than any hub token lives."""
_REPLAYS_KEPT = 8
"""Stretches of replayed history a group keeps encoded for members replaying them too."""

logger = logging.getLogger(__name__)


@dataclass
class Counters:
    """Running totals for /metrics."""

    dispatched: int = 0
    dropped_slow: int = 0


@dataclass(frozen=True, slots=True)
class Interest:
    """What a subscriber asked for and what it may see; subscribers share a group by it."""

    topics: frozenset[str]
    selectors: frozenset[str] | None
    """The token's `mercure.subscribe` selectors; None for an anonymous subscriber."""
    scope: str | None = None
    """The subscriber's scope (`HubConfig.scope_claim`): an update of another scope is never
    delivered to it, whatever the selectors say."""


class Group:
    """Subscribers of one interest and the frames of the updates they may receive."""

    __slots__ = (
        "_chunks",
        "_frames",
        "_members",
        "_positions",
        "_replays",
        "_snapshot",
        "active",
        "allowed",
        "interest",
        "latest",
        "wanted",
    )

    def __init__(self, interest: Interest) -> None:
        self.interest = interest
        self.wanted = TopicSet(interest.topics)
        self.allowed = None if interest.selectors is None else TopicSet(interest.selectors)
        self.active = False
        """Whether an update came since the last heartbeat."""
        self.latest = 0
        """The position (see `Registry.position`) of the newest update accepted."""
        self._positions: list[int] = []
        self._frames: list[bytes] = []
        self._chunks: dict[int, tuple[bytes, int]] = {}
        self._members: dict[Subscriber, None] = {}
        self._replays: dict[tuple[int, int, int], bytes] = {}
        self._snapshot: tuple[Subscriber, ...] | None = ()

    def accepts(self, update: Update) -> bool:
        """Whether members may receive `update` (private: one topic must match a selector)."""
        scope = self.interest.scope
        if scope is not None and update.scope is not None and update.scope != scope:
            return False
        if update.private and (self.allowed is None or not self.allowed.matches_any(update.topics)):
            return False
        return self.wanted.matches_any(update.topics)

    def replay(self, updates: Sequence[Update]) -> bytes:
        """The frames of the `updates` (a stretch of history) members may receive, joined.
        Kept for a while: members replaying the same stretch at once share the work."""
        if not updates:
            return b""
        key = (updates[0].seq, updates[-1].seq, len(updates))
        chunk = self._replays.get(key)
        if chunk is None:
            chunk = b"".join(update.frame for update in updates if self.accepts(update))
            self._replays[key] = chunk
            if len(self._replays) > _REPLAYS_KEPT:
                del self._replays[next(iter(self._replays))]
        return chunk

    def keep(self, position: int, update: Update) -> None:
        self._positions.append(position)
        self._frames.append(update.frame)
        self._chunks.clear()
        self.latest = position
        self.active = True

    def since(self, position: int) -> tuple[bytes, int]:
        """The frames after `position`, joined, and the position they bring the reader to."""
        chunk = self._chunks.get(position)
        if chunk is None:
            start = bisect_right(self._positions, position)
            chunk = self._chunks[position] = (b"".join(self._frames[start:]), self.latest)
        return chunk

    @property
    def holding(self) -> bool:
        """Whether some member still lacks a kept frame."""
        return bool(self._positions)

    def lag(self, position: int) -> int:
        """How many kept frames come after `position`."""
        return len(self._positions) - bisect_right(self._positions, position)

    def trim(self) -> None:
        """Forget the frames every member already has."""
        if not self._positions:
            return
        lowest = min((member.sent_upto for member in self.members), default=self.latest)
        cut = bisect_right(self._positions, lowest)
        if cut:
            del self._positions[:cut], self._frames[:cut]
            self._chunks.clear()

    @property
    def members(self) -> tuple[Subscriber, ...]:
        if self._snapshot is None:
            self._snapshot = tuple(self._members)
        return self._snapshot

    def add(self, subscriber: Subscriber) -> None:
        self._members[subscriber] = None
        self._snapshot = None

    def discard(self, subscriber: Subscriber) -> bool:
        """Remove `subscriber`; True if the group is now empty."""
        if subscriber in self._members:
            del self._members[subscriber]
            self._snapshot = None
        return not self._members


class Subscriber:
    """One SSE connection. It starts `busy`: its request task sends the headers and any
    history, then calls `go_live()` and the pump takes over from `sent_upto`."""

    __slots__ = (
        "_drainer",
        "_send",
        "_wake",
        "busy",
        "client",
        "closed",
        "expiry",
        "group",
        "id",
        "issued_at",
        "payload",
        "scope",
        "sent_upto",
        "since",
        "subject",
        "task",
        "topics",
    )

    def __init__(
        self,
        *,
        id: str,
        topics: tuple[str, ...],
        payload: Any,
        scope: str | None,
        send: Send,
        wake: Callable[[], None],
        subject: str | None = None,
        client: str | None = None,
        issued_at: float | None = None,
    ) -> None:
        self.id = id
        self.topics = topics
        self.payload = payload
        self.scope = scope
        self.subject = subject
        """The token's `sub`."""
        self.issued_at = issued_at
        """The token's `iat`."""
        self.client = client
        """The client's address."""
        self.since = time.time()
        """When the stream opened (unix seconds)."""
        self._send = send
        self._wake = wake
        self.sent_upto = 0
        """Every update this subscriber may see up to this position (`Registry.position`) is
        sent (or queued to be)."""
        self.busy = True
        self.closed = False
        self.group: Group | None = None
        self.task: asyncio.Task[Any] | None = None
        """The request's task, cancelled to end the stream from outside."""
        self.expiry: asyncio.TimerHandle | None = None
        self._drainer: asyncio.Task[None] | None = None

    def write(self, chunk: bytes) -> None:
        """Send `chunk` now; if the socket is full, finish in a task and be busy until then."""
        try:
            rest = run_eagerly(self._send(_body(chunk)))
        except (OSError, RuntimeError):  # the connection is gone or the response over
            self.close("gone")
            return
        if rest is not None:
            self.busy = True
            self._drainer = asyncio.get_running_loop().create_task(self._finish_write(rest))

    async def _finish_write(self, rest: Any) -> None:
        try:
            await rest
        except (OSError, RuntimeError):
            self.close("gone")
            return
        self.go_live()

    async def send_history(self, chunk: bytes) -> None:
        """While busy: send replayed frames, waiting on the socket as needed."""
        if chunk:
            await self._send(_body(chunk))

    def go_live(self) -> None:
        """Hand the subscriber (back) to the pump, which sends what came after `sent_upto`."""
        if not self.closed:
            self.busy = False
            self._wake()

    async def finish(self) -> None:
        """End the response with its final chunk; give up after a moment if the socket is full."""
        try:
            rest = run_eagerly(self._send({"type": "http.response.body", "body": b""}))
            if rest is not None:
                async with asyncio.timeout(_FINAL_SEND_TIMEOUT_S):
                    await rest
        except (OSError, TimeoutError):
            logger.info("stream ended without final chunk", extra={"subscriber": self.id})

    def close(self, reason: str) -> None:
        """Stop delivering and end the stream (its request task finishes the response)."""
        if self.closed:
            return
        self.closed = self.busy = True
        current = asyncio.current_task()
        if self._drainer is not None and self._drainer is not current:
            self._drainer.cancel()
        if self.expiry is not None:
            self.expiry.cancel()
        if self.task is not None and self.task is not current:
            self.task.cancel()
        logger.info("subscriber closed", extra={"subscriber": self.id, "reason": reason})


def _body(chunk: bytes) -> Message:
    return {"type": "http.response.body", "body": chunk, "more_body": True}


class Registry:
    """Every connected subscriber, grouped by interest, and the pump that feeds them."""

    def __init__(self, counters: Counters, *, max_queue: int) -> None:
        self.counters = counters
        self._max_queue = max_queue
        self._groups: dict[Interest, Group] = {}
        self._count = 0
        self._by_subject: Counter[str] = Counter()
        self._by_client: Counter[str] = Counter()
        self._empty = asyncio.Event()
        self._empty.set()
        self._work = asyncio.Event()
        self.last_seq = 0
        """The newest seq delivered from the durable log (or the log's newest at start)."""
        self.position = 0
        """How many updates were delivered: durable ones and ephemeral ones (seq 0, such as
        subscription events) share this one order, in which subscribers are fed."""
        self._revoked: dict[str, float] = {}
        """Token subjects whose tokens issued before the time given are void."""
        self._last_ids: dict[str | None, str] = {}
        """The newest update id delivered, per scope (None: of all)."""

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Subscriber]:
        for group in list(self._groups.values()):
            yield from group.members

    @property
    def groups(self) -> int:
        return len(self._groups)

    def connections(self, *, subject: str | None = None, client: str | None = None) -> int:
        """Open streams of a token subject, or from a client address."""
        if subject is not None:
            return self._by_subject[subject]
        return self._by_client[client] if client is not None else 0

    def revoke(self, subject: str, issued_before: float) -> None:
        """Void `subject`'s tokens issued before `issued_before` and end its open streams."""
        horizon = time.time() - _REVOCATIONS_KEPT_S
        for old in [name for name, at in self._revoked.items() if at < horizon]:
            del self._revoked[old]
        self._revoked[subject] = max(issued_before, self._revoked.get(subject, 0.0))
        for subscriber in list(self):
            if subscriber.subject == subject and self.is_revoked(subject, subscriber.issued_at):
                subscriber.close("revoked")

    def is_revoked(self, subject: str, issued_at: float | None) -> bool:
        """Whether a token of `subject` issued at `issued_at` is void."""
        before = self._revoked.get(subject)
        return before is not None and (issued_at is None or issued_at < before)

    def last_id(self, scope: str | None) -> str:
        """The newest update id of `scope` (of all, for None), or `earliest`."""
        return self._last_ids.get(scope, "earliest")

    def wake(self) -> None:
        """Ask the pump for a pass."""
        self._work.set()

    def add(self, subscriber: Subscriber, interest: Interest) -> Group:
        """Register a (busy) subscriber: what is delivered from now on is kept for it (what
        the log held up to `last_seq` is for its request to replay)."""
        group = self._groups.get(interest)
        if group is None:
            group = self._groups[interest] = Group(interest)
        group.add(subscriber)
        subscriber.group = group
        subscriber.sent_upto = self.position
        self._count += 1
        if subscriber.subject is not None:
            self._by_subject[subscriber.subject] += 1
        if subscriber.client is not None:
            self._by_client[subscriber.client] += 1
        self._empty.clear()
        return group

    def remove(self, subscriber: Subscriber) -> None:
        group = subscriber.group
        if group is None:
            return
        subscriber.group = None
        self._count -= 1
        for counts, key in (
            (self._by_subject, subscriber.subject),
            (self._by_client, subscriber.client),
        ):
            if key is not None:
                counts[key] -= 1
                if not counts[key]:
                    del counts[key]
        if not self._count:
            self._empty.set()
        if group.discard(subscriber):
            del self._groups[group.interest]

    async def wait_empty(self) -> None:
        """Return once no subscriber is connected."""
        await self._empty.wait()

    def deliver(self, update: Update) -> None:
        """Match `update` once per group and wake the pump. Updates of the durable log come in
        seq order; one not newer than the last (a re-dispatch) is skipped. An ephemeral update
        (seq 0) is never replayed and has no place in `last_seq`."""
        if update.seq:
            if update.seq <= self.last_seq:
                logger.debug("skipped an update already delivered", extra={"seq": update.seq})
                return
            self.last_seq = update.seq
            self._last_ids[None] = update.id
            if update.scope is not None:
                self._last_ids[update.scope] = update.id
            self.counters.dispatched += 1
        self.position += 1
        for group in self._groups.values():
            if group.accepts(update):
                group.keep(self.position, update)
        self._work.set()

    async def pump(self) -> None:
        """Run passes whenever there is work (the hub runs this as one task)."""
        while True:
            await self._work.wait()
            self._work.clear()
            try:
                await self._pass()
            except Exception:
                logger.exception("fan-out pass failed")

    async def _pass(self) -> None:
        writes = 0
        for group in list(self._groups.values()):
            if not group.holding:
                continue
            for subscriber in group.members:
                if subscriber.sent_upto >= group.latest:
                    continue
                if subscriber.busy:
                    if not subscriber.closed and group.lag(subscriber.sent_upto) > self._max_queue:
                        self.counters.dropped_slow += 1
                        subscriber.close("slow")
                    continue
                chunk, subscriber.sent_upto = group.since(subscriber.sent_upto)
                if not chunk:
                    continue
                subscriber.write(chunk)
                writes += 1
                if writes % _WRITES_PER_SLICE == 0:
                    await asyncio.sleep(0)
            group.trim()

    async def heartbeat(self) -> None:
        """Send a heartbeat to live members of groups that got nothing since the last one."""
        idle: list[Subscriber] = []
        for group in list(self._groups.values()):
            if group.active:
                group.active = False
            else:
                idle.extend(group.members)
        for index, subscriber in enumerate(idle, 1):
            if not subscriber.busy:
                subscriber.write(HEARTBEAT)
            if index % _WRITES_PER_SLICE == 0:
                await asyncio.sleep(0)
