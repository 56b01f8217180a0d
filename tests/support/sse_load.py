"""A cheap SSE load generator: many streams per process on raw uvloop sockets.

It knows an HTTP/1.1 response head and lines, nothing about the server: a `Target` says which
request opens a stream (`mercure_request` builds the hub's) and, for HTTPS, which root
certificate the server's must chain to (verified, as a phone does), and every received line is
searched for the marker `bench:<index>:<sent time_ns>` that the publisher puts in each
update's data. Receive times are `time.time_ns()`, comparable across processes on one machine.
"""

from __future__ import annotations

import asyncio
import re
import resource
import ssl
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from urllib.parse import quote

MARKER = re.compile(rb"bench:(\d+):(\d+)")
_CONNECT_CONCURRENCY = 256

LineReader = Callable[[bytes, int], None]
"""What a stream hands its complete lines to, with their arrival time (time_ns)."""


@dataclass(frozen=True)
class Target:
    """Where and how to open one stream: the raw request bytes for host:port, over TLS
    verified against the root certificate at `cafile` (PEM) when one is given."""

    host: str
    port: int
    request: bytes
    cafile: str | None = None


def mercure_request(host: str, port: int, token: str, topics: list[str]) -> bytes:
    """`GET /.well-known/mercure` for `topics`, authorized by a bearer token."""
    query = "&".join(f"topic={quote(topic, safe='')}" for topic in topics)
    return (
        f"GET /.well-known/mercure?{query} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        f"Authorization: Bearer {token}\r\n"
        "Accept: text/event-stream\r\n\r\n"
    ).encode()


@dataclass
class Recorder:
    """Deliveries seen by one process: latencies (us) and, per update, count and last arrival."""

    updates: int
    latencies_us: array[int] = field(default_factory=lambda: array("q"))
    counts: array[int] = field(init=False)
    last_ns: array[int] = field(init=False)
    total: int = 0
    expected: int = -1
    complete: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.counts = array("q", bytes(8 * self.updates))
        self.last_ns = array("q", bytes(8 * self.updates))

    def record(self, index: int, sent_ns: int, now_ns: int) -> None:
        if 0 <= index < self.updates:
            self.latencies_us.append((now_ns - sent_ns) // 1000)
            self.counts[index] += 1
            if now_ns > self.last_ns[index]:
                self.last_ns[index] = now_ns
            self.total += 1
            if self.total == self.expected:
                self.complete.set()


class SSEStream(asyncio.Protocol):
    """One HTTP response, handed to `on_lines` as batches of complete lines.

    Chunked framing is not removed: its size lines are lines without markers. That holds as
    long as the server never splits an SSE line across chunks; uvicorn and Go's net/http write
    each flushed event as one chunk. Keeping the reader this thin keeps its CPU off the hub's.
    """

    def __init__(self, request: bytes, on_lines: LineReader) -> None:
        self._request = request
        self._on_lines = on_lines
        self._head: bytes | None = b""
        self._tail = b""
        self.status = 0
        self.opened: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport
        transport.write(self._request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        now = time.time_ns()
        if self._head is not None:
            head = self._head + data
            end = head.find(b"\r\n\r\n")
            if end < 0:
                self._head = head
                return
            self._head = None
            self.status = int(head.split(b" ", 2)[1])
            self.opened.set_result(self.status)
            data = head[end + 4 :]
        if self._tail:
            data = self._tail + data
        cut = data.rfind(b"\n") + 1
        self._tail = data[cut:]
        if cut:
            self._on_lines(data[:cut] if self._tail else data, now)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_result(0)


async def open_streams(target: Target, count: int, recorder: Recorder) -> list[SSEStream]:
    """Open `count` streams to `target`; every one is answered (status known) on return."""

    def on_lines(lines: bytes, now: int) -> None:
        for match in MARKER.finditer(lines):
            recorder.record(int(match[1]), int(match[2]), now)

    return await open_each([(target, on_lines)] * count)


async def open_each(streams: Sequence[tuple[Target, LineReader]]) -> list[SSEStream]:
    """Open one stream per (target, reader) pair, e.g. a token or a tally each; every one is
    answered (status known) on return."""
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(_CONNECT_CONCURRENCY)
    cafiles = {target.cafile for target, _ in streams if target.cafile}
    tls = {cafile: ssl.create_default_context(cafile=cafile) for cafile in cafiles}

    async def one(target: Target, on_lines: LineReader) -> SSEStream:
        async with gate:
            _, stream = await loop.create_connection(
                lambda: SSEStream(target.request, on_lines),
                target.host,
                target.port,
                ssl=tls[target.cafile] if target.cafile else None,
            )
            await stream.opened
            return stream

    return list(await asyncio.gather(*(one(*pair) for pair in streams)))


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def worker(target: Target, count: int, updates: int, pipe: Connection) -> None:
    """Process entry: open streams, report, record until told to stop, send the results."""
    import uvloop

    raise_fd_limit()
    uvloop.run(_work(target, count, updates, pipe))


async def _work(target: Target, count: int, updates: int, pipe: Connection) -> None:
    loop = asyncio.get_running_loop()
    recorder = Recorder(updates)
    streams = await open_streams(target, count, recorder)
    ok = sum(1 for s in streams if s.status == 200)
    recorder.expected = ok * updates
    pipe.send(("open", ok))
    stop = loop.run_in_executor(None, pipe.recv)
    complete = asyncio.ensure_future(recorder.complete.wait())
    await asyncio.wait([complete, stop], return_when=asyncio.FIRST_COMPLETED)
    if complete.done():
        pipe.send(("complete",))
    await stop
    for stream in streams:
        if stream.transport is not None:
            stream.transport.close()
    pipe.send(
        (
            "done",
            recorder.latencies_us.tobytes(),
            recorder.counts.tobytes(),
            recorder.last_ns.tobytes(),
        )
    )
