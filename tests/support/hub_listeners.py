"""Office dashboards on the hub, many at once: load-generator processes, each holding hundreds
of SSE streams on raw uvloop sockets (`tests/support/sse_load.py`'s reader), that record which event
ids each stream received and when.

Every stream starts after a known outbox position (`Last-Event-ID`), so whatever the moment
it was accepted, it must receive every later event of its team. When its connection drops (a
sidecar killed), it reconnects with the last id it got, as a browser's EventSource does, and
the hub must replay exactly the gap. What arrived is checked against the outbox afterwards
(`tests/support/audit.py`): the listeners parse nothing but `id:` lines.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.connection
import re
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.sse_load import SSEStream, mercure_request, raise_fd_limit

Pipe = multiprocessing.connection.Connection

TOPIC = "/teams/{team}/{+rest}"
"""Every topic of every team, as the office dashboard asks; the token limits it to one team."""
_ID = re.compile(rb"^id: (\d+)\r?$", re.MULTILINE)
_CONNECT_CONCURRENCY = 128
RECONNECT_FOR_S = 60.0
RECONNECT_MAX_S = 1.0


@dataclass(frozen=True)
class StreamSpec:
    token: str
    team: str


@dataclass
class StreamLog:
    """What one stream received: event ids (outbox seqs) and arrival times (time_ns)."""

    team: str
    seqs: list[int]
    arrived_ns: list[int]
    reconnects: int
    status: int
    """The last HTTP status the hub answered (200 while it was listening)."""


class _Stream(SSEStream):
    def __init__(
        self, request: bytes, on_lines: Callable[[bytes, int], None], lost: Callable[[], None]
    ) -> None:
        super().__init__(request, on_lines)
        self._lost = lost

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._lost()


class _Goal:
    """The last seq each team's streams must reach; set when every stream has."""

    def __init__(self) -> None:
        self.last: dict[str, int] = {}
        self.missing: set[int] = set()
        self.met = asyncio.Event()

    def expect(self, last: dict[str, int], listeners: list[_Listener]) -> None:
        self.last = last
        self.met.clear()
        self.missing = {id(listener) for listener in listeners}
        for listener in listeners:
            self.progressed(listener)

    def progressed(self, listener: _Listener) -> None:
        key = id(listener)
        if key in self.missing and listener.last >= self.last.get(listener.spec.team, 0):
            self.missing.discard(key)
            if not self.missing:
                self.met.set()


@dataclass
class _Listener:
    spec: StreamSpec
    host: str
    port: int
    last: int
    goal: _Goal
    seqs: array[int] = field(default_factory=lambda: array("q"))
    arrived: array[int] = field(default_factory=lambda: array("q"))
    reconnects: int = 0
    status: int = 0
    stopping: bool = False
    stream: _Stream | None = None

    def request(self) -> bytes:
        head = mercure_request(self.host, self.port, self.spec.token, [TOPIC])
        if self.last:
            head = head[:-2] + f"Last-Event-ID: {self.last}\r\n\r\n".encode()
        return head

    def on_lines(self, lines: bytes, now: int) -> None:
        for match in _ID.finditer(lines):
            seq = int(match[1])
            self.seqs.append(seq)
            self.arrived.append(now)
            self.last = seq
        self.goal.progressed(self)

    async def connect(self) -> None:
        """Open the stream; try again (backing off) while the hub cannot take it."""
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + RECONNECT_FOR_S
        delay = 0.05
        while not self.stopping:
            try:
                _, stream = await loop.create_connection(
                    lambda: _Stream(self.request(), self.on_lines, self._dropped),
                    self.host,
                    self.port,
                )
                self.status = await stream.opened
                if self.status == 200:
                    self.stream = stream
                    return
                if stream.transport is not None:
                    stream.transport.close()
                if self.status in (401, 403):
                    return
            except OSError:
                self.status = 0
            if time.monotonic() > deadline:
                return
            await asyncio.sleep(delay)
            delay = min(RECONNECT_MAX_S, delay * 2)

    def _dropped(self) -> None:
        if self.stream is None or self.stopping:
            return
        self.stream = None
        self.reconnects += 1
        asyncio.get_running_loop().create_task(self.connect())

    def close(self) -> None:
        self.stopping = True
        if self.stream is not None and self.stream.transport is not None:
            self.stream.transport.close()

    def log(self) -> tuple[str, bytes, bytes, int, int]:
        return (
            self.spec.team,
            self.seqs.tobytes(),
            self.arrived.tobytes(),
            self.reconnects,
            self.status,
        )


def _serve(host: str, port: int, after: int, specs: list[StreamSpec], pipe: Pipe) -> None:
    """Process entry: open the streams, report, record until told to stop, send the logs."""
    import uvloop

    raise_fd_limit()
    uvloop.run(_listen(host, port, after, specs, pipe))


async def _listen(host: str, port: int, after: int, specs: list[StreamSpec], pipe: Pipe) -> None:
    loop = asyncio.get_running_loop()
    goal = _Goal()
    listeners = [_Listener(spec, host, port, after, goal) for spec in specs]
    gate = asyncio.Semaphore(_CONNECT_CONCURRENCY)

    async def connect(listener: _Listener) -> None:
        async with gate:
            await listener.connect()

    await asyncio.gather(*(connect(listener) for listener in listeners))
    pipe.send(("open", sum(1 for listener in listeners if listener.status == 200)))
    while True:
        message: tuple[Any, ...] = await loop.run_in_executor(None, pipe.recv)
        if message[0] == "stop":
            break
        goal.expect(message[1], listeners)
        try:
            async with asyncio.timeout(message[2]):
                await goal.met.wait()
        except TimeoutError:
            pipe.send(("reached", False))
        else:
            pipe.send(("reached", True))
    for listener in listeners:
        listener.close()
    pipe.send(("done", [listener.log() for listener in listeners]))


def _recv(pipe: Pipe, timeout: float) -> tuple[Any, ...]:
    if not pipe.poll(max(0.0, timeout)):
        raise TimeoutError("a hub listener process did not answer in time")
    message: tuple[Any, ...] = pipe.recv()
    return message


class HubListeners:
    """`specs` streams on the hub at `host:port`, shared by `processes` processes, each
    starting after outbox seq `after`."""

    def __init__(
        self, host: str, port: int, specs: list[StreamSpec], *, after: int, processes: int
    ) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.count = len(specs)
        self._procs: list[tuple[Any, Pipe]] = []
        for index in range(processes):
            parent, child = ctx.Pipe()
            share = specs[index::processes]
            proc = ctx.Process(target=_serve, args=(host, port, after, share, child), daemon=True)
            proc.start()
            self._procs.append((proc, parent))

    @property
    def pids(self) -> list[int]:
        return [proc.pid for proc, _ in self._procs]

    def opened(self, timeout: float = 120.0) -> int:
        """Wait until every process has opened its streams; how many the hub accepted."""
        deadline = time.monotonic() + timeout
        return sum(int(_recv(pipe, deadline - time.monotonic())[1]) for _, pipe in self._procs)

    def reach(self, last_seq: dict[str, int], timeout: float = 60.0) -> bool:
        """Wait until every stream has received its team's event `last_seq[team]`; False if
        some had not by `timeout` (what they got is in `collect()`)."""
        deadline = time.monotonic() + timeout
        for _, pipe in self._procs:
            pipe.send(("expect", last_seq, timeout))
        answers = [_recv(pipe, deadline - time.monotonic() + 5) for _, pipe in self._procs]
        return all(answer[1] for answer in answers)

    def collect(self) -> list[StreamLog]:
        """Stop listening; what every stream received."""
        for _, pipe in self._procs:
            pipe.send(("stop",))
        logs: list[StreamLog] = []
        for _, pipe in self._procs:
            message = _recv(pipe, 60)
            while message[0] != "done":  # a late answer to `reach`
                message = _recv(pipe, 60)
            for team, seqs, arrived, reconnects, status in message[1]:
                logs.append(
                    StreamLog(
                        team,
                        array("q", seqs).tolist(),
                        array("q", arrived).tolist(),
                        reconnects,
                        status,
                    )
                )
        return logs

    def close(self) -> None:
        for proc, _ in self._procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
