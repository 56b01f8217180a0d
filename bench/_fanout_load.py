"""Load generators of the side-by-side fan-out: processes that each hold many SSE streams
on PocketBase realtime or on the hub, and the runner's handle on them."""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.connection
import os
import re
import time
from array import array
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.sse_load import (
    MARKER,
    Recorder,
    SSEStream,
    Target,
    mercure_request,
    open_streams,
    raise_fd_limit,
)

Pipe = multiprocessing.connection.Connection


OPEN_DEADLINE_S = 180.0
_CLIENT_ID = re.compile(rb'"clientId"\s*:\s*"([^"]+)"')
_SUBSCRIBE_CONCURRENCY = 64


# --- load generator (one process holds many streams) -------------------------------------


@dataclass(frozen=True)
class Streams:
    """Which streams a load generator opens: `kind` "pocketbase" or "hub"; `tokens` are
    PocketBase user tokens (used round-robin) resp. the one hub JWT."""

    kind: str
    host: str
    port: int
    tokens: tuple[str, ...]
    topic: str


async def _open_pocketbase(spec: Streams, count: int, recorder: Recorder) -> list[SSEStream]:
    """`count` realtime streams, each subscribed to `spec.topic` with its own client id."""
    loop = asyncio.get_running_loop()
    request = (
        f"GET /api/realtime HTTP/1.1\r\nHost: {spec.host}:{spec.port}\r\n"
        "Accept: text/event-stream\r\n\r\n"
    ).encode()
    gate = asyncio.Semaphore(_SUBSCRIBE_CONCURRENCY)
    limits = httpx.Limits(max_connections=_SUBSCRIBE_CONCURRENCY)
    base = f"http://{spec.host}:{spec.port}"
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:

        async def one(index: int) -> SSEStream:
            client_id: asyncio.Future[str] = loop.create_future()

            def on_lines(lines: bytes, now: int) -> None:
                if not client_id.done() and (found := _CLIENT_ID.search(lines)):
                    client_id.set_result(found[1].decode())
                for match in MARKER.finditer(lines):
                    recorder.record(int(match[1]), int(match[2]), now)

            async with gate:
                _, stream = await loop.create_connection(
                    lambda: SSEStream(request, on_lines), spec.host, spec.port
                )
                if await stream.opened != 200:
                    return stream
                response = await http.post(
                    "/api/realtime",
                    json={
                        "clientId": await asyncio.wait_for(client_id, 30),
                        "subscriptions": [spec.topic],
                    },
                    headers={"Authorization": spec.tokens[index % len(spec.tokens)]},
                )
                if response.status_code != 204:
                    stream.status = response.status_code
                return stream

        return list(await asyncio.gather(*(one(i) for i in range(count))))


async def _load(spec: Streams, count: int, updates: int, pipe: Pipe) -> None:
    loop = asyncio.get_running_loop()
    recorder = Recorder(updates)
    if spec.kind == "pocketbase":
        streams = await _open_pocketbase(spec, count, recorder)
    else:
        request = mercure_request(spec.host, spec.port, spec.tokens[0], [spec.topic])
        streams = await open_streams(Target(spec.host, spec.port, request), count, recorder)
    ok = sum(1 for stream in streams if stream.status == 200)
    recorder.expected = ok * updates
    pipe.send(("open", ok))
    stop = asyncio.Event()
    loop.add_reader(pipe.fileno(), stop.set)
    complete = asyncio.ensure_future(recorder.complete.wait())
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait([complete, stopped], return_when=asyncio.FIRST_COMPLETED)
    if complete.done():
        pipe.send(("complete",))
    await stopped
    loop.remove_reader(pipe.fileno())
    os.set_blocking(pipe.fileno(), True)  # uvloop's add_reader made it non-blocking
    pipe.recv()
    for stream in streams:
        if stream.transport is not None:
            stream.transport.close()
    data = (recorder.latencies_us, recorder.counts, recorder.last_ns)
    pipe.send(("done", *(values.tobytes() for values in data)))


def load_generator(spec: Streams, count: int, updates: int, pipe: Pipe) -> None:
    """Process entry: hold `count` streams, record markers until told to stop, report."""
    import uvloop

    raise_fd_limit()
    uvloop.run(_load(spec, count, updates, pipe))


def _recv(pipe: Pipe, deadline: float) -> tuple[Any, ...]:
    if not pipe.poll(max(0.0, deadline - time.monotonic())):
        raise TimeoutError("load generator did not answer in time")
    message: tuple[Any, ...] = pipe.recv()
    return message


class Loaders:
    """Load-generator processes sharing `count` streams of `spec`."""

    def __init__(self, spec: Streams, count: int, updates: int, processes: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.updates = updates
        self.procs: list[tuple[Any, Pipe]] = []
        for index in range(processes):
            share = count // processes + (index < count % processes)
            parent, child = ctx.Pipe()
            proc = ctx.Process(
                target=load_generator, args=(spec, share, updates, child), daemon=True
            )
            proc.start()
            self.procs.append((proc, parent))

    @property
    def pids(self) -> list[int]:
        return [proc.pid for proc, _ in self.procs]

    def opened(self) -> int:
        """Wait until every process has opened its streams; how many were accepted."""
        deadline = time.monotonic() + OPEN_DEADLINE_S
        return sum(int(_recv(pipe, deadline)[1]) for _, pipe in self.procs)

    def drain(self, deadline: float) -> None:
        """Wait (until `deadline`) for every process to have received every update."""
        for _, pipe in self.procs:
            if pipe.poll(max(0.0, deadline - time.monotonic())):
                pipe.recv()

    def collect(self) -> tuple[list[int], list[int], list[int]]:
        """Stop: all latencies (us), deliveries per update, last arrival per update (ns)."""
        for _, pipe in self.procs:
            pipe.send("stop")
        all_us: list[int] = []
        counts = [0] * self.updates
        last_ns = [0] * self.updates
        for _, pipe in self.procs:
            message = _recv(pipe, time.monotonic() + 60)
            while message[0] != "done":
                message = _recv(pipe, time.monotonic() + 60)
            latencies, part_counts, part_last = (array("q", m) for m in message[1:])
            all_us.extend(latencies)
            counts = [a + b for a, b in zip(counts, part_counts, strict=True)]
            last_ns = [max(a, b) for a, b in zip(last_ns, part_last, strict=True)]
        return all_us, counts, last_ns

    def close(self) -> None:
        for proc, _ in self.procs:
            proc.join(timeout=15)
            if proc.is_alive():
                proc.kill()
