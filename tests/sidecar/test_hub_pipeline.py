"""The hub inside the real sidecar, fed by a real PocketBase outbox: live delivery, replay
from the outbox after a sidecar restart, team isolation, publishing through the outbox."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest

from tests.support.images import jpeg, photo
from tests.support.photos import new_job, upload
from tests.support.pocketbase import PocketBaseProcess
from tests.support.sidecar import PUBLISHER_KEY, SidecarFactory, SidecarProcess
from tests.support.sse import HUB, exchange_token, subscribe
from tests.support.teams import SeededTeam


@pytest.fixture
def sidecar(pocketbase: PocketBaseProcess, make_sidecar: SidecarFactory) -> SidecarProcess:
    sidecar = make_sidecar(pocketbase)
    sidecar.start()
    return sidecar


@pytest.fixture
async def hub(sidecar: SidecarProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sidecar.url, timeout=30) as client:
        yield client


async def test_upload_reaches_the_team_and_only_the_team(
    hub: httpx.AsyncClient, team_a: SeededTeam, team_b: SeededTeam
) -> None:
    token_a = await exchange_token(hub, team_a.office.token)
    token_b = await exchange_token(hub, team_b.office.token)
    job_a = new_job(team_a.office)
    async with (
        subscribe(
            hub, [f"/teams/{team_a.id}/jobs/{job_a['id']}/photos/{{photo}}"], token=token_a
        ) as a,
        subscribe(hub, ["*"], token=token_b) as b,
    ):
        created = upload(team_a.field, job_a["id"], jpeg(photo(480, 360, seed=21)))
        first = await a.next()
        assert first.event == "photo.created"
        body = json.loads(first.data)
        assert body["record"]["id"] == created["id"] and body["team"] == team_a.id
        assert first.id == str(body["seq"])
        ready = await a.until("photo.ready", created["id"])
        assert json.loads(ready.data)["record"]["thumb"]

        job_b = new_job(team_b.office, title="B's own job")
        teams_seen_by_b = []
        while True:
            body = await b.next_data()
            if body.get("type") == "Subscription":  # presence: who of the team is connected
                teams_seen_by_b.append(body["payload"]["team"])
                continue
            teams_seen_by_b.append(body["team"])
            if body["record"]["id"] == job_b["id"]:
                break
        assert set(teams_seen_by_b) == {team_b.id}, "B never hears of A, updates or presence"


async def test_replay_after_sidecar_restart_comes_from_the_outbox(
    sidecar: SidecarProcess, team_a: SeededTeam
) -> None:
    topic = f"/teams/{team_a.id}/jobs/{{job}}"
    async with httpx.AsyncClient(base_url=sidecar.url, timeout=30) as hub:
        token = await exchange_token(hub, team_a.office.token)
        async with subscribe(hub, [topic], token=token) as stream:
            new_job(team_a.office, title="seen live")
            last_seen = (await stream.next()).id

    sidecar.stop()
    missed = [new_job(team_a.office, title=f"missed {i}")["id"] for i in range(3)]
    sidecar.start()

    async with (
        httpx.AsyncClient(base_url=sidecar.url, timeout=30) as hub,
        subscribe(hub, [topic], token=token, last_event_id=last_seen) as stream,
    ):
        assert stream.headers["last-event-id"] == last_seen
        replayed = [await stream.next_data() for _ in missed]
        assert [body["record"]["id"] for body in replayed] == missed
        live = new_job(team_a.office, title="after the seam")
        assert (await stream.next_data())["record"]["id"] == live["id"], "no gap, no duplicate"


async def test_published_update_goes_through_the_outbox(
    hub: httpx.AsyncClient, superuser: httpx.Client, team_a: SeededTeam
) -> None:
    topic = f"/teams/{team_a.id}/notices/1"
    token = await exchange_token(hub, team_a.office.token)
    publisher = jwt.encode(
        {"mercure": {"publish": [f"/teams/{team_a.id}/{{+rest}}"]}}, PUBLISHER_KEY
    )
    async with subscribe(hub, [topic], token=token) as stream:
        response = await hub.post(
            HUB,
            data={"topic": topic, "data": "line one\nline two", "type": "notice", "private": "on"},
            headers={"Authorization": f"Bearer {publisher}"},
        )
        assert response.status_code == 200, response.text
        event = await stream.next()
    assert event.id == response.text
    assert event.event == "notice" and event.data == "line one\nline two"
    stored = superuser.get(
        "/api/collections/events/records", params={"filter": f"seq = {int(response.text)}"}
    ).json()["items"]
    assert stored and stored[0]["topics"] == [topic] and stored[0]["private"] is True


async def test_token_exchange_refuses_what_pocketbase_refuses(
    hub: httpx.AsyncClient, team_a: SeededTeam
) -> None:
    forged = team_a.field.token[:-4] + "AAAA"
    for header in ({}, {"Authorization": "not-a-token"}, {"Authorization": forged}):
        response = await hub.post(f"{HUB}/token", headers=header)
        assert response.status_code == 401, header
        assert response.json()["message"]
    outside = {"topic": f"/teams/{team_a.id}x/jobs/1"}
    async with httpx.AsyncClient(base_url=str(hub.base_url)) as anonymous:
        assert (await anonymous.get(HUB, params=outside)).status_code == 401

    await exchange_token(hub, team_a.field.token)  # sets the mercureAuthorization cookie
    assert hub.cookies.get("mercureAuthorization")
    assert (await hub.get(HUB, params=outside)).status_code == 403, "a lookalike team is refused"
    async with subscribe(hub, [f"/teams/{team_a.id}/jobs/{{job}}"]) as stream:  # cookie auth
        job = new_job(team_a.office)
        assert (await stream.next_data())["record"]["id"] == job["id"]


async def test_sigterm_ends_open_streams_cleanly(
    sidecar: SidecarProcess, team_a: SeededTeam
) -> None:
    async with httpx.AsyncClient(base_url=sidecar.url, timeout=30) as hub:
        token = await exchange_token(hub, team_a.office.token)
        async with subscribe(hub, [f"/teams/{team_a.id}/quiet/{{x}}"], token=token) as stream:
            started = time.monotonic()
            code = await asyncio.to_thread(sidecar.stop)
            with pytest.raises(StopAsyncIteration):  # the final chunk came: no protocol error
                await stream.next(timeout=5)
    assert code == -signal.SIGTERM, "uvicorn re-raises the signal once it has shut down"
    assert '"msg": "sidecar stopped"' in sidecar.log(), "the lifespan shutdown ran to its end"
    assert time.monotonic() - started < 5, "open streams did not hold the shutdown up"
