"""Hub-only microbenchmark (not part of `python -m bench`, whose fan-out bench runs the real
sidecar and PocketBase: bench/realtime_fanout.py): publish -> SSE receive latency at N
subscribers, for working on the hub's fan-out itself.

    python -m bench.fanout --subscribers 100,1000,5000 --updates 200 --rate 20

For each N: a fresh hub (uvicorn + uvloop + httptools, own process, in-memory outbox), N
streams held by --workers load-generator processes (`tests/support/sse_load.py`), then --updates
private updates published over HTTP at --rate per second. Reported: publish -> receive
percentiles over all deliveries, publish -> last subscriber per update, missing deliveries,
the publish request's own latency, hub CPU while publishing, hub RSS per connection.
Loopback only; every phase has a deadline.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import multiprocessing
import multiprocessing.connection
import multiprocessing.process
import socket
import subprocess
import sys
import time
from array import array
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

import jwt

from sidecar.events import SCOPE_CLAIM, team_selector
from tests.support.net import free_port
from tests.support.processes import cpu_seconds, rss_kib
from tests.support.sse_load import Target, mercure_request, worker
from tests.support.stats import percentile

SUBSCRIBER_KEY = "bench-subscriber-key-0123456789abcdef"
PUBLISHER_KEY = "bench-publisher-key-0123456789abcdefg"
TEAM = "benchteam000001"
TOPIC = f"/teams/{TEAM}/jobs/bench000000001"
OPEN_DEADLINE_S = 180.0
DRAIN_DEADLINE_S = 15.0
WARMUP = 5
POST_TIMEOUT_S = 30.0
"""A publish answered later than this fails the run (TimeoutError) instead of hanging it."""

Pipe = multiprocessing.connection.Connection


# --- the hub process --------------------------------------------------------------------


class _GcPauses:
    """The garbage collector's pauses (ms) since they were last taken: while it runs, the hub's
    event loop stands still."""

    def __init__(self) -> None:
        self._began = 0.0
        self._pauses: list[float] = []

    def track(self, phase: str, info: dict[str, int]) -> None:
        """A `gc.callbacks` entry."""
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self._pauses.append((time.perf_counter() - self._began) * 1000)

    def take(self) -> dict[str, float]:
        pauses, self._pauses = self._pauses, []
        return {"max_ms": max(pauses, default=0.0), "total_ms": sum(pauses), "count": len(pauses)}


def serve(port: int, heartbeat_s: float) -> None:
    """Run a hub on 127.0.0.1:`port` over an in-memory outbox; print `ready` when listening."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from sidecar.hub import Hub, HubConfig
    from sidecar.serving import serve as serve_app
    from sidecar.settings import Settings
    from tests.support.outbox import MemoryOutbox
    from tests.support.sse_load import raise_fd_limit

    defaults = {name: field.default for name, field in Settings.model_fields.items()}
    outbox = MemoryOutbox()
    config = HubConfig(
        subscriber_key=SUBSCRIBER_KEY,
        publisher_key=PUBLISHER_KEY,
        anonymous=False,
        heartbeat_s=heartbeat_s,
        history_size=defaults["hub_history_size"],
        max_queue=defaults["hub_max_queue"],
        max_connections_per_subscriber=100_000,  # every load stream holds the same token
        max_connections_per_ip=100_000,  # and comes from 127.0.0.1
        scope_claim=SCOPE_CLAIM,
    )
    hub = outbox.hub = Hub(config, outbox, outbox.append)
    pauses = _GcPauses()
    gc.callbacks.append(pauses.track)

    async def stats(request: Request) -> JSONResponse:
        """The hub's stats, and its GC pauses since the last call."""
        return JSONResponse({**dataclasses.asdict(hub.stats()), "gc": pauses.take()})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await hub.start()
        print("ready", flush=True)
        yield
        await hub.close()

    app = Starlette(routes=[*hub.routes(), Route("/bench/stats", stats)], lifespan=lifespan)
    config_ = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        backlog=4096,
    )
    raise_fd_limit()
    serve_app(config_, on_shutdown=hub.close)


# --- measurement ------------------------------------------------------------------------


@dataclass
class Result:
    subscribers: int
    opened: int
    all_us: list[int]
    last_us: list[int]
    missing: int
    publish_us: list[int]
    hub_cpu: float
    gen_cpu: float
    rss_per_conn_kb: float
    seconds: float


def _token(key: str, **mercure: object) -> str:
    return jwt.encode({"mercure": mercure}, key, algorithm="HS256")


def receive(pipe: Pipe, deadline: float) -> tuple[object, ...]:
    """The next message on `pipe`; TimeoutError if none came by `deadline` (monotonic)."""
    if not pipe.poll(max(0.0, deadline - time.monotonic())):
        raise TimeoutError("a load generator did not answer in time")
    message: tuple[object, ...] = pipe.recv()
    return message


class _Poster:
    """A bare keep-alive HTTP/1.1 client: an httpx request costs milliseconds of client CPU,
    which would be counted as hub latency."""

    def __init__(self, port: int, path: str, token: str) -> None:
        self._sock = socket.create_connection(("127.0.0.1", port), timeout=POST_TIMEOUT_S)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
        ).encode()

    def post(self, form: dict[str, str]) -> int:
        body = urlencode(form).encode()
        self._sock.sendall(b"%sContent-Length: %d\r\n\r\n%s" % (self._head, len(body), body))
        response = b""
        while b"\r\n\r\n" not in response:
            response += self._sock.recv(65536)
        head, _, rest = response.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(rest) < length:
            rest += self._sock.recv(65536)
        return int(head.split(b" ", 2)[1])

    def close(self) -> None:
        self._sock.close()


def publish(port: int, updates: int, rate: float) -> tuple[list[int], list[int]]:
    """Publish WARMUP + `updates` updates at `rate`/s; return send times and request times."""
    poster = _Poster(port, "/.well-known/mercure", _token(PUBLISHER_KEY, publish=["*"]))
    sent: list[int] = [0] * updates
    took: list[int] = []
    try:
        for k in range(WARMUP):
            poster.post({"topic": TOPIC, "private": "on", "data": f"bench:{updates + k}:0"})
        start = time.monotonic()
        for index in range(updates):
            delay = start + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            sent[index] = now = time.time_ns()
            form = {"topic": TOPIC, "private": "on", "data": f'{{"bench":"bench:{index}:{now}"}}'}
            status = poster.post(form)
            took.append((time.time_ns() - now) // 1000)
            if status != 200:
                raise RuntimeError(f"publish answered {status}")
    finally:
        poster.close()
    return sent, took


def start_hub(port: int, heartbeat_s: float) -> subprocess.Popen[str]:
    """A hub process (`serve`) on 127.0.0.1:`port`, returned once it listens."""
    command = [sys.executable, "-m", "bench.fanout", "--serve", str(port)]
    hub = subprocess.Popen(
        [*command, "--heartbeat", str(heartbeat_s)], stdout=subprocess.PIPE, text=True
    )
    assert hub.stdout is not None
    if hub.stdout.readline().strip() != "ready":
        hub.kill()
        raise RuntimeError("the hub did not start")
    return hub


def stop_hub(hub: subprocess.Popen[str]) -> None:
    """SIGTERM: the hub ends its streams, then uvicorn exits (killed if it takes over 15 s)."""
    hub.terminate()
    try:
        hub.wait(timeout=15)
    except subprocess.TimeoutExpired:
        hub.kill()
        hub.wait(timeout=5)


def _collect(pipes: list[Pipe], sent: list[int]) -> tuple[list[int], list[int], int]:
    """Stop the load generators; all latencies, per-update last-arrival latencies, count."""
    for pipe in pipes:
        pipe.send("stop")
    all_us: list[int] = []
    last_ns = [0] * len(sent)
    received = 0
    for pipe in pipes:
        message = receive(pipe, time.monotonic() + 60)
        while message[0] != "done":
            message = receive(pipe, time.monotonic() + 60)
        latencies, counts, lasts = (array("q", bytes(m)) for m in message[1:])  # type: ignore[call-overload]
        all_us.extend(latencies)
        received += sum(counts)
        last_ns = [max(a, b) for a, b in zip(last_ns, lasts, strict=True)]
    last_us = [(last - s) // 1000 for last, s in zip(last_ns, sent, strict=True) if last]
    return all_us, last_us, received


def run(subscribers: int, updates: int, rate: float, workers: int, heartbeat_s: float) -> Result:
    """One measurement: fresh hub, `subscribers` idle streams, then `updates` publishes."""
    port = free_port()
    hub = start_hub(port, heartbeat_s)
    procs: list[tuple[multiprocessing.process.BaseProcess, Pipe]] = []
    ctx = multiprocessing.get_context("spawn")
    try:
        time.sleep(0.2)
        rss_before = rss_kib(hub.pid)
        token = _token(SUBSCRIBER_KEY, subscribe=[team_selector(TEAM)], payload={SCOPE_CLAIM: TEAM})
        target = Target("127.0.0.1", port, mercure_request("127.0.0.1", port, token, ["*"]))
        for i in range(workers):
            share = subscribers // workers + (i < subscribers % workers)
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker, args=(target, share, updates, child), daemon=True)
            proc.start()
            procs.append((proc, parent))
        deadline = time.monotonic() + OPEN_DEADLINE_S
        opened = sum(int(receive(pipe, deadline)[1]) for _, pipe in procs)  # type: ignore[call-overload]
        time.sleep(1.0)  # let the hub settle before reading its memory
        rss_after = rss_kib(hub.pid)
        pids = [hub.pid] + [proc.pid or 0 for proc, _ in procs]
        cpu_before, t0 = [cpu_seconds(pid) for pid in pids], time.monotonic()
        sent, took = publish(port, updates, rate)
        deadline = time.monotonic() + DRAIN_DEADLINE_S
        for _, pipe in procs:  # each says "complete" once it has every update
            if pipe.poll(max(0.0, deadline - time.monotonic())):
                pipe.recv()
        cpu = [
            (cpu_seconds(pid) - before) / (time.monotonic() - t0)
            for pid, before in zip(pids, cpu_before, strict=True)
        ]
        seconds = time.monotonic() - t0
        all_us, last_us, received = _collect([pipe for _, pipe in procs], sent)
        return Result(
            subscribers=subscribers,
            opened=opened,
            all_us=all_us,
            last_us=last_us,
            missing=opened * updates - received,
            publish_us=took,
            hub_cpu=cpu[0],
            gen_cpu=sum(cpu[1:]),
            rss_per_conn_kb=(rss_after - rss_before) / max(1, opened),
            seconds=seconds,
        )
    finally:
        for process, _ in procs:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
        stop_hub(hub)


def _ms(us: float) -> str:
    return f"{us / 1000:.1f}"


def report(results: list[Result]) -> None:
    """Print one row per run; latencies in ms, "last" = the update's last subscriber."""
    columns: list[tuple[str, Callable[[Result], str]]] = [
        ("subscribers", lambda r: str(r.subscribers)),
        ("open", lambda r: str(r.opened)),
        ("p50", lambda r: _ms(percentile(r.all_us, 0.50))),
        ("p95", lambda r: _ms(percentile(r.all_us, 0.95))),
        ("p99", lambda r: _ms(percentile(r.all_us, 0.99))),
        ("last p50", lambda r: _ms(percentile(r.last_us, 0.50))),
        ("last p95", lambda r: _ms(percentile(r.last_us, 0.95))),
        ("last p99", lambda r: _ms(percentile(r.last_us, 0.99))),
        ("last max", lambda r: _ms(max(r.last_us, default=0))),
        ("missing", lambda r: str(r.missing)),
        ("POST p99", lambda r: _ms(percentile(r.publish_us, 0.99))),
        ("hub CPU", lambda r: f"{100 * r.hub_cpu:.0f}%"),
        ("gen CPU", lambda r: f"{100 * r.gen_cpu:.0f}%"),
        ("KB/conn", lambda r: f"{r.rss_per_conn_kb:.1f}"),
    ]
    rows = [[name for name, _ in columns]] + [[cell(r) for _, cell in columns] for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    for row in rows:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", default="100,1000,5000")
    parser.add_argument("--updates", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--heartbeat", type=float, default=15.0)
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.heartbeat)
        return
    results = []
    for count in (int(n) for n in args.subscribers.split(",")):
        results.append(run(count, args.updates, args.rate, args.workers, args.heartbeat))
        print(f"# {count} subscribers done in {results[-1].seconds:.1f}s", file=sys.stderr)
    report(results)


if __name__ == "__main__":
    main()
