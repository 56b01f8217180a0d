"""Publishing: form-encoded POST, publisher JWT, the outbox append, every refusal."""

from __future__ import annotations

import pytest

from tests.sidecar.hub.conftest import (
    PUBLISHER_KEY,
    SUBSCRIBER_KEY,
    TEAM_A,
    HubServer,
    bearer,
    make_config,
    publisher_token,
    serve_hub,
    subscribe,
    take,
    team_token,
    token,
)

CHAT = f"/teams/{TEAM_A}/chat"


async def test_publish_appends_and_answers_the_id(hub_server: HubServer) -> None:
    async with (
        subscribe(hub_server, [CHAT], token_value=team_token(TEAM_A)) as (_, events),
        hub_server.client() as client,
    ):
        response = await client.post(
            "/.well-known/mercure",
            data={"topic": CHAT, "data": "hello", "private": "", "type": "chat.message"},
            headers=bearer(publisher_token(f"/teams/{TEAM_A}/{{+rest}}")),
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        (event,) = await take(events, 1)
    (stored,) = hub_server.published
    assert response.text == stored.id == event.id == str(stored.seq)
    assert stored.private is True
    assert (event.event, event.data) == ("chat.message", "hello")


async def test_publisher_supplied_id_is_kept(hub_server: HubServer) -> None:
    async with hub_server.client() as client:
        response = await client.post(
            "/.well-known/mercure",
            data={"topic": CHAT, "data": "x", "id": "urn:uuid:1234"},
            headers=bearer(publisher_token()),
        )
    assert response.text == "urn:uuid:1234"
    assert hub_server.published[0].id == "urn:uuid:1234"
    assert hub_server.published[0].private is False


PUBLISH_ALL = bearer(publisher_token())


@pytest.mark.parametrize(
    ("form", "headers", "status"),
    [
        pytest.param({"topic": CHAT, "data": "x"}, {}, 401, id="no token"),
        pytest.param(
            {"topic": CHAT},
            bearer(token(SUBSCRIBER_KEY, publish=["*"])),
            401,
            id="subscriber key",
        ),
        pytest.param(
            {"topic": CHAT}, bearer(token(PUBLISHER_KEY[::-1], publish=["*"])), 401, id="bad key"
        ),
        pytest.param({"topic": "/teams/B/x"}, bearer(publisher_token(CHAT)), 403, id="outside"),
        pytest.param(
            {"topic": [CHAT, "/teams/B/x"]},
            bearer(publisher_token(CHAT)),
            403,
            id="one topic outside",
        ),
        pytest.param({"topic": CHAT}, {"Authorization": "Bearer"}, 401, id="bare bearer"),
        pytest.param(
            {"topic": CHAT}, bearer(token(PUBLISHER_KEY, subscribe=["*"])), 403, id="no publish"
        ),
        pytest.param({"data": "x"}, PUBLISH_ALL, 400, id="no topic"),
        pytest.param({"topic": CHAT, "id": "#1"}, PUBLISH_ALL, 400, id="id starts with #"),
        pytest.param({"topic": CHAT, "id": "42"}, PUBLISH_ALL, 400, id="numeric id"),
        pytest.param({"topic": CHAT, "id": "earliest"}, PUBLISH_ALL, 400, id="id earliest"),
        pytest.param({"topic": CHAT, "id": "a\nb"}, PUBLISH_ALL, 400, id="id with newline"),
        pytest.param({"topic": CHAT, "type": "a\rb"}, PUBLISH_ALL, 400, id="type with CR"),
        pytest.param({"topic": CHAT, "retry": "soon"}, PUBLISH_ALL, 400, id="retry not a number"),
        pytest.param({"topic": CHAT, "retry": "-1"}, PUBLISH_ALL, 400, id="negative retry"),
        pytest.param({"topic": CHAT, "data": "x" * 101}, PUBLISH_ALL, 400, id="data too large"),
        pytest.param({"topic": "/teams/A/../B"}, PUBLISH_ALL, 400, id="dot segment"),
        pytest.param({"topic": ""}, PUBLISH_ALL, 400, id="empty topic"),
        pytest.param(
            {"topic": "/.well-known/mercure/subscriptions/x"}, PUBLISH_ALL, 403, id="reserved"
        ),
    ],
)
async def test_refused(form: dict[str, object], headers: dict[str, str], status: int) -> None:
    async with serve_hub(make_config(max_data_bytes=100)) as server, server.client() as client:
        response = await client.post("/.well-known/mercure", data=form, headers=headers)
        assert response.status_code == status, response.text
        assert response.json()["status"] == status
        if status == 401:
            assert response.headers["www-authenticate"].startswith("Bearer")
    assert server.published == []


async def test_body_must_be_form_encoded(hub_server: HubServer) -> None:
    async with hub_server.client() as client:
        response = await client.post(
            "/.well-known/mercure", json={"topic": CHAT}, headers=PUBLISH_ALL
        )
    assert response.status_code == 400


async def test_cookie_is_not_accepted_for_publishing(hub_server: HubServer) -> None:
    cookies = {"mercureAuthorization": publisher_token()}
    async with hub_server.client(cookies=cookies) as client:
        response = await client.post("/.well-known/mercure", data={"topic": CHAT})
    assert response.status_code == 401
