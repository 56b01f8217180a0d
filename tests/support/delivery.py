"""A normal subscriber's live delivery, timed while something else goes on (an attack, a
flood): job updates written through PocketBase, from the write to the event on the hub."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable

import httpx
from httpx_sse import aconnect_sse

from tests.support.sse import HUB
from tests.support.teams import SeededTeam


async def timed_job_updates(
    pb_url: str,
    hub_url: str,
    team: SeededTeam,
    hub_token: str,
    going: Callable[[], bool],
    *,
    every_s: float = 0.2,
) -> list[float]:
    """Milliseconds from each write to its event, for writes every `every_s` while `going()`."""
    sent: dict[str, float] = {}
    took: list[float] = []
    async with (
        httpx.AsyncClient(base_url=hub_url, timeout=None) as hub,
        httpx.AsyncClient(
            base_url=pb_url, headers={"Authorization": team.office.token}, timeout=10
        ) as writer,
    ):
        created = await writer.post(
            "/api/collections/jobs/records", json={"team": team.id, "title": "watched"}
        )
        job = created.raise_for_status().json()["id"]
        async with aconnect_sse(
            hub,
            "GET",
            HUB,
            params={"topic": f"/teams/{team.id}/jobs/{job}"},
            headers={"Authorization": f"Bearer {hub_token}"},
        ) as source:
            source.response.raise_for_status()

            async def read() -> None:
                async for event in source.aiter_sse():
                    title = json.loads(event.data)["record"]["title"]
                    if title in sent:
                        took.append((time.perf_counter() - sent.pop(title)) * 1000)

            reader = asyncio.create_task(read())
            while going():
                title = secrets.token_hex(6)
                sent[title] = time.perf_counter()
                response = await writer.patch(
                    f"/api/collections/jobs/records/{job}", json={"title": title}
                )
                response.raise_for_status()
                await asyncio.sleep(every_s)
            async with asyncio.timeout(5):  # the last events still on their way
                while sent:
                    await asyncio.sleep(0.01)
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
    return took
