"""A shop's busy morning against a `Stack`: phones upload photos as their own users while the
office edits jobs and dashboards listen on the hub (load-generator processes) and on
PocketBase realtime; a fault can be played in the middle. Then everything is let settle and
read back for the checks in `tests/support/audit.py`.

    morning = await Morning.open(stack, MORNING)
    await morning.run(fault)              # fault(morning) runs alongside the load
    outcome = await morning.finish()      # settled, read back, with figures
    print(outcome.table())

    morning, outcome = play(stack, MORNING, fault)   # the same from synchronous code
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from tests.support import audit
from tests.support.hub_listeners import HubListeners, StreamLog, StreamSpec
from tests.support.ledger import Ledger
from tests.support.office import Editor, RealtimeDashboard
from tests.support.phones import Album, Phone, Progress, Upload
from tests.support.pocketbase import PocketBaseProcess
from tests.support.push.service import Received
from tests.support.sampling import Sampler
from tests.support.shop import Shop
from tests.support.sidecar import SidecarProcess
from tests.support.stack import Stack
from tests.support.stats import percentile
from tests.support.waiting import wait_until

SETTLE_S = 180.0


@dataclass(frozen=True)
class Size:
    """How busy the morning is."""

    teams: int
    phones: int
    photos: int
    """Per phone."""
    hub_streams: int
    realtime: int
    """PocketBase realtime dashboards."""
    listener_processes: int = 1
    edit_every_s: float = 0.5
    """Each team's office user edits a job this often (a title, then a status, in turn)."""
    think_s: float = 0.0
    """A phone's pause between photos."""
    album: Album = field(default_factory=Album)

    @property
    def uploads(self) -> int:
        return self.phones * self.photos


FULL = Size(teams=5, phones=50, photos=20, hub_streams=500, realtime=20, listener_processes=2)
"""The issue's morning: 50 phones x 20 photos, 500 hub and 20 PocketBase realtime dashboards."""
MORNING = Size(
    teams=3,
    phones=6,
    photos=3,
    hub_streams=30,
    realtime=3,
    album=Album(sizes=((2000, 1500), (2600, 1950)), heic_every=3),
)
"""A reduced morning that still has every kind of traffic (the default test size)."""

Fault = Callable[["Morning"], Awaitable[None]]


@dataclass
class Outcome:
    """A settled morning, read back: the checks' inputs and the figures."""

    ledger: Ledger
    after: int
    """The outbox head before the morning: the morning's events come after it."""
    uploads: list[Upload]
    hub_logs: list[StreamLog]
    hub_opened: int
    dashboards: list[RealtimeDashboard]
    pushes: list[Received]
    """What the push service got during the morning."""
    peak_rss_kib: dict[str, int]
    seconds: float
    state: dict[str, object]
    """The stack when it was read back: outbox head, consumer cursor, photos processing,
    pushes pending, and whether that was `settled`."""

    @property
    def settled(self) -> bool:
        return bool(self.state["settled"])

    def audit(self, shop: Shop) -> dict[str, list[str]]:
        """Every check of a morning without faults, by name (empty lists: all is well)."""
        ledger, after = self.ledger, self.after
        return {
            "settled": [] if self.settled else [str(self.state)],
            "outbox": audit.outbox(ledger),
            "photos": audit.photos(ledger, after, self.uploads),
            "storage": audit.storage(ledger) + audit.orphans(ledger),
            "hub": audit.hub(ledger, after, self.hub_logs, self.hub_opened),
            "realtime": audit.realtime(ledger, after, self.dashboards),
            "pushes": audit.pushes(ledger, after, shop, self.pushes),
        }

    @property
    def upload_ms(self) -> list[float]:
        return [u.seconds * 1000 for u in self.uploads if u.finished]

    @property
    def ready_ms(self) -> list[float]:
        """Per photo: its `photo.created` commit to its `photo.ready` commit."""
        created: dict[str, float] = {}
        took = []
        for event in self.ledger.after(self.after):
            if event.type == "photo.created":
                created[event.record] = event.created
            elif event.type == "photo.ready" and event.record in created:
                took.append((event.created - created[event.record]) * 1000)
        return took

    @property
    def hub_ms(self) -> list[float]:
        return audit.hub_delays_ms(self.ledger, self.hub_logs)

    def figures(self) -> dict[str, float]:
        upload, ready, hub = self.upload_ms, self.ready_ms, self.hub_ms
        return {
            "photos": len(upload),
            "events": len(self.ledger.after(self.after)),
            "hub deliveries": len(hub),
            "realtime messages": sum(sum(b.received.values()) for b in self.dashboards),
            "pushes": sum(1 for r in self.pushes if 200 <= r.answered < 300),
            "seconds": self.seconds,
            "upload p50 ms": percentile(upload, 0.5),
            "upload p99 ms": percentile(upload, 0.99),
            "to photo.ready p50 ms": percentile(ready, 0.5),
            "to photo.ready p99 ms": percentile(ready, 0.99),
            "hub delivery p50 ms": percentile(hub, 0.5),
            "hub delivery p99 ms": percentile(hub, 0.99),
            **{f"peak RSS {name} MiB": kib / 1024 for name, kib in self.peak_rss_kib.items()},
        }

    def table(self, title: str = "busy morning") -> str:
        """The figures as a short two-column table."""
        rows = [
            (name, f"{value:,.1f}" if value % 1 else f"{value:,.0f}")
            for name, value in self.figures().items()
        ]
        width = max(len(name) for name, _ in rows)
        return "\n".join([f"-- {title} --", *(f"{n.ljust(width)}  {v:>10}" for n, v in rows)])


class Morning:
    """One morning on a stack: its shop, phones, editors and dashboards (`open` makes one)."""

    def __init__(self, stack: Stack, size: Size, shop: Shop) -> None:
        self.stack = stack
        self.size = size
        self.shop = shop
        phones = shop.phones
        self.phones = [Phone(member, i, shop.job_of[member.id]) for i, member in enumerate(phones)]
        self.progress = Progress(size.uploads)
        self.editors = [
            Editor(team.office, [shop.job_of[phone.id] for phone in team.phones])
            for team in shop.teams
        ]
        self.dashboards = [
            RealtimeDashboard(
                shop.teams[i % len(shop.teams)].office_roles[i // len(shop.teams) % 2]
            )
            for i in range(size.realtime)
        ]
        self.after = 0
        self.listeners: HubListeners | None = None
        self.hub_opened = 0
        self.sampler: Sampler | None = None
        self._pushes_before = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._started = 0.0

    @classmethod
    async def open(cls, stack: Stack, size: Size) -> Morning:
        """Set the shop up, let the sidecar finish with it, and open the hub dashboards."""

        def setup() -> Morning:
            size.album.prepare()
            with stack.su() as su:
                shop = Shop.open(su, stack.push, teams=size.teams, phones=size.phones)
            return cls(stack, size, shop)

        morning = await asyncio.to_thread(setup)
        state = await morning.settle()
        if not state["settled"]:
            raise AssertionError(f"the shop's setup was not handled: {state}")
        await morning._listen()
        return morning

    async def _listen(self) -> None:
        async with self._superuser() as su:
            self.after = await _head(su)
        self._pushes_before = len(self.stack.push.received())
        tokens = await asyncio.to_thread(self.shop.hub_tokens, self.stack.sidecar.url)
        teams = [team.id for team in self.shop.teams]
        specs = []
        for index in range(self.size.hub_streams):
            team = teams[index % len(teams)]
            mine = tokens[team]
            specs.append(StreamSpec(mine[index // len(teams) % len(mine)], team))
        self.listeners = HubListeners(
            "127.0.0.1",
            self.stack.sidecar.port,
            specs,
            after=self.after,
            processes=self.size.listener_processes,
        )
        self.hub_opened = await asyncio.to_thread(self.listeners.opened)

    def processes(self) -> dict[str, int]:
        """What the sampler watches: the stack, the hub listeners, and this process (phones,
        office, realtime dashboards and the push service)."""
        found = self.stack.processes()
        if self.listeners is not None:
            for index, pid in enumerate(self.listeners.pids, 1):
                found[f"hub listeners {index}"] = pid
        found["load (this process)"] = os.getpid()
        return found

    async def run(
        self,
        fault: Fault | None = None,
        *,
        sample_every_s: float = 1.0,
        for_s: float | None = None,
    ) -> None:
        """The morning: every phone uploads its photos while the office edits and listens;
        `fault` runs alongside. Returns when the phones are done (the fault too); with
        `for_s`, phones take no new photo after that many seconds (a steady load of a set
        length: the soak)."""
        self.sampler = Sampler(self.processes, sample_every_s).__enter__()
        self._started = time.monotonic()
        stop_at = None if for_s is None else self._started + for_s
        ready = [asyncio.Event() for _ in self.dashboards]
        url = self.stack.pb.url
        self._tasks = [
            asyncio.create_task(board.run(url, flag))
            for board, flag in zip(self.dashboards, ready, strict=True)
        ]
        async with asyncio.timeout(60):
            await asyncio.gather(*(flag.wait() for flag in ready))
        stop = asyncio.Event()
        editors = [
            asyncio.create_task(editor.run(url, stop, self.size.edit_every_s))
            for editor in self.editors
        ]
        indices = range(self.size.photos)
        phones = [
            phone.run(
                url,
                self.size.album,
                indices,
                self.progress,
                think_s=self.size.think_s,
                stop_at=stop_at,
            )
            for phone in self.phones
        ]
        try:
            await asyncio.gather(*phones, *([fault(self)] if fault else []))
        finally:
            stop.set()
            await asyncio.gather(*editors)

    async def settle(self, timeout: float = SETTLE_S) -> dict[str, object]:
        """`settle()` of this morning's stack."""
        return await settle(self.stack.pb, self.stack.sidecar, timeout)

    async def finish(self, settle_s: float = SETTLE_S) -> Outcome:
        """Let everything settle, collect what every listener got, read PocketBase back."""
        state = await self.settle(settle_s)
        seconds = time.monotonic() - self._started
        assert self.listeners is not None and self.sampler is not None
        async with self._superuser() as su:
            head = await _head(su)
        ledger = await self.read()
        last = {team: rows[-1].seq for team, rows in audit.team_events(ledger, self.after).items()}
        await asyncio.to_thread(self.listeners.reach, last)
        await self._quiet_dashboards(ledger)
        logs = await asyncio.to_thread(self.listeners.collect)
        self.listeners.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.sampler.__exit__(None, None, None)
        assert ledger.head == head
        return Outcome(
            ledger=ledger,
            after=self.after,
            uploads=[upload for phone in self.phones for upload in phone.uploads],
            hub_logs=logs,
            hub_opened=self.hub_opened,
            dashboards=self.dashboards,
            pushes=self.stack.push.received()[self._pushes_before :],
            peak_rss_kib=dict(self.sampler.peak_kib),
            seconds=seconds,
            state=state,
        )

    async def _quiet_dashboards(self, ledger: Ledger, timeout: float = 30.0) -> None:
        """Wait (up to `timeout`) until every realtime dashboard has what it is due; what is
        still missing then is the audit's to report."""
        due = [
            (board, audit.realtime_expected(ledger, self.after, board.member.team))
            for board in self.dashboards
        ]
        with contextlib.suppress(AssertionError):
            await wait_until(
                lambda: all(want <= board.received for board, want in due),
                "the realtime dashboards",
                timeout=timeout,
                interval=0.05,
            )

    async def read(self) -> Ledger:
        """PocketBase's state now."""
        return await asyncio.to_thread(self._read)

    def _read(self) -> Ledger:
        with self.stack.su() as su:
            return Ledger.read(su, self.stack.data_view)

    def _superuser(self) -> httpx.AsyncClient:
        return _superuser(self.stack.pb)


def play(stack: Stack, size: Size, fault: Fault | None = None) -> tuple[Morning, Outcome]:
    """A whole morning on `stack` with `fault` alongside, settled and read back (for module
    fixtures, where several tests check one scenario, and for the benchmark)."""

    async def morning() -> tuple[Morning, Outcome]:
        played = await Morning.open(stack, size)
        await played.run(fault)
        return played, await played.finish()

    return asyncio.run(morning())


async def handled(pb: PocketBaseProcess, sidecar: SidecarProcess, timeout: float) -> bool:
    """Wait until `sidecar`'s cursor reaches `pb`'s outbox head (every event handled, or
    given up); False if it had not after `timeout` seconds."""
    async with _superuser(pb) as su:
        head = await _head(su)
    try:
        await wait_until(
            lambda: sidecar.health().get("cursor") == head,
            "the sidecar to reach the outbox head",
            timeout=timeout,
            interval=0.25,
        )
    except AssertionError:
        return False
    return True


async def settle(
    pb: PocketBaseProcess, sidecar: SidecarProcess, timeout: float = SETTLE_S
) -> dict[str, object]:
    """Wait until `sidecar` has handled `pb`'s whole outbox, no photo is still processing and
    no push is pending; the state then (`settled` False if that took longer than `timeout`).

    The cursor is read first: handling an event plans its pushes, so pending pushes counted
    before an event was handled say nothing of that event's."""
    deadline = time.monotonic() + timeout
    async with _superuser(pb) as su:
        while True:
            try:
                cursor = (await asyncio.to_thread(sidecar.health)).get("cursor")
            except httpx.HTTPError:
                cursor = None
            head = await _head(su)
            processing = await _count(su, "photos", "status = 'processing'")
            pending = await _count(su, "push_deliveries", "status = 'pending'")
            state: dict[str, object] = {
                "settled": cursor == head and not processing and not pending,
                "head": head,
                "cursor": cursor,
                "processing": processing,
                "pending pushes": pending,
            }
            if state["settled"] or time.monotonic() > deadline:
                return state
            await asyncio.sleep(0.25)


def _superuser(pb: PocketBaseProcess) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=pb.url, headers={"Authorization": pb.superuser_token()}, timeout=30
    )


async def _head(su: httpx.AsyncClient) -> int:
    response = await su.get(
        "/api/collections/events/records",
        params={"sort": "-seq", "perPage": 1, "skipTotal": "true", "fields": "seq"},
    )
    response.raise_for_status()
    items = response.json()["items"]
    return int(items[0]["seq"]) if items else 0


async def _count(su: httpx.AsyncClient, collection: str, query: str) -> int:
    response = await su.get(
        f"/api/collections/{collection}/records",
        params={"filter": query, "perPage": 1, "fields": "id"},
    )
    response.raise_for_status()
    return int(response.json()["totalItems"])
