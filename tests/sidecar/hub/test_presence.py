"""Subscription events (presence): connects and disconnects reach the same team's subscribers
of the subscriptions topic, as Mercure's JSON-LD `Subscription`, and never another team."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from sidecar.events import SCOPE_CLAIM, team_selector
from sidecar.hub.topics import SUBSCRIPTIONS_SELECTOR
from tests.sidecar.hub.conftest import (
    TEAM_A,
    TEAM_B,
    HubServer,
    bearer,
    subscribe,
    take,
    token,
)

PRESENCE = [SUBSCRIPTIONS_SELECTOR]


def member(team: str, user: str, role: str = "field") -> str:
    payload = {"user": user, SCOPE_CLAIM: team, "role": role, "name": user.title()}
    return token(subscribe=[team_selector(team), SUBSCRIPTIONS_SELECTOR], payload=payload, sub=user)


def _data(event: Any) -> dict[str, Any]:
    return dict(json.loads(event.data))


async def test_a_team_members_coming_and_going_reach_the_office(hub_server: HubServer) -> None:
    office = member(TEAM_A, "office1", "office")
    job_topic = f"/teams/{TEAM_A}/jobs/{{job}}"
    async with subscribe(hub_server, PRESENCE, token_value=office) as (_, watch):
        # the office's own connection is announced to itself first
        assert _data((await take(watch, 1))[0])["payload"]["user"] == "office1"
        async with subscribe(hub_server, [job_topic], token_value=member(TEAM_A, "kim")):
            (came,) = await take(watch, 1)
        (went,) = await take(watch, 1)
    arrived, left = _data(came), _data(went)
    assert arrived["@context"] == "https://mercure.rocks/"
    assert arrived["type"] == "Subscription" and arrived["topic"] == job_topic
    assert arrived["active"] is True and "until" not in arrived
    assert arrived["payload"] == {"user": "kim", "team": TEAM_A, "role": "field", "name": "Kim"}
    assert came.id.startswith("urn:uuid:") and came.event == "message"  # no SSE type
    assert left["active"] is False and left["since"] == arrived["since"] and left["until"]
    assert left["id"] == arrived["id"] and arrived["id"].startswith(
        "/.well-known/mercure/subscriptions/%2Fteams%2F"
    )


async def test_another_team_hears_nothing_of_it(hub_server: HubServer) -> None:
    async with subscribe(hub_server, PRESENCE, token_value=member(TEAM_B, "boss", "office")) as (
        _,
        watch_b,
    ):
        await take(watch_b, 1)  # itself
        for _ in range(3):
            async with subscribe(hub_server, ["*"], token_value=member(TEAM_A, "kim")):
                pass
        update = await hub_server.emit(TEAM_B)  # something B may see, to know the stream moved
        async with subscribe(
            hub_server, [team_selector(TEAM_B)], token_value=member(TEAM_B, "lee")
        ):
            (event,) = await take(watch_b, 1)
    assert _data(event)["payload"]["user"] == "lee", "team A's six events never reached B"
    assert update.scope == TEAM_B
    async with hub_server.client() as client:
        listing = await client.get(
            "/.well-known/mercure/subscriptions", headers=bearer(member(TEAM_B, "boss", "office"))
        )
    users = {s["payload"]["user"] for s in listing.json()["subscriptions"]}
    assert users <= {"boss", "lee"} and "kim" not in users


async def test_the_list_keeps_who_left_within_the_hour(hub_server: HubServer) -> None:
    async with subscribe(hub_server, ["*"], token_value=member(TEAM_A, "kim")):
        pass
    async with (
        subscribe(hub_server, ["*"], token_value=member(TEAM_A, "park")),
        hub_server.client() as client,
    ):
        listing = (
            await client.get(
                "/.well-known/mercure/subscriptions",
                headers=bearer(member(TEAM_A, "office1", "office")),
            )
        ).json()
    by_user = {s["payload"]["user"]: s for s in listing["subscriptions"]}
    assert by_user["park"]["active"] is True
    assert by_user["kim"]["active"] is False and by_user["kim"]["until"] >= by_user["kim"]["since"]


async def test_subscribers_without_a_team_are_not_announced(hub_server: HubServer) -> None:
    async with subscribe(hub_server, PRESENCE, token_value=member(TEAM_A, "office1", "office")) as (
        _,
        watch,
    ):
        await take(watch, 1)
        async with subscribe(hub_server, ["*"], token_value=token(subscribe=["*"])):
            pass
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await anext(watch)
