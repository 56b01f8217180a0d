"""The subscriptions API: Mercure's JSON-LD shape, authorized by URL, scoped to the team."""

from __future__ import annotations

from urllib.parse import quote_plus

import httpx

from sidecar.events import SCOPE_CLAIM, team_selector
from sidecar.hub.topics import SUBSCRIPTIONS_SELECTOR
from tests.sidecar.hub.conftest import (
    TEAM_A,
    TEAM_B,
    HubServer,
    bearer,
    subscribe,
    team_token,
    token,
)

PATH = "/.well-known/mercure/subscriptions"


def _office_token(team: str) -> str:
    """What the exchange gives an office user: the team's topics and the subscriptions API."""
    return token(
        subscribe=[team_selector(team), SUBSCRIPTIONS_SELECTOR], payload={SCOPE_CLAIM: team}
    )


async def _get(server: HubServer, path: str, token_value: str | None) -> httpx.Response:
    async with server.client() as client:
        return await client.get(path, headers=bearer(token_value) if token_value else None)


async def test_office_sees_its_team_subscriptions_only(hub_server: HubServer) -> None:
    office_a = _office_token(TEAM_A)
    job = f"/teams/{TEAM_A}/jobs/{{job}}"
    async with (
        subscribe(hub_server, ["*", job], token_value=team_token(TEAM_A)),
        subscribe(hub_server, ["*"], token_value=team_token(TEAM_B)),
    ):
        everything = await _get(hub_server, PATH, office_a)
        by_topic = await _get(hub_server, f"{PATH}/{quote_plus(job, safe='')}", office_a)
        assert everything.status_code == by_topic.status_code == 200
        listing = everything.json()
        assert everything.headers["content-type"].startswith("application/ld+json")
        single_url = listing["subscriptions"][1]["id"]
        single = await _get(hub_server, single_url, office_a)
    assert listing["@context"] == "https://mercure.rocks/"
    assert listing["type"] == "Subscriptions"
    assert listing["id"] == PATH
    assert listing["lastEventID"] == "earliest"
    assert [(s["topic"], s["payload"]) for s in listing["subscriptions"]] == [
        ("*", {"team": TEAM_A}),
        (job, {"team": TEAM_A}),
    ]
    subscriber = listing["subscriptions"][0]["subscriber"]
    assert subscriber.startswith("urn:uuid:")
    assert all(s["type"] == "Subscription" and s["active"] for s in listing["subscriptions"])
    assert [s["topic"] for s in by_topic.json()["subscriptions"]] == [job]
    assert single.status_code == 200
    assert single.json()["@context"] == "https://mercure.rocks/"
    assert single.json()["id"] == single_url
    assert single.json()["topic"] == job
    assert single.json()["lastEventID"] == "earliest"


async def test_unknown_subscription_is_not_found(hub_server: HubServer) -> None:
    office_a = _office_token(TEAM_A)
    async with subscribe(hub_server, ["*"], token_value=team_token(TEAM_B)):
        listing = (await _get(hub_server, PATH, token(subscribe=["*"]))).json()
        other_team = listing["subscriptions"][0]["id"]
        response = await _get(hub_server, other_team, office_a)
    assert response.status_code == 404


async def test_refused_without_the_subscriptions_selector(hub_server: HubServer) -> None:
    field_a = team_token(TEAM_A)
    assert (await _get(hub_server, PATH, field_a)).status_code == 403
    assert (await _get(hub_server, PATH, None)).status_code == 401
    assert (await _get(hub_server, PATH, "garbage")).status_code == 401


async def test_last_event_id_follows_dispatch(hub_server: HubServer) -> None:
    office_a = _office_token(TEAM_A)
    update = await hub_server.emit(TEAM_A)
    listing = (await _get(hub_server, PATH, office_a)).json()
    assert listing["lastEventID"] == update.id


async def test_last_event_id_is_the_callers_team_only(hub_server: HubServer) -> None:
    """Another team's writes must not show through `lastEventID`."""
    mine = await hub_server.emit(TEAM_A)
    await hub_server.emit(TEAM_B)
    listing = (await _get(hub_server, PATH, _office_token(TEAM_A))).json()
    assert listing["lastEventID"] == mine.id
    other = (await _get(hub_server, PATH, _office_token(TEAM_B))).json()
    assert other["lastEventID"] != mine.id
