"""The front door's cost: hub delivery and photo uploads through Caddy against direct, in one run.

    python -m bench.frontdoor [--quick]

One PocketBase, sidecar and front door (`frontdoor/serve.sh`, Caddy with its local CA), on free
ports with temp dirs, serve both phases:

- Delivery: for N subscribers (100 and 1,000, each twice; which path goes first alternates),
  N hub streams on `/.well-known/mercure` held by load-generator processes
  (`tests/support/sse_load.py`), either straight to the sidecar's port (plain HTTP/1.1) or through
  Caddy (HTTPS verified against the local CA's root certificate, one TLS connection per
  subscriber, as N phones have). Then M job creates through PocketBase's REST API at 20/s,
  the same writer either way (`bench.realtime_fanout.write_jobs`), so the paths differ only
  in how updates reach the subscribers; latency from the create being sent to arrival.
  Caddy's CPU over the writes and drain, its RSS growth over opening the N streams.
- Upload: 5 MB JPEGs (`tests/support/images`, made unique per upload) with the SDK's
  `Client.photos.upload`, through Caddy over HTTP/2 (what browsers get) and HTTP/1.1, and
  straight to PocketBase over HTTP/1.1; rounds interleaved with a rotating order, MB/s of
  the median upload.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import secrets
import statistics
import struct
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fieldsync import Client, Job

from bench._fanout_load import Loaders
from bench.realtime_fanout import write_jobs
from bench.report import Section, Table, check, num, summary, text
from tests.support.frontdoor import FrontDoorProcess
from tests.support.images import jpeg, photo
from tests.support.pocketbase import PocketBaseProcess, launch
from tests.support.processes import cpu_seconds, rss_kib
from tests.support.sidecar import SidecarProcess
from tests.support.sse_load import Target, mercure_request, raise_fd_limit, worker
from tests.support.stats import percentile
from tests.support.teams import SeededTeam, make_team
from tests.support.waiting import wait_for

PATHS = ("direct", "caddy")
LABELS = {"direct": "direct (sidecar port)", "caddy": "through Caddy (HTTPS)"}
RATE = 20.0
WORKERS = 2
DRAIN_DEADLINE_S = 30.0
CLOSE_DEADLINE_S = 30.0
FULL_SIZES = ((100, 200), (1000, 200), (1000, 200), (100, 200))
QUICK_SIZES = ((100, 40),)
UPLOADS = ("direct-h1", "caddy-h2", "caddy-h1")
UPLOAD_LABELS = {
    "direct-h1": "direct to PocketBase, HTTP/1.1",
    "caddy-h2": "through Caddy, HTTP/2",
    "caddy-h1": "through Caddy, HTTP/1.1",
}
UPLOAD_TIMEOUT_S = 60.0
CPU_OF_UPLOAD = ("client", "caddy", "pocketbase")


@dataclass
class Stack:
    pb: PocketBaseProcess
    sidecar: SidecarProcess
    front: FrontDoorProcess
    team: SeededTeam


@contextmanager
def running_stack(tmp: Path) -> Iterator[Stack]:
    """PocketBase, the sidecar (stream caps lifted: every load stream comes from 127.0.0.1 with
    one token) and the front door, stopped on the way out."""
    raise_fd_limit()  # inherited by PocketBase, the sidecar and Caddy
    pb = launch(tmp / "pb_data", exempt_loopback=True)
    sidecar = SidecarProcess(
        pb,
        tmp,
        FIELDSYNC_THUMB_WORKERS="1",
        FIELDSYNC_HUB_MAX_CONNECTIONS_PER_SUBSCRIBER="100000",
        FIELDSYNC_HUB_MAX_CONNECTIONS_PER_IP="100000",
    )
    front = FrontDoorProcess(pb, sidecar, tmp / "caddy")
    try:
        with pb.superuser_client() as su:
            team = make_team(su, "Front door bench")
        sidecar.start()
        front.start()
        yield Stack(pb, sidecar, front, team)
    finally:
        front.stop()
        sidecar.stop()
        pb.cleanup()


# --- delivery -----------------------------------------------------------------------------


class TargetLoaders(Loaders):
    """`Loaders`' handle on `tests/support/sse_load.py`'s stream readers, which can speak TLS."""

    def __init__(self, target: Target, count: int, updates: int, processes: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.updates = updates
        self.procs = []
        for index in range(processes):
            share = count // processes + (index < count % processes)
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker, args=(target, share, updates, child), daemon=True)
            proc.start()
            self.procs.append((proc, parent))


def _hub_subscribers(sidecar: SidecarProcess) -> int:
    for line in sidecar.metrics().splitlines():
        if line.startswith("fieldsync_hub_subscribers "):
            return int(float(line.split()[1]))
    raise RuntimeError("the sidecar's metrics have no fieldsync_hub_subscribers")


def _target(stack: Stack, path: str) -> Target:
    """The hub stream request, to the sidecar itself or to Caddy's https port."""
    response = httpx.post(
        f"{stack.sidecar.url}/.well-known/mercure/token",
        headers={"Authorization": stack.team.office.token},
    )
    response.raise_for_status()
    token = response.json()["token"]
    topics = [f"/teams/{stack.team.id}/jobs/{{job}}"]
    if path == "direct":
        port = stack.sidecar.port
        return Target("127.0.0.1", port, mercure_request("127.0.0.1", port, token, topics))
    port = stack.front.https_port
    request = mercure_request("localhost", port, token, topics)
    return Target("localhost", port, request, cafile=str(stack.front.root_cert))


def deliver(stack: Stack, path: str, subscribers: int, updates: int) -> dict[str, Any]:
    """N streams on one path, `updates` job creates at RATE/s; raw figures."""
    load = os.getloadavg()[0]
    caddy = stack.front.pid
    rss_before = rss_kib(caddy)
    loaders = TargetLoaders(_target(stack, path), subscribers, updates, WORKERS)
    try:
        opened = loaders.opened()
        time.sleep(1.0)  # let Caddy settle before reading its memory
        rss_after = rss_kib(caddy)
        pids = {"caddy": caddy, "sidecar": stack.sidecar.pid, "pb": stack.pb.pid}
        pids.update({f"loader{i}": pid for i, pid in enumerate(loaders.pids)})
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        cpu_from = time.monotonic()
        office = stack.team.office.token
        sent, took, elapsed = asyncio.run(
            write_jobs(stack.pb.url, office, stack.team.id, updates, RATE)
        )
        loaders.drain(time.monotonic() + DRAIN_DEADLINE_S)
        cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
        cpu_window = time.monotonic() - cpu_from
        all_us, counts, last_ns = loaders.collect()
    finally:
        loaders.close()
    wait_for(
        lambda: _hub_subscribers(stack.sidecar) == 0,
        timeout=CLOSE_DEADLINE_S,
        what="the hub to see every stream closed",
    )
    stats = summary([us / 1000 for us in all_us])
    last_ms = [(last - s) / 1e6 for last, s in zip(last_ns, sent, strict=False) if last]
    return {
        "path": path,
        "subscribers": subscribers,
        "opened": opened,
        "updates": len(sent),
        "writes_per_s": len(sent) / elapsed,
        "post_p50_ms": percentile(took, 0.50),
        "p50_ms": stats["p50"],
        "p95_ms": stats["p95"],
        "p99_ms": stats["p99"],
        "last_p99_ms": percentile(last_ms, 0.99),
        "missing": opened * len(sent) - sum(counts),
        "caddy_rss_mb": rss_after / 1024,
        "caddy_kb_per_stream": (rss_after - rss_before) / max(1, opened),
        "cpu_caddy_s": cpu["caddy"],
        "cpu_sidecar_s": cpu["sidecar"],
        "cpu_pb_s": cpu["pb"],
        "cpu_loaders_s": sum(v for name, v in cpu.items() if name.startswith("loader")),
        "cpu_window_s": cpu_window,
        "load_before": load,
    }


def measure_delivery(stack: Stack, sizes: tuple[tuple[int, int], ...]) -> list[dict[str, Any]]:
    """Both paths at every size, the first path alternating from one size to the next."""
    results = []
    rounds: dict[int, int] = {}
    for index, (subscribers, updates) in enumerate(sizes):
        rounds[subscribers] = rounds.get(subscribers, 0) + 1
        order = PATHS if index % 2 == 0 else PATHS[::-1]
        for path in order:
            result = deliver(stack, path, subscribers, updates)
            results.append({**result, "round": rounds[subscribers], "first": order[0]})
    return results


# --- upload -------------------------------------------------------------------------------


class VersionSeen(httpx.BaseTransport):
    """An httpx transport that notes the HTTP version of every response it hands back."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.versions: set[str] = set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.versions.add(response.extensions.get("http_version", b"?").decode())
        return response

    def close(self) -> None:
        self.inner.close()


def _unique(base: bytes) -> bytes:
    """`base` (a JPEG) with a random comment segment after SOI: still a valid JPEG, with a
    sha256 (and so a photo id) of its own."""
    comment = b"fieldsync bench " + secrets.token_hex(16).encode()
    return base[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + base[2:]


def _client(stack: Stack, way: str) -> tuple[Client, VersionSeen]:
    """The SDK, logged in as the office user, for one way of uploading."""
    if way == "direct-h1":
        url, inner = stack.pb.url, httpx.HTTPTransport()
    else:
        url = stack.front.url
        # 127.0.0.1 (exempt from PocketBase's rate limits here), as Caddy reports it.
        inner = httpx.HTTPTransport(
            verify=stack.front.ssl_context(), http2=way == "caddy-h2", local_address="127.0.0.1"
        )
    seen = VersionSeen(inner)
    client = Client(url, transport=seen, timeout=UPLOAD_TIMEOUT_S)
    client.auth.with_password(stack.team.office.email, stack.team.office.password)
    return client, seen


def measure_uploads(stack: Stack, rounds: int, warmup: int) -> dict[str, Any]:
    """Each way once per round (order rotating), a fresh unique 5 MB photo each time."""
    base = jpeg(photo())
    clients = {way: _client(stack, way) for way in UPLOADS}
    seconds: dict[str, list[float]] = {way: [] for way in UPLOADS}
    cpu_s = {way: dict.fromkeys(CPU_OF_UPLOAD, 0.0) for way in UPLOADS}
    pids = {"caddy": stack.front.pid, "pocketbase": stack.pb.pid}
    try:
        job = clients["direct-h1"][0].jobs.create(Job(team=stack.team.id, title="upload bench"))
        for number in range(warmup + rounds):
            shift = number % len(UPLOADS)
            for way in UPLOADS[shift:] + UPLOADS[:shift]:
                data = _unique(base)
                before = {name: cpu_seconds(pid) for name, pid in pids.items()}
                client_cpu = time.process_time()
                started = time.perf_counter()
                uploaded = clients[way][0].photos.upload(job, data, filename="bench.jpg")
                elapsed = time.perf_counter() - started
                client_cpu = time.process_time() - client_cpu
                assert uploaded.file, "PocketBase stored no file"
                if number >= warmup:
                    seconds[way].append(elapsed)
                    cpu_s[way]["client"] += client_cpu
                    for name, pid in pids.items():
                        cpu_s[way][name] += cpu_seconds(pid) - before[name]
    finally:
        for client, _ in clients.values():
            client.close()
    ways = {}
    for way in UPLOADS:
        median = statistics.median(seconds[way])
        ways[way] = {
            "protocols": sorted(clients[way][1].versions),
            "median_ms": median * 1000,
            "p90_ms": percentile(seconds[way], 0.90) * 1000,
            "min_ms": min(seconds[way]) * 1000,
            "mb_per_s": len(base) / median / 1e6,
            **{f"cpu_{name}_ms": spent / rounds * 1000 for name, spent in cpu_s[way].items()},
        }
    return {"size_bytes": len(base), "rounds": rounds, "warmup_rounds": warmup, "ways": ways}


# --- report -------------------------------------------------------------------------------


def _delivery_table(results: list[dict[str, Any]]) -> Table:
    head = [
        "N",
        "round",
        "path",
        "open",
        "writes @ /s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "last p99 ms",
        "missing",
        "CPU s Caddy",
        "CPU s sidecar",
        "CPU s loaders",
        "Caddy RSS MB",
        "Caddy KB/stream",
        "load",
    ]
    ordered = sorted(results, key=lambda r: (r["subscribers"], r["round"], PATHS.index(r["path"])))
    rows = [
        [
            f"{r['subscribers']:,}",
            f"{r['round']}{' (first)' if r['first'] == r['path'] else ''}",
            LABELS[r["path"]],
            f"{r['opened']:,}",
            f"{r['updates']} @ {num(r['writes_per_s'])}",
            num(r["p50_ms"]),
            num(r["p95_ms"]),
            num(r["p99_ms"]),
            num(r["last_p99_ms"]),
            f"{r['missing']:,} {check(r['missing'] == 0)}",
            num(r["cpu_caddy_s"], 2),
            num(r["cpu_sidecar_s"], 2),
            num(r["cpu_loaders_s"], 2),
            num(r["caddy_rss_mb"]),
            num(r["caddy_kb_per_stream"]) if r["path"] == "caddy" else "-",
            num(r["load_before"], 2),
        ]
        for r in ordered
    ]
    notes = [
        f"Writer: job creates straight to PocketBase's REST API at {RATE:g}/s offered, one at a "
        "time, the same for both paths; latency from the create being sent to arrival, over all "
        "deliveries (p50/p95/p99) and to each write's last subscriber (last p99).",
        "Direct: plain HTTP/1.1 to the sidecar's port. Caddy: HTTPS (TLS verified against the "
        "local CA's root certificate), HTTP/1.1 from the load generator, one TLS connection per "
        "subscriber; Caddy proxies each stream on its own connection to the sidecar "
        "(`flush_interval -1`).",
        f"Streams held by {WORKERS} load-generator processes (uvloop, raw sockets), all with the "
        "office user's hub token, topic `/teams/<team>/jobs/{job}`. CPU: seconds used during "
        "the writes and the drain. Caddy KB/stream: VmRSS growth over opening N streams (Go's "
        "heap is not returned between runs, so later runs grow less). load: the 1-min load "
        "average before the run; the 2 cores are shared with other people's work.",
        "round: which path went first alternates from one size to the next (marked), so drift "
        "on the shared machine shows as the spread between rounds.",
        _proxy_cost(ordered),
    ]
    return Table("Hub delivery: through Caddy vs direct", head, rows, notes)


def _proxy_cost(ordered: list[dict[str, Any]]) -> str:
    """Caddy's extra p99 per N: the median over rounds of (Caddy - direct)."""
    parts = []
    for n in sorted({r["subscribers"] for r in ordered}):
        pairs: dict[int, dict[str, float]] = {}
        for r in ordered:
            if r["subscribers"] == n:
                pairs.setdefault(r["round"], {})[r["path"]] = r["p99_ms"]
        deltas = [p["caddy"] - p["direct"] for p in pairs.values() if len(p) == 2]
        cpu_us = [
            r["cpu_caddy_s"] / max(1, r["updates"] * r["opened"]) * 1e6
            for r in ordered
            if r["subscribers"] == n and r["path"] == "caddy"
        ]
        if deltas:
            parts.append(
                f"N={n:,}: p99 {statistics.median(deltas):+.1f} ms, Caddy "
                f"{num(statistics.median(cpu_us))} us CPU per delivery"
            )
    return "Proxy's cost (median over rounds of Caddy minus direct): " + "; ".join(parts) + "."


def _upload_table(result: dict[str, Any]) -> Table:
    ways = result["ways"]
    direct = ways["direct-h1"]["mb_per_s"]
    rows = [
        [
            UPLOAD_LABELS[way],
            ", ".join(ways[way]["protocols"]),
            num(ways[way]["mb_per_s"]),
            f"{ways[way]['mb_per_s'] / direct:.2f}x",
            num(ways[way]["median_ms"]),
            num(ways[way]["p90_ms"]),
            num(ways[way]["min_ms"]),
            *(num(ways[way][f"cpu_{name}_ms"]) for name in CPU_OF_UPLOAD),
        ]
        for way in UPLOADS
    ]
    notes = [
        f"{result['size_bytes'] / 1e6:.1f} MB JPEG (a 12 MP synthetic photo, a fresh comment "
        "segment each time so every upload is new to PocketBase), `Client.photos.upload` of the "
        f"SDK as the office user; {result['rounds']} rounds (+{result['warmup_rounds']} "
        "warm-up), each way once per round in a rotating order. MB/s from the median upload. "
        "protocol: the HTTP version of the responses the SDK got.",
        "CPU ms: CPU time per upload (mean over the timed rounds) of the uploading process "
        "(the SDK on httpx; over HTTP/2 that includes the pure-Python `h2` framing, which a "
        "browser's native stack does not pay), Caddy and PocketBase. The sidecar makes a "
        "thumbnail of every photo meanwhile, the same for each way.",
    ]
    head = [
        "way",
        "protocol",
        "MB/s",
        "vs direct",
        "median ms",
        "p90 ms",
        "min ms",
        "CPU ms client",
        "CPU ms Caddy",
        "CPU ms PocketBase",
    ]
    return Table("Photo upload: through Caddy vs direct", head, rows, notes)


def _limits(delivery: list[dict[str, Any]], upload: dict[str, Any]) -> str:
    top = max(r["subscribers"] for r in delivery)
    at_top = [r for r in delivery if r["subscribers"] == top]
    caddy = max(at_top, key=lambda r: r["cpu_caddy_s"])
    direct = next(r for r in at_top if r["path"] == "direct")
    ways = upload["ways"]

    def cores(r: dict[str, Any], key: str) -> str:
        return f"{r[key] / (r['cpu_window_s'] + 1e-9):.2f}"

    def spent(way: str) -> float:
        return float(sum(ways[way][f"cpu_{name}_ms"] for name in CPU_OF_UPLOAD))

    return (
        f"2 cores shared with other people's work, and CPU, not the network. Through Caddy "
        f"every update takes one more hop (sidecar -> Caddy -> TLS to the phone): at "
        f"N={top:,} Caddy took {cores(caddy, 'cpu_caddy_s')} cores and the sidecar "
        f"{cores(caddy, 'cpu_sidecar_s')} (direct: sidecar {cores(direct, 'cpu_sidecar_s')}), "
        f"while the load generators, decrypting TLS, took {cores(caddy, 'cpu_loaders_s')} of "
        f"the same 2. An upload costs client + Caddy + PocketBase {num(spent('direct-h1'))} ms "
        f"of CPU direct, {num(spent('caddy-h1'))} through Caddy over HTTP/1.1 and "
        f"{num(spent('caddy-h2'))} over HTTP/2 (Caddy itself "
        f"{num(ways['caddy-h2']['cpu_caddy_ms'])} ms); on busy shared cores an upload's wall "
        "time tracks that CPU time, with run-to-run noise as large as the HTTP/1.1 difference "
        "(compare p90 and min)."
    )


def run(quick: bool = False) -> Section:
    """Both phases against one stack; `quick`: 100 subscribers, 40 writes, 3 upload rounds."""
    with (
        tempfile.TemporaryDirectory(prefix="fieldsync-bench-frontdoor-") as tmp,
        running_stack(Path(tmp)) as stack,
    ):
        delivery = measure_delivery(stack, QUICK_SIZES if quick else FULL_SIZES)
        upload = measure_uploads(stack, *((3, 1) if quick else (10, 2)))
    return Section(
        "frontdoor",
        "Front door: Caddy vs direct (`python -m bench.frontdoor`)",
        [_delivery_table(delivery), _upload_table(upload)],
        _limits(delivery, upload),
        {"delivery": delivery, "upload": upload},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 subscribers, fewer writes")
    args = parser.parse_args()
    print(text(run(args.quick)))


if __name__ == "__main__":
    main()
