"""Rights do not outlive a change: a user demoted, moved to another team or deleted loses their
open hub streams within a second, their hub tokens are refused, and a new exchange gives only
the new rights."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest

from tests.support.photos import new_job
from tests.support.pocketbase import PocketBaseProcess
from tests.support.sidecar import SidecarFactory, SidecarProcess
from tests.support.sse import HUB, exchange_token, subscribe
from tests.support.teams import Member, SeededTeam, make_team, make_user

USERS = "/api/collections/users/records"


@pytest.fixture
async def hub(
    pocketbase: PocketBaseProcess, make_sidecar: SidecarFactory
) -> AsyncIterator[httpx.AsyncClient]:
    sidecar: SidecarProcess = make_sidecar(pocketbase)
    sidecar.start()
    async with httpx.AsyncClient(base_url=sidecar.url, timeout=10) as client:
        yield client


async def _closed_within(stream_events: AsyncIterator[object], seconds: float) -> float:
    """How long until the stream ends (fails if it does not within `seconds`)."""
    started = time.monotonic()
    async with asyncio.timeout(seconds):
        async for _ in stream_events:
            pass
    return time.monotonic() - started


async def _refused(hub: httpx.AsyncClient, token: str, team: str) -> int:
    answer = await hub.get(
        HUB,
        params={"topic": f"/teams/{team}/{{+rest}}"},
        headers={"Authorization": f"Bearer {token}"},
    )
    return answer.status_code


@pytest.mark.parametrize("change", ["demoted", "moved", "deleted"])
async def test_a_changed_user_loses_streams_and_tokens_at_once(
    hub: httpx.AsyncClient,
    superuser: httpx.Client,
    team_a: SeededTeam,
    change: str,
) -> None:
    user: Member = make_user(superuser, team_a.id, "office", f"change-{change}-{time.time_ns()}")
    token = await exchange_token(hub, user.token)
    topic = [f"/teams/{team_a.id}/{{+rest}}"]
    async with subscribe(hub, topic, token=token) as stream:
        if change == "demoted":
            superuser.patch(f"{USERS}/{user.id}", json={"role": "field"}).raise_for_status()
        elif change == "moved":
            other = make_team(superuser, "Elsewhere")
            superuser.patch(f"{USERS}/{user.id}", json={"team": other.id}).raise_for_status()
        else:
            superuser.delete(f"{USERS}/{user.id}").raise_for_status()
        took = await _closed_within(stream.source.aiter_sse(), 1.0)
    assert took < 1.0
    assert await _refused(hub, token, team_a.id) == 401
    fresh = await hub.post(f"{HUB}/token", headers={"Authorization": user.token})
    if change == "deleted":
        assert fresh.status_code == 401
        return
    assert fresh.status_code == 200
    payload = jwt.decode(fresh.json()["token"], options={"verify_signature": False})
    if change == "demoted":
        assert payload["mercure"]["payload"]["role"] == "field"
    else:
        assert payload["mercure"]["payload"]["team"] != team_a.id
        assert all(team_a.id not in selector for selector in payload["mercure"]["subscribe"])


async def test_an_unrelated_change_keeps_the_stream(
    hub: httpx.AsyncClient, superuser: httpx.Client, team_a: SeededTeam
) -> None:
    """A rename is no change of rights: the stream stays and gets what is written after it."""
    user = make_user(superuser, team_a.id, "field", f"rename-{time.time_ns()}")
    token = await exchange_token(hub, user.token)
    async with subscribe(hub, [f"/teams/{team_a.id}/{{+rest}}"], token=token) as stream:
        superuser.patch(f"{USERS}/{user.id}", json={"name": "Renamed"}).raise_for_status()
        job = new_job(team_a.office, title="after the rename")
        event = await stream.until("job.created", job["id"], timeout=10)
    assert event.event == "job.created"
