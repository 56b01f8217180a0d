"""A replay flood: a crowd of clients asking the hub for `Last-Event-ID: earliest` at once,
from a load process of its own, against a sidecar whose outbox holds more than its in-memory
history (so the replay reads PocketBase). Used by the attack test and its bench.

    with flooded_stack(root) as (pb, sidecar, team): ...   # 700 old events, caught up
    replayed = run_flood(sidecar.port, token, topic, last_id)  # in another process
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from pathlib import Path
from urllib.parse import urlencode

import httpx

from tests.support.pocketbase import PocketBaseProcess
from tests.support.sidecar import SidecarProcess, own_stack
from tests.support.sse import HUB
from tests.support.teams import SeededTeam
from tests.support.waiting import wait_for

CLIENTS = 200
EVENTS = 700
"""Two pages of the outbox (500 a page), all older than the hub's in-memory history (10)."""


@contextmanager
def flooded_stack(root: Path) -> Iterator[tuple[PocketBaseProcess, SidecarProcess, SeededTeam]]:
    """PocketBase with a team whose job changed `EVENTS` times, and a sidecar that has handled
    them all (so what follows measures the flood, not the sidecar's catch-up)."""
    with own_stack(
        root,
        "Replayers",
        seed=_old_changes,
        FIELDSYNC_HUB_HISTORY_SIZE="10",
        FIELDSYNC_HUB_MAX_CONNECTIONS_PER_SUBSCRIBER="1000",
    ) as (pb, sidecar, team):
        with pb.superuser_client() as su:
            newest = newest_seq(su)
        wait_for(lambda: sidecar.health().get("cursor") == newest, timeout=60, what="catch-up")
        yield pb, sidecar, team


def _old_changes(su: httpx.Client, team: SeededTeam) -> None:
    """`EVENTS` changes of one job, before the sidecar starts."""
    job = su.post("/api/collections/jobs/records", json={"team": team.id, "title": "old"})
    for n in range(EVENTS):
        su.patch(
            f"/api/collections/jobs/records/{job.json()['id']}", json={"title": f"old {n}"}
        ).raise_for_status()


def newest_seq(su: httpx.Client) -> int:
    """The outbox's newest seq."""
    response = su.get("/api/collections/events/records", params={"sort": "-seq", "perPage": 1})
    return int(response.raise_for_status().json()["items"][0]["seq"])


def outbox_reads(sidecar: SidecarProcess) -> int:
    """How many times the sidecar has read the outbox so far."""
    found = re.search(r"^fieldsync_outbox_reads_total (\d+)", sidecar.metrics(), re.MULTILINE)
    assert found, "the sidecar counts its outbox reads"
    return int(found[1])


def start_flood(port: int, token: str, topic: str, last_id: str) -> tuple[BaseProcess, Queue[int]]:
    """`CLIENTS` replays from `earliest`, in a spawned process; its queue gets how many reached
    `last_id`."""
    context = multiprocessing.get_context("spawn")
    out: Queue[int] = context.Queue()
    flood = context.Process(target=_flood, args=(port, token, topic, last_id, out), daemon=True)
    flood.start()
    return flood, out


def _flood(port: int, token: str, topic: str, last_id: str, out: Queue[int]) -> None:
    """The crowd. Niced: a client's CPU is not the server's, but on one test machine they
    share the cores."""
    os.nice(15)

    async def run() -> int:
        done = await asyncio.gather(*(_replay(port, token, topic, last_id) for _ in range(CLIENTS)))
        return sum(done)

    out.put(asyncio.run(run()))


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
