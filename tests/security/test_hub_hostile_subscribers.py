"""Attack on the hub's subscribe endpoint with costly URI templates (what stalled the whole
sidecar for seconds): 20 hostile requests a second for 10 s, each with 63 distinct
1,023-character templates, from a logged-in field user, while `/healthz` and a normal
subscriber's live delivery are timed and the sidecar's memory is watched."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import secrets
import time
from collections.abc import Iterator
from multiprocessing.queues import Queue
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from tests.support.delivery import timed_job_updates
from tests.support.pocketbase import PocketBaseProcess
from tests.support.processes import rss_kib
from tests.support.sidecar import SidecarProcess, own_stack
from tests.support.sse import exchange_token
from tests.support.stats import percentile
from tests.support.teams import SeededTeam

HUB = "/.well-known/mercure"
RATE = 20
SECONDS = 10


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[PocketBaseProcess, SidecarProcess, SeededTeam]]:
    with own_stack(tmp_path, "Hub victims") as stack:
        yield stack


def _hostile_topics(team: str) -> list[tuple[str, str]]:
    """63 distinct templates of 1,023 characters, outside and inside the team's prefix."""
    topics = []
    for n in range(63):
        start = f"/teams/{team}/" if n % 2 else "/x"
        body = start + "{a}/" * 300
        tag = f"{n}-{secrets.token_hex(4)}"
        topics.append(("topic", (body[: 1023 - len(tag)] + tag)))
    return topics


async def _raw_get(port: int, target: str, token: str) -> int:
    """One GET over a raw socket (httpx refuses URLs this long); the response's status."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (
        f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        "Connection: close\r\n\r\n"
    )
    writer.write(request.encode())
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    writer.close()
    await writer.wait_closed()
    return status


async def _hostile(port: int, token: str, team: str, stop: float) -> list[int]:
    statuses: list[int] = []
    while time.monotonic() < stop:
        began = time.monotonic()
        targets = [f"{HUB}?{urlencode(_hostile_topics(team))}" for _ in range(RATE // 4)]
        statuses += await asyncio.gather(*(_raw_get(port, t, token) for t in targets))
        await asyncio.sleep(max(0.0, 0.25 - (time.monotonic() - began)))
    return statuses


def _attacker(port: int, token: str, team: str, seconds: float, out: Queue[list[int]]) -> None:
    """The attack, in a process of its own so it does not slow the measuring side, and niced:
    an attacker's CPU is not the server's, but on one test machine they share two cores."""
    os.nice(15)
    out.put(asyncio.run(_hostile(port, token, team, time.monotonic() + seconds)))


async def _health(url: str, stop: float) -> list[float]:
    took: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        (await client.get("/healthz")).raise_for_status()  # connected before timing
        while time.monotonic() < stop:
            began = time.perf_counter()
            (await client.get("/healthz")).raise_for_status()
            took.append((time.perf_counter() - began) * 1000)
            await asyncio.sleep(0.05)
    return took


async def test_costly_templates_never_stall_the_sidecar(
    stack: tuple[PocketBaseProcess, SidecarProcess, SeededTeam],
) -> None:
    pb, sidecar, team = stack
    async with httpx.AsyncClient(base_url=sidecar.url) as client:
        field = await exchange_token(client, team.field.token)
        office = await exchange_token(client, team.office.token)
    rss_before = rss_kib(sidecar.pid)
    context = multiprocessing.get_context("spawn")
    out: Queue[list[int]] = context.Queue()
    attacker = context.Process(
        target=_attacker, args=(sidecar.port, field, team.id, SECONDS, out), daemon=True
    )
    attacker.start()
    stop = time.monotonic() + SECONDS
    health, delivered = await asyncio.gather(
        _health(sidecar.url, stop),
        timed_job_updates(pb.url, sidecar.url, team, office, lambda: time.monotonic() < stop),
    )
    hostile = await asyncio.to_thread(out.get, timeout=30)
    attacker.join(timeout=10)
    rss_growth_mib = (rss_kib(sidecar.pid) - rss_before) / 1024
    assert len(hostile) >= RATE * SECONDS * 0.8, "the attack ran at its rate"
    assert set(hostile) <= {400, 403}, f"refused, never served: {set(hostile)}"
    assert percentile(health, 0.99) < 20, f"/healthz p99 {percentile(health, 0.99):.1f} ms"
    assert len(delivered) >= SECONDS * 4, "the normal subscriber got its updates"
    assert percentile(delivered, 0.99) < 50, f"delivery p99 {percentile(delivered, 0.99):.1f} ms"
    assert rss_growth_mib < 30, f"sidecar memory grew {rss_growth_mib:.0f} MiB"
