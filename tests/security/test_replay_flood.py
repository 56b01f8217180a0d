"""Attack on replay: 200 clients ask for `Last-Event-ID: earliest` at once. PocketBase must not
be read 200 times over (the pages are shared), and live delivery to a normal subscriber keeps
its p99 under 100 ms meanwhile."""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import time
from collections.abc import Iterator
from multiprocessing.queues import Queue
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from tests.support.delivery import timed_job_updates
from tests.support.pocketbase import PocketBaseProcess, launch
from tests.support.sidecar import SidecarProcess
from tests.support.sse import exchange_token
from tests.support.stats import percentile
from tests.support.teams import SeededTeam, make_team

HUB = "/.well-known/mercure"
CLIENTS = 200
EVENTS = 700  # two pages of the outbox (500 a page), all older than the in-memory history


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[PocketBaseProcess, SidecarProcess, SeededTeam]]:
    pb = launch(tmp_path / "pb_data", exempt_loopback=True)
    with pb.superuser_client() as su:
        team = make_team(su, "Replayers")
        job = su.post("/api/collections/jobs/records", json={"team": team.id, "title": "old"})
        for n in range(EVENTS):
            su.patch(
                f"/api/collections/jobs/records/{job.json()['id']}", json={"title": f"old {n}"}
            ).raise_for_status()
    sidecar = SidecarProcess(
        pb,
        tmp_path,
        FIELDSYNC_HUB_HISTORY_SIZE="10",
        FIELDSYNC_HUB_MAX_CONNECTIONS_PER_SUBSCRIBER="1000",
    )
    sidecar.start()
    yield pb, sidecar, team
    sidecar.stop()
    pb.cleanup()


async def _replay(port: int, token: str, topic: str, last_id: str) -> bool:
    """One client replaying from `earliest` over a raw socket until `last_id` arrives."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    query = urlencode({"topic": topic, "lastEventID": "earliest"})
    writer.write(
        f"GET {HUB}?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\n\r\n".encode()
    )
    await writer.drain()
    seen = b""
    try:
        async with asyncio.timeout(60):
            while f"id: {last_id}\n".encode() not in seen:
                chunk = await reader.read(65536)
                if not chunk:
                    return False
                seen = seen[-64:] + chunk
    finally:
        writer.close()
    return True


def _flood(port: int, token: str, topic: str, last_id: str, out: Queue[int]) -> None:
    async def run() -> int:
        done = await asyncio.gather(*(_replay(port, token, topic, last_id) for _ in range(CLIENTS)))
        return sum(done)

    out.put(asyncio.run(run()))


def _outbox_reads(sidecar: SidecarProcess) -> int:
    found = re.search(r"^fieldsync_outbox_reads_total (\d+)", sidecar.metrics(), re.MULTILINE)
    assert found, "the sidecar counts its outbox reads"
    return int(found[1])


async def test_two_hundred_earliest_replays_share_their_reads_and_spare_live_delivery(
    stack: tuple[PocketBaseProcess, SidecarProcess, SeededTeam],
) -> None:
    pb, sidecar, team = stack
    async with httpx.AsyncClient(base_url=sidecar.url) as client:
        token = await exchange_token(client, team.office.token)
    topic = f"/teams/{team.id}/{{+rest}}"
    with pb.superuser_client() as su:
        newest = su.get(
            "/api/collections/events/records", params={"sort": "-seq", "perPage": 1}
        ).json()["items"][0]["seq"]
    reads_before = _outbox_reads(sidecar)
    context = multiprocessing.get_context("spawn")
    out: Queue[int] = context.Queue()
    flood = context.Process(
        target=_flood, args=(sidecar.port, token, topic, str(newest), out), daemon=True
    )

    flood.start()
    ended = time.monotonic() + 60
    took = await timed_job_updates(
        pb.url,
        sidecar.url,
        team,
        token,
        lambda: flood.is_alive() and time.monotonic() < ended,
        every_s=0.1,
    )
    replayed = await asyncio.to_thread(out.get, timeout=30)
    flood.join(timeout=10)

    assert replayed == CLIENTS, "every client got its whole replay"
    reads = _outbox_reads(sidecar) - reads_before
    assert reads <= 20, f"{reads} outbox reads for {CLIENTS} replays of 2 pages"
    assert len(took) >= 10, "live updates flowed during the flood"
    assert percentile(took, 0.99) < 100, f"live delivery p99 {percentile(took, 0.99):.0f} ms"
