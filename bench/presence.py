"""Presence under churn: live delivery to a team's dashboards while 1,000 others come and go.

    python -m bench.presence [--quick] [--sizes 100,1000] [--churn 1000] [--window 10]

Hub-only, like `bench.fanout`, whose hub process (in-memory outbox, connection caps lifted) and
publisher it runs. For each N: a fresh hub and N "others", the team's dashboards, each with a
token of its own (`sub`, payload {user, team, role, name}) on `/teams/<team>/{+rest}`;
WATCHERS of them also follow presence (`/.well-known/mercure/subscriptions{/topic}{/subscriber}`),
and so does one dashboard of another team. Then phases on the same hub and streams, each
publishing updates at --rate/s for the same time (margin, window, hold, window, margin):

- ``baseline``: nothing else happens.
- ``quiet``: meanwhile --churn more members of the team, each its own token, connect spread
  evenly over --window seconds, stay HOLD_S, and leave spread over --window seconds. They ask
  for a topic nothing is published on: what they add is connects, disconnects and one
  presence event for each, to every watcher.
- ``app-like``: the same churn, each newcomer asking what the office dashboard asks
  (`pwa/js/team-feed.js` following presence live; phones poll the list instead): the
  team's topics and presence. It receives the updates too, and its coming and its going are
  two presence events each (one per topic) for everyone following presence, newcomers included.

Reported per phase: publish -> receive over the others' deliveries (p50, p99, p99.9, max;
"last": each update's last receiver) against the hub target at N, missing deliveries, hub and
load-generator CPU, the load average; for the churn, how many connected, the presence events
each watcher got against connects + disconnects (exact), that the other team got none, and
the time from a connect or disconnect to a watcher seeing it. Every phase has a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import multiprocessing.connection
import os
import re
import sys
import time
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from bench.fanout import (
    DRAIN_DEADLINE_S,
    OPEN_DEADLINE_S,
    SUBSCRIBER_KEY,
    TEAM,
    publish,
    receive,
    start_hub,
    stop_hub,
)
from bench.realtime_fanout import HUB_TARGET_P99_MS
from bench.report import Section, Table, check, num, text
from sidecar.events import SCOPE_CLAIM, team_selector
from sidecar.hub.topics import SUBSCRIPTIONS_SELECTOR
from tests.support.net import free_port
from tests.support.processes import cpu_seconds
from tests.support.sse_load import (
    MARKER,
    LineReader,
    Recorder,
    Target,
    mercure_request,
    open_each,
    raise_fd_limit,
)
from tests.support.stats import percentile

Pipe = multiprocessing.connection.Connection

CHURN = 1000
WINDOW_S = 10.0
HOLD_S = 1.0
MARGIN_S = 1.0
RATE = 20.0
WATCHERS = 10
PROCESSES = 2
"""Dashboard processes (the newcomers have one of their own)."""
HEARTBEAT_S = 15.0
READY_DEADLINE_S = 60.0
OTHER_TEAM = "benchteam000002"
TEAM_FEED = f"/teams/{TEAM}/{{+rest}}"
PHASES: dict[str, tuple[str, ...]] = {
    "baseline": (),
    "quiet": (f"/teams/{TEAM}/bench/quiet",),
    "app-like": (TEAM_FEED, SUBSCRIPTIONS_SELECTOR),
}
"""Phase -> the topics each newcomer asks for (the baseline has no newcomers)."""
FULL = ("baseline", "quiet", "app-like", "baseline")
QUICK = ("baseline", "quiet", "app-like")
PRESENCE = re.compile(rb'"active":(true|false)[^\n]*?"user":"churn(\d+)"')
"""A subscription event of a newcomer, as the hub writes it (`sidecar/hub/presence.py`)."""
OTHER, WATCHER, STRANGER = "other", "watcher", "stranger"
"""Dashboards: of the team; of the team, following presence; of another team, following it."""


def member_token(team: str, user: str, role: str) -> str:
    """A subscriber token as the token exchange makes it (`sidecar/exchange.py`)."""
    payload = {"user": user, SCOPE_CLAIM: team, "role": role, "name": user.title()}
    mercure = {"subscribe": [team_selector(team), SUBSCRIPTIONS_SELECTOR], "payload": payload}
    return jwt.encode({"sub": user, "mercure": mercure}, SUBSCRIBER_KEY, algorithm="HS256")


def _target(port: int, team: str, user: str, role: str, topics: list[str]) -> Target:
    token = member_token(team, user, role)
    return Target("127.0.0.1", port, mercure_request("127.0.0.1", port, token, topics))


# --- dashboards (load-generator processes) ------------------------------------------------


@dataclass(frozen=True)
class _Dashboard:
    kind: str
    target: Target


@dataclass
class _Tally:
    """Newcomers' subscription events one dashboard saw: user number, active, arrival ns."""

    kind: str
    users: array[int] = field(default_factory=lambda: array("q"))
    active: array[int] = field(default_factory=lambda: array("b"))
    arrived: array[int] = field(default_factory=lambda: array("q"))

    def clear(self) -> None:
        del self.users[:], self.active[:], self.arrived[:]


class _Board:
    """One process's dashboards: the current phase's recorder, a tally per presence follower."""

    def __init__(self) -> None:
        self.recorder = Recorder(0)
        self.tallies: list[_Tally] = []
        self.presence_done = asyncio.Event()
        self._goal = 0
        self._short: set[int] = set()

    def reader(self, kind: str) -> LineReader:
        if kind == OTHER:
            return self._markers
        tally = _Tally(kind)
        self.tallies.append(tally)

        def read(lines: bytes, now: int) -> None:
            self._markers(lines, now)
            if b'"Subscription"' not in lines:
                return
            for match in PRESENCE.finditer(lines):
                tally.users.append(int(match[2]))
                tally.active.append(match[1] == b"true")
                tally.arrived.append(now)
            if kind == WATCHER and len(tally.users) >= self._goal:
                self._short.discard(id(tally))
                if not self._short:
                    self.presence_done.set()

        return read

    def _markers(self, lines: bytes, now: int) -> None:
        recorder = self.recorder
        for match in MARKER.finditer(lines):
            recorder.record(int(match[1]), int(match[2]), now)

    def begin(self, updates: int, receivers: int, goal: int) -> None:
        """A new phase: `updates` to `receivers` streams, `goal` presence events per watcher."""
        self.recorder = Recorder(updates)
        self.recorder.expected = receivers * updates
        for tally in self.tallies:
            tally.clear()
        self._goal = goal
        self._short = {id(t) for t in self.tallies if t.kind == WATCHER} if goal else set()
        self.presence_done.clear()
        if not self._short:
            self.presence_done.set()

    def results(self) -> tuple[Any, ...]:
        recorder = self.recorder
        tallies = [
            (t.kind, t.users.tobytes(), t.active.tobytes(), t.arrived.tobytes())
            for t in self.tallies
        ]
        data = (recorder.latencies_us, recorder.counts, recorder.last_ns)
        return (*(values.tobytes() for values in data), tallies)


def _dashboards(dashboards: list[_Dashboard], pipe: Pipe) -> None:
    """Process entry: hold the streams; per phase, record until complete, send the figures."""
    import uvloop

    raise_fd_limit()
    uvloop.run(_follow(dashboards, pipe))


async def _follow(dashboards: list[_Dashboard], pipe: Pipe) -> None:
    loop = asyncio.get_running_loop()
    board = _Board()
    streams = await open_each([(d.target, board.reader(d.kind)) for d in dashboards])
    opened = Counter(d.kind for d, s in zip(dashboards, streams, strict=True) if s.status == 200)
    pipe.send(("open", dict(opened)))
    while (message := await loop.run_in_executor(None, pipe.recv))[0] == "phase":
        _, updates, goal, timeout = message
        board.begin(updates, opened[OTHER] + opened[WATCHER], goal)
        pipe.send(("ready",))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await board.recorder.complete.wait()
                await board.presence_done.wait()
        pipe.send(("phase", *board.results()))
    for stream in streams:
        if stream.transport is not None:
            stream.transport.close()
    pipe.send(("done",))


# --- newcomers (one load-generator process) ------------------------------------------------


def _ignore(lines: bytes, now: int) -> None:
    pass


def _newcomers(targets: list[Target], window: float, pipe: Pipe) -> None:
    """Process entry: on ("go", start), connect and leave on schedule, send what happened."""
    import uvloop

    raise_fd_limit()
    uvloop.run(_come_and_go(targets, window, pipe))


async def _come_and_go(targets: list[Target], window: float, pipe: Pipe) -> None:
    loop = asyncio.get_running_loop()
    pipe.send(("ready",))
    start: float = (await loop.run_in_executor(None, pipe.recv))[1]
    cpu = time.process_time()
    count = len(targets)
    step, leave = window / count, start + window + HOLD_S
    began, ended = array("q", bytes(8 * count)), array("q", bytes(8 * count))
    answered_us, statuses = array("q", bytes(8 * count)), array("q", bytes(8 * count))

    async def until(moment: float) -> None:
        await asyncio.sleep(max(0.0, moment - time.time()))

    now_open = peak = 0

    async def life(index: int) -> None:
        nonlocal now_open, peak
        await until(start + index * step)
        began[index] = time.time_ns()
        stream = None
        with contextlib.suppress(OSError):
            (stream,) = await open_each([(targets[index], _ignore)])
            statuses[index] = stream.status
        answered_us[index] = (time.time_ns() - began[index]) // 1000
        now_open += statuses[index] == 200
        peak = max(peak, now_open)
        await until(leave + index * step)
        ended[index] = time.time_ns()
        if stream is not None and stream.transport is not None:
            stream.transport.close()
        now_open -= statuses[index] == 200

    await asyncio.gather(*(life(i) for i in range(count)))
    figures = (statuses, began, ended, answered_us)
    cpu_s = time.process_time() - cpu
    pipe.send(("done", *(values.tobytes() for values in figures), peak, cpu_s))


# --- runner ---------------------------------------------------------------------------------


class _Processes:
    """Load-generator processes, each with its pipe."""

    def __init__(self, target: Any, shares: list[tuple[Any, ...]]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.procs: list[tuple[multiprocessing.process.BaseProcess, Pipe]] = []
        for args in shares:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=target, args=(*args, child), daemon=True)
            proc.start()
            self.procs.append((proc, parent))

    @property
    def pids(self) -> list[int]:
        return [proc.pid or 0 for proc, _ in self.procs]

    def send(self, message: tuple[Any, ...]) -> None:
        for _, pipe in self.procs:
            pipe.send(message)

    def answers(self, kind: str, deadline: float) -> list[tuple[Any, ...]]:
        found = [receive(pipe, deadline) for _, pipe in self.procs]
        if any(answer[0] != kind for answer in found):
            raise RuntimeError(f"a load generator answered {found!r:.200} to {kind!r}")
        return found

    def close(self) -> None:
        for proc, _ in self.procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)


def _dashboard_specs(port: int, subscribers: int) -> list[_Dashboard]:
    specs = [
        _Dashboard(
            WATCHER if i < WATCHERS else OTHER,
            _target(
                port,
                TEAM,
                f"dash{i:04d}",
                "office",
                [TEAM_FEED, SUBSCRIPTIONS_SELECTOR] if i < WATCHERS else [TEAM_FEED],
            ),
        )
        for i in range(subscribers)
    ]
    topics = [f"/teams/{OTHER_TEAM}/{{+rest}}", SUBSCRIPTIONS_SELECTOR]
    specs.append(_Dashboard(STRANGER, _target(port, OTHER_TEAM, "stranger", "office", topics)))
    return specs


def _phase(
    port: int,
    hub_pid: int,
    boards: _Processes,
    receivers: int,
    phase: str,
    churn: int,
    window: float,
    rate: float,
) -> dict[str, Any]:
    """One phase: publish for the churn's length at `rate`/s, with or without newcomers."""
    topics = PHASES[phase]
    seconds = 2 * MARGIN_S + 2 * window + HOLD_S
    updates = round(seconds * rate)
    load = os.getloadavg()[0]
    newcomers = None
    if topics:
        targets = [
            _target(port, TEAM, f"churn{i:04d}", "field", list(topics)) for i in range(churn)
        ]
        newcomers = _Processes(_newcomers, [(targets, window)])
    try:
        if newcomers is not None:
            newcomers.answers("ready", time.monotonic() + READY_DEADLINE_S)
        goal = churn * len(topics) * 2
        boards.send(("phase", updates, goal, seconds + DRAIN_DEADLINE_S))
        boards.answers("ready", time.monotonic() + READY_DEADLINE_S)
        pids = [hub_pid, *boards.pids]
        _hub_gc(port)  # from here on
        cpu, t0 = [cpu_seconds(pid) for pid in pids], time.monotonic()
        if newcomers is not None:
            newcomers.send(("go", time.time() + MARGIN_S))
        sent, took = publish(port, updates, rate)
        answers = boards.answers("phase", time.monotonic() + DRAIN_DEADLINE_S + 10)
        elapsed = time.monotonic() - t0
        used = [cpu_seconds(pid) - before for pid, before in zip(pids, cpu, strict=True)]
        gc_pauses = _hub_gc(port)
        came = None
        if newcomers is not None:
            (came,) = newcomers.answers("done", time.monotonic() + window + HOLD_S + 30)
    finally:
        if newcomers is not None:
            newcomers.close()
    result = _deliveries(answers, sent, receivers)
    loaders_s = sum(used[1:]) + (came[6] if came else 0.0)
    result.update(
        phase=phase,
        updates=updates,
        writes_per_s=(len(sent) - 1) / ((sent[-1] - sent[0]) / 1e9),
        post_p99_ms=percentile(took, 0.99) / 1000,
        hub_cpu=used[0] / elapsed,
        loaders_cpu=loaders_s / elapsed,
        load_before=load,
        gc_max_ms=gc_pauses["max_ms"],
        gc_total_ms=gc_pauses["total_ms"],
    )
    if came is not None:
        result["churn"] = _presence(answers, came, len(topics))
    return result


def _hub_gc(port: int) -> dict[str, float]:
    """The hub's garbage-collection pauses since the last call (`bench.fanout`'s stats)."""
    stats: dict[str, dict[str, float]] = httpx.get(
        f"http://127.0.0.1:{port}/bench/stats", timeout=10
    ).json()
    return stats["gc"]


def _deliveries(answers: list[tuple[Any, ...]], sent: list[int], receivers: int) -> dict[str, Any]:
    """Latency figures (ms) over every delivery and over each update's last one."""
    all_us: list[int] = []
    received = 0
    last_ns = [0] * len(sent)
    for answer in answers:
        latencies, counts, lasts = (array("q", part) for part in answer[1:4])
        all_us.extend(latencies)
        received += sum(counts)
        last_ns = [max(a, b) for a, b in zip(last_ns, lasts, strict=True)]
    last_ms = [(last - s) / 1e6 for last, s in zip(last_ns, sent, strict=True) if last]
    all_ms = sorted(us / 1000 for us in all_us)
    return {
        "p50_ms": percentile(all_ms, 0.50),
        "p99_ms": percentile(all_ms, 0.99),
        "p999_ms": percentile(all_ms, 0.999),
        "max_ms": all_ms[-1] if all_ms else float("nan"),
        "last_p99_ms": percentile(last_ms, 0.99),
        "deliveries": received,
        "missing": receivers * len(sent) - received,
    }


def _presence(answers: list[tuple[Any, ...]], came: tuple[Any, ...], topics: int) -> dict[str, Any]:
    """The newcomers' side, and what the dashboards following presence saw of them."""
    statuses, began, ended, answered_us = (array("q", part) for part in came[1:5])
    connected = sum(1 for status in statuses if status == 200)
    per_watcher: list[int] = []
    stranger = 0
    seen_in: list[float] = []
    seen_out: list[float] = []
    for answer in answers:
        for kind, users, active, arrived in answer[4]:
            users, arrived = array("q", users), array("q", arrived)
            if kind == STRANGER:
                stranger += len(users)
                continue
            per_watcher.append(len(users))
            for user, on, at in zip(users, array("b", active), arrived, strict=True):
                if on:
                    seen_in.append((at - began[user]) / 1e6)
                else:
                    seen_out.append((at - ended[user]) / 1e6)
    return {
        "newcomers": len(statuses),
        "connected": connected,
        "refused": dict(Counter(str(s) for s in statuses if s != 200)),
        "peak": came[5],
        "answer_p99_ms": percentile(answered_us, 0.99) / 1000,
        "answer_max_ms": max(answered_us, default=0) / 1000,
        "expected_per_watcher": connected * topics * 2,
        "watchers": len(per_watcher),
        "watcher_min": min(per_watcher, default=0),
        "watcher_max": max(per_watcher, default=0),
        "stranger": stranger,
        "seen_connect_p50_ms": percentile(seen_in, 0.50),
        "seen_connect_p99_ms": percentile(seen_in, 0.99),
        "seen_leave_p50_ms": percentile(seen_out, 0.50),
        "seen_leave_p99_ms": percentile(seen_out, 0.99),
    }


def measure_size(
    subscribers: int, phases: tuple[str, ...], churn: int, window: float, rate: float
) -> list[dict[str, Any]]:
    """A fresh hub, `subscribers` dashboards (+1 of another team), then `phases` in order."""
    port = free_port()
    hub = start_hub(port, HEARTBEAT_S)
    specs = _dashboard_specs(port, subscribers)
    boards = _Processes(_dashboards, [(specs[i::PROCESSES],) for i in range(PROCESSES)])
    try:
        opened: Counter[str] = Counter()
        for answer in boards.answers("open", time.monotonic() + OPEN_DEADLINE_S):
            opened.update(answer[1])
        receivers = opened[OTHER] + opened[WATCHER]
        results = []
        for index, phase in enumerate(phases, 1):
            result = _phase(port, hub.pid, boards, receivers, phase, churn, window, rate)
            result.update(subscribers=subscribers, round=index, opened=receivers)
            results.append(result)
            print(f"# N={subscribers} {phase}: p99 {result['p99_ms']:.1f} ms", file=sys.stderr)
        return results
    finally:
        with contextlib.suppress(OSError):
            boards.send(("stop",))
        boards.close()
        stop_hub(hub)


def measure(
    sizes: list[int], phases: tuple[str, ...], churn: int, window: float, rate: float
) -> dict[str, Any]:
    """Every size in turn; the churn phases run in reverse order at every other size, so
    neither always comes first (the first churn on a hub grows its heap the most)."""
    runs = []
    for index, n in enumerate(sizes):
        churns = iter([p for p in phases if p != "baseline"][:: -1 if index % 2 else 1])
        order = tuple(p if p == "baseline" else next(churns) for p in phases)
        runs += measure_size(n, order, churn, window, rate)
    return {"runs": runs, "churn": churn, "window_s": window, "rate": rate}


# --- report ---------------------------------------------------------------------------------


Row = dict[str, Any]
Columns = list[tuple[str, Callable[[Row], str]]]


def _live_columns(churn: int) -> Columns:
    def goal(r: Row) -> str:
        target = HUB_TARGET_P99_MS.get(r["subscribers"])
        return "-" if target is None else f"≤ {target:g} {check(r['p99_ms'] <= target)}"

    return [
        ("N", lambda r: f"{r['subscribers']:,}"),
        ("round", lambda r: str(r["round"])),
        ("meanwhile", lambda r: _label(r["phase"], churn)),
        ("open", lambda r: f"{r['opened']:,}"),
        ("updates @ /s", lambda r: f"{r['updates']} @ {num(r['writes_per_s'])}"),
        ("p50 ms", lambda r: num(r["p50_ms"])),
        ("p99 ms", lambda r: num(r["p99_ms"])),
        ("p99.9 ms", lambda r: num(r["p999_ms"])),
        ("max ms", lambda r: num(r["max_ms"])),
        ("last p99 ms", lambda r: num(r["last_p99_ms"])),
        ("hub target p99", goal),
        ("missing", lambda r: f"{r['missing']:,} {check(r['missing'] == 0)}"),
        ("hub CPU %", lambda r: f"{100 * r['hub_cpu']:.0f}"),
        ("hub GC max/total ms", lambda r: f"{r['gc_max_ms']:.0f} / {r['gc_total_ms']:.0f}"),
        ("loaders CPU %", lambda r: f"{100 * r['loaders_cpu']:.0f}"),
        ("load", lambda r: num(r["load_before"], 2)),
    ]


def _presence_columns(churn: int) -> Columns:
    def connected(c: Row) -> str:
        refused = ", ".join(f"{n} x {status}" for status, n in c["refused"].items())
        return f"{c['connected']:,}/{c['newcomers']:,}" + (f" ({refused})" if refused else "")

    def events(c: Row) -> str:
        low, high, expected = c["watcher_min"], c["watcher_max"], c["expected_per_watcher"]
        return f"{low:,}-{high:,} / {expected:,} {check(low == high == expected)}"

    return [
        ("N", lambda r: f"{r['subscribers']:,}"),
        ("round", lambda r: str(r["round"])),
        ("meanwhile", lambda r: _label(r["phase"], churn)),
        ("connected", lambda r: connected(r["churn"])),
        ("open at once", lambda r: f"{r['churn']['peak']:,}"),
        ("answer p99/max ms", lambda r: _pair(r["churn"], "answer", ("p99", "max"))),
        ("events per watcher / expected", lambda r: events(r["churn"])),
        (
            "other team saw",
            lambda r: f"{r['churn']['stranger']} {check(not r['churn']['stranger'])}",
        ),
        ("connect -> seen p50/p99 ms", lambda r: _pair(r["churn"], "seen_connect")),
        ("leave -> seen p50/p99 ms", lambda r: _pair(r["churn"], "seen_leave")),
    ]


def _pair(c: Row, name: str, which: tuple[str, str] = ("p50", "p99")) -> str:
    return " / ".join(num(c[f"{name}_{q}_ms"]) for q in which)


def _label(phase: str, churn: int) -> str:
    return phase if phase == "baseline" else f"+{churn:,} {phase}"


def _table(title: str, columns: Columns, runs: list[Row], notes: list[str]) -> Table:
    rows = [[cell(r) for _, cell in columns] for r in runs]
    return Table(title, [name for name, _ in columns], rows, notes)


def section(result: dict[str, Any]) -> Section:
    churn, window, runs = result["churn"], result["window_s"], result["runs"]
    live = _table(
        f"Live delivery to N team dashboards, with and without {churn:,} members coming and going",
        _live_columns(churn),
        runs,
        [
            f"A fresh hub per N (`bench.fanout`'s: in-memory outbox, caps lifted); the N "
            f"dashboards hold their own team tokens, {WATCHERS} of them also follow presence. "
            f"Updates are published over HTTP at {result['rate']:g}/s for "
            f"{2 * MARGIN_S + 2 * window + HOLD_S:g} s per phase; latency from the publish "
            "being sent to arrival, over all deliveries and to each update's last receiver.",
            f"Newcomers connect evenly over {window:g} s, stay {HOLD_S:g} s and leave evenly "
            f"over {window:g} s, each with its own token (`sub`). quiet: they ask for a topic "
            "nothing is published on. app-like: they ask what the office dashboard asks (the "
            "team's topics and presence), so they receive the updates too and each coming or "
            "going is 2 presence events for everyone following presence, newcomers included.",
            "round: the phases in the order they ran on one hub (the churns in reverse at "
            "every other N), so drift on the shared machine shows between the baselines. "
            "CPU: of the hub process and of the load generators (2 dashboard processes + 1 "
            "newcomer process), over the phase. hub GC: "
            "the longest and the summed pauses of the hub's garbage collector (its event loop "
            "stands still meanwhile). load: "
            "the 1-min load average before it. Hub-only: in the real sidecar the PocketBase "
            "-> hub hop comes on top (see the fan-out section).",
        ],
    )
    presence = _table(
        "Presence during the churn: what the dashboards following it saw",
        _presence_columns(churn),
        [r for r in runs if "churn" in r],
        [
            "answer: from a newcomer's connect to the hub's 200. open at once: the most "
            "newcomers connected at one time. Expected per watcher: (connects + disconnects) "
            f"x topics per newcomer, exact (min-max over the {WATCHERS} watchers). Other "
            "team: the newcomers' subscription events received by a dashboard of another "
            "team following presence (must be 0). seen: from the newcomer starting its "
            "connect resp. closing its socket to a watcher receiving the subscription event.",
        ],
    )
    return Section(
        "presence",
        "Presence under churn (`python -m bench.presence`)",
        [live, presence],
        _limits(runs, churn, window),
        result,
    )


def _limits(runs: list[Row], churn: int, window: float) -> str:
    """What the churn cost at the largest N, in this run's figures."""
    top = max(r["subscribers"] for r in runs)
    by_phase: dict[str, list[Row]] = {}
    for r in runs:
        if r["subscribers"] == top:
            by_phase.setdefault(r["phase"], []).append(r)
    bases = by_phase.get("baseline", [])
    if not bases:
        return "one hub event loop, on 2 cores shared with the load generators."
    spread = " to ".join(num(r["p99_ms"]) for r in bases)

    def moved(phase: str) -> str:
        r = by_phase[phase][0]
        return (
            f"took the others' p99 to {num(r['p99_ms'])} ms (p99.9 {num(r['p999_ms'])}), "
            f"the hub to {100 * r['hub_cpu']:.0f} % of a core and its longest garbage "
            f"collection to {r['gc_max_ms']:.0f} ms"
        )

    parts = [
        f"one hub event loop, on 2 cores shared with the load generators and other people's "
        f"work. At N={top:,} the baseline p99 was {spread} ms and the hub used "
        f"{100 * bases[0]['hub_cpu']:.0f} % of a core, its longest garbage collection "
        f"{bases[0]['gc_max_ms']:.0f} ms"
    ]
    if "quiet" in by_phase:
        parts.append(
            f"{churn:,} newcomers coming and going in {2 * window + HOLD_S:g} s (a token check, "
            f"a registry change and a presence event to {WATCHERS} watchers each time) "
            + moved("quiet")
        )
    if "app-like" in by_phase:
        parts.append(
            "newcomers that also take the updates and follow presence, as the office dashboard "
            "does, "
            + moved("app-like")
            + f": each coming or going is 2 events to every follower, newcomers included, "
            f"about 2 x {churn:,}² frames per phase, so this grows with the square of the "
            "people online in one team"
        )
    return "; ".join(parts) + "."


def run(quick: bool = False) -> Section:
    sizes = [100] if quick else [100, 1000]
    return section(measure(sizes, QUICK if quick else FULL, CHURN, WINDOW_S, RATE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N=100 only, one baseline")
    parser.add_argument("--sizes", default="100,1000", help="N, comma-separated")
    parser.add_argument("--churn", type=int, default=CHURN, help="newcomers per phase")
    parser.add_argument("--window", type=float, default=WINDOW_S, help="seconds to connect")
    parser.add_argument("--rate", type=float, default=RATE, help="updates per second")
    args = parser.parse_args()
    raise_fd_limit()
    sizes = [100] if args.quick else [int(n) for n in args.sizes.split(",")]
    phases = QUICK if args.quick else FULL
    print(text(section(measure(sizes, phases, args.churn, args.window, args.rate))))


if __name__ == "__main__":
    main()
