"""Token exchange: a PocketBase user token for a short hub token (and cookie), served beside
a real hub. Who a token belongs to is a table here; tests/sidecar/test_hub_pipeline.py asks a
real PocketBase."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import jwt
import pytest

from sidecar.events import Principal
from sidecar.exchange import USERS_COLLECTION, TokenExchange, looks_like_a_user_token
from sidecar.ratelimit import RateLimiter
from tests.sidecar.hub.conftest import (
    SUBSCRIBER_KEY,
    TEAM_A,
    TEAM_B,
    HubServer,
    serve_hub,
    subscribe,
    take,
)

PATH = "/.well-known/mercure/token"
USERS = {
    "pb-token-a-field": Principal(user="userfield000001", team=TEAM_A, role="field", name="Kim"),
    "pb-token-a-office": Principal(user="useroffice00001", team=TEAM_A, role="office"),
    "pb-token-b-office": Principal(user="useroffice00002", team=TEAM_B, role="office"),
}


async def resolve_user(pb_token: str) -> Principal | None:
    return USERS.get(pb_token)


@asynccontextmanager
async def serve(
    *, ttl_s: int = 900, public_https: bool = False, per_minute: int = 100
) -> AsyncIterator[HubServer]:
    exchange = TokenExchange(
        SUBSCRIBER_KEY,
        resolve_user,
        RateLimiter(per_minute, 60.0),
        ttl_s=ttl_s,
        public_https=public_https,
    )
    async with serve_hub(routes=exchange.routes()) as server:
        yield server


@pytest.fixture
async def hub_server() -> AsyncIterator[HubServer]:
    async with serve() as server:
        yield server


async def test_exchange_issues_a_team_token_and_cookie() -> None:
    async with serve(ttl_s=120) as server, server.client() as client:
        response = await client.post(PATH, headers={"Authorization": "pb-token-a-field"})
    assert response.status_code == 200
    body = response.json()
    claims = jwt.decode(body["token"], SUBSCRIBER_KEY, algorithms=["HS256"])
    assert claims["exp"] == body["expires"]
    assert body["expires"] - time.time() == pytest.approx(120, abs=5)
    assert claims["mercure"]["subscribe"] == [
        f"/teams/{TEAM_A}/{{+rest}}",
        "/.well-known/mercure/subscriptions{/topic}{/subscriber}",
    ]
    assert claims["mercure"]["payload"] == {
        "user": "userfield000001",
        "team": TEAM_A,
        "role": "field",
        "name": "Kim",
    }
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"mercureAuthorization={body['token']};")
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/.well-known/mercure", "Max-Age=120"):
        assert attribute.lower() in cookie.lower()
    assert response.headers["cache-control"] == "no-store"


async def test_cookie_is_secure_when_the_public_address_is_https() -> None:
    async with serve(public_https=True) as server, server.client() as client:
        response = await client.post(PATH, headers={"Authorization": "Bearer pb-token-a-field"})
    assert "secure" in response.headers["set-cookie"].lower()


async def test_cookie_is_not_secure_on_plain_local_http(hub_server: HubServer) -> None:
    async with hub_server.client() as client:
        response = await client.post(PATH, headers={"Authorization": "pb-token-a-field"})
    assert "secure" not in response.headers["set-cookie"].lower()


async def test_each_address_has_a_budget_of_exchanges() -> None:
    async with serve(per_minute=3) as server, server.client() as client:
        answers = [
            await client.post(PATH, headers={"Authorization": "pb-token-a-field"}) for _ in range(4)
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert 1 <= int(answers[-1].headers["retry-after"]) <= 60
    assert answers[-1].json()["message"] == "too many token requests from this address"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "unknown"}, {"Authorization": "Bearer"}])
async def test_invalid_user_token_is_unauthorized(
    hub_server: HubServer, headers: dict[str, str]
) -> None:
    async with hub_server.client() as client:
        response = await client.post(PATH, headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "message": "a valid PocketBase user token is required",
    }


async def test_exchanged_cookie_subscribes_to_the_team_only(hub_server: HubServer) -> None:
    async with hub_server.client() as client:
        exchange = await client.post(PATH, headers={"Authorization": "pb-token-a-field"})
        assert exchange.status_code == 200
        team_topics = [f"/teams/{TEAM_A}/{{+rest}}"]
        async with subscribe(hub_server, team_topics, client=client) as (_, events):
            await hub_server.emit(TEAM_B)
            mine = await hub_server.emit(TEAM_A)
            (event,) = await take(events, 1)
    assert event.id == mine.id


def _pb_like(payload: dict[str, object], alg: str = "HS256") -> str:
    return jwt.encode(payload, "not-pocketbases-secret-but-shaped-alike", algorithm=alg)


LIVE = {
    "id": "abcdefghij12345",
    "type": "auth",
    "collectionId": USERS_COLLECTION,
    "exp": 2**31,
    "refreshable": True,
}


@pytest.mark.parametrize(
    ("token", "shaped"),
    [
        pytest.param(_pb_like(LIVE), True, id="live user token shape"),
        pytest.param("not.a.token", False, id="garbage"),
        pytest.param(_pb_like({**LIVE, "type": "file"}), False, id="file token"),
        pytest.param(_pb_like({**LIVE, "collectionId": "pbc_123"}), False, id="other collection"),
        pytest.param(_pb_like({**LIVE, "exp": 1}), False, id="expired"),
        pytest.param(_pb_like({**LIVE, "id": "../x"}), False, id="odd id"),
        pytest.param(_pb_like(LIVE, "HS512"), False, id="other algorithm"),
        pytest.param(_pb_like({**LIVE, "pad": "x" * 5000}), False, id="huge"),
    ],
)
def test_only_tokens_shaped_like_a_live_user_token_reach_pocketbase(
    token: str, shaped: bool
) -> None:
    assert looks_like_a_user_token(token, time.time()) is shaped
