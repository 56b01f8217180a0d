"""Subscribing over real HTTP: delivery, matching, heartbeats, headers, CORS."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
import time

import httpx
import pytest
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from sidecar.hub import Update
from sidecar.hub.templates import compile_template
from tests.sidecar.hub.conftest import (
    DEADLINE_S,
    PUBLISHER_KEY,
    SUBSCRIBER_KEY,
    TEAM_A,
    TEAM_B,
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


async def test_live_update_reaches_subscriber(hub_server: HubServer) -> None:
    async with subscribe(hub_server, token_value=team_token(TEAM_A)) as (response, events):
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        assert "no-cache" in response.headers["cache-control"]
        assert response.headers["x-accel-buffering"] == "no"
        update = await hub_server.emit(TEAM_A, "jobs", "job000000000001", title="Roof")
        (event,) = await take(events, 1)
    assert event.id == update.id == str(update.seq)
    assert event.event == "job.updated"
    assert json.loads(event.data)["record"] == {"id": "job000000000001", "title": "Roof"}


async def test_team_a_never_sees_team_b(hub_server: HubServer) -> None:
    async with (
        subscribe(hub_server, token_value=team_token(TEAM_A)) as (_, events_a),
        subscribe(hub_server, token_value=team_token(TEAM_B)) as (_, events_b),
    ):
        update_b = await hub_server.emit(TEAM_B)
        update_a = await hub_server.emit(TEAM_A)
        (first_a,) = await take(events_a, 1)
        (first_b,) = await take(events_b, 1)
    assert first_a.id == update_a.id
    assert first_b.id == update_b.id


async def test_multi_line_data_round_trips(hub_server: HubServer) -> None:
    async with (
        subscribe(hub_server, ["/notes/1"], token_value=token(subscribe=["/notes/{id}"])) as (
            _,
            events,
        ),
        hub_server.client() as client,
    ):
        response = await client.post(
            "/.well-known/mercure",
            data={"topic": "/notes/1", "data": "first\nsecond\r\nthird", "retry": "2500"},
            headers=bearer(publisher_token()),
        )
        assert response.status_code == 200
        (event,) = await take(events, 1)
    assert event.data == "first\nsecond\nthird"
    assert event.retry == 2500


async def test_uri_template_matches_topics(hub_server: HubServer) -> None:
    template = f"/teams/{TEAM_A}/jobs/{{job}}"
    async with subscribe(hub_server, [template], token_value=team_token(TEAM_A)) as (_, events):
        await hub_server.emit(TEAM_A, "photos", "photo0000000001", job="job000000000009")
        await hub_server.emit(TEAM_B, "jobs", "job000000000002")
        job = await hub_server.emit(TEAM_A, "jobs", "job000000000003")
        (event,) = await take(events, 1)
    assert event.id == job.id


async def test_photo_reaches_job_subscribers_through_its_alternate_topic(
    hub_server: HubServer,
) -> None:
    topic = f"/teams/{TEAM_A}/jobs/job000000000009/photos/{{photo}}"
    async with subscribe(hub_server, [topic], token_value=team_token(TEAM_A)) as (_, events):
        photo = await hub_server.emit(TEAM_A, "photos", "photo0000000001", job="job000000000009")
        (event,) = await take(events, 1)
    assert event.id == photo.id


async def test_public_updates_reach_anonymous_subscribers_private_ones_do_not() -> None:
    async with (
        serve_hub(make_config(anonymous=True)) as server,
        subscribe(server, ["/news/{id}"]) as (_, events),
        server.client() as client,
    ):
        for private in (True, False):
            form = {"topic": "/news/1", "data": f"private={private}"}
            if private:
                form["private"] = "on"
            response = await client.post(
                "/.well-known/mercure", data=form, headers=bearer(publisher_token())
            )
            assert response.status_code == 200
        (event,) = await take(events, 1)
    assert event.data == "private=False"


async def test_heartbeat_comments_keep_an_idle_stream_alive() -> None:
    async with (
        serve_hub(make_config(heartbeat_s=0.05)) as server,
        server.client() as client,
        client.stream(
            "GET",
            "/.well-known/mercure",
            params={"topic": "*"},
            headers=bearer(team_token(TEAM_A)),
        ) as response,
    ):
        received = b""
        async with asyncio.timeout(DEADLINE_S):
            async for chunk in response.aiter_raw():
                received += chunk
                if received.count(b":\n\n") >= 3:
                    break
    assert received.startswith(b":\n\n")


async def test_a_duplicate_dispatch_is_delivered_once(hub_server: HubServer) -> None:
    async with subscribe(hub_server, token_value=team_token(TEAM_A)) as (_, events):
        first = await hub_server.emit(TEAM_A)
        await hub_server.hub.dispatch(first)
        second = await hub_server.emit(TEAM_A)
        received = await take(events, 2)
    assert [event.id for event in received] == [first.id, second.id]


async def test_stream_works_behind_cors_middleware() -> None:
    origin = "https://app.example"
    cors = Middleware(CORSMiddleware, allow_origins=[origin], allow_credentials=True)
    async with (
        serve_hub(middleware=[cors]) as server,
        subscribe(server, token_value=team_token(TEAM_A), headers={"Origin": origin}) as (
            response,
            events,
        ),
    ):
        assert response.headers["access-control-allow-origin"] == origin
        update = await server.emit(TEAM_A)
        (event,) = await take(events, 1)
    assert event.id == update.id


async def test_dispatched_update_of_another_process_needs_no_http(hub_server: HubServer) -> None:
    """What a bus from another process delivers goes out like a local one."""
    topic = f"/teams/{TEAM_A}/chat"
    async with subscribe(hub_server, [topic], token_value=team_token(TEAM_A)) as (_, events):
        await hub_server.hub.dispatch(
            Update(seq=100, id="urn:remote", topics=(topic,), data="d", private=True)
        )
        (event,) = await take(events, 1)
    assert event.id == "urn:remote"


# --- refused subscriptions --------------------------------------------------------------


async def _refusal(
    server: HubServer,
    topics: list[str],
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> tuple[int, dict[str, object], httpx.Headers]:
    query: list[tuple[str, str | int | float | bool | None]] = [("topic", t) for t in topics]
    query += list((params or {}).items())
    async with server.client() as client:
        response = await client.get("/.well-known/mercure", params=query, headers=headers)
    body = response.json()
    assert body["status"] == response.status_code
    return response.status_code, body, response.headers


def _alg_none(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(None, id="no token"),
        pytest.param(bearer(token(SUBSCRIBER_KEY[::-1], subscribe=["*"])), id="bad signature"),
        pytest.param(bearer(_alg_none({"mercure": {"subscribe": ["*"]}})), id="alg none"),
        pytest.param(bearer(token(subscribe=["*"], exp=int(time.time()) - 5)), id="expired"),
        pytest.param(bearer(token(PUBLISHER_KEY, subscribe=["*"])), id="publisher key"),
        pytest.param(bearer("garbage"), id="malformed"),
        pytest.param({"Authorization": "Basic dXNlcjpwYXNz"}, id="not bearer"),
    ],
)
async def test_unauthorized(hub_server: HubServer, headers: dict[str, str] | None) -> None:
    status, _, response_headers = await _refusal(hub_server, ["*"], headers)
    assert status == 401
    assert response_headers["www-authenticate"].startswith("Bearer")


async def test_header_token_wins_over_a_valid_query_token(hub_server: HubServer) -> None:
    status, _, _ = await _refusal(
        hub_server,
        ["*"],
        headers=bearer("garbage"),
        params={"authorization": team_token(TEAM_A)},
    )
    assert status == 401


async def test_exact_topic_outside_the_selectors_is_forbidden(hub_server: HubServer) -> None:
    other_team_job = f"/teams/{TEAM_B}/jobs/job000000000001"
    status, body, _ = await _refusal(hub_server, ["*", other_team_job], bearer(team_token(TEAM_A)))
    assert status == 403
    assert other_team_job in str(body["message"])


@pytest.mark.parametrize(
    ("topics", "status"),
    [
        ([], 400),
        ([f"/teams/{TEAM_A}/{{b}}-{{c}}-{{d}}"], 400),
        (["/a/{b}-{c}-{d}"], 403),
        (["/" + "x" * 2000], 400),
    ],
)
async def test_bad_topics(hub_server: HubServer, topics: list[str], status: int) -> None:
    assert (await _refusal(hub_server, topics, bearer(team_token(TEAM_A))))[0] == status


async def test_templates_are_allowed_and_narrowed_by_the_selectors(hub_server: HubServer) -> None:
    async with subscribe(
        hub_server, ["/teams/{team}/jobs/{job}"], token_value=team_token(TEAM_A)
    ) as (_, events):
        await hub_server.emit(TEAM_B)
        mine = await hub_server.emit(TEAM_A)
        (event,) = await take(events, 1)
    assert event.id == mine.id


async def test_token_in_query_parameter_and_cookie(hub_server: HubServer) -> None:
    async with subscribe(hub_server, params={"authorization": team_token(TEAM_A)}) as (_, by_query):
        first = await hub_server.emit(TEAM_A)
        assert (await take(by_query, 1))[0].id == first.id
    cookies = {"mercureAuthorization": team_token(TEAM_A)}
    async with (
        hub_server.client(cookies=cookies) as client,
        subscribe(hub_server, client=client) as (_, by_cookie),
    ):
        second = await hub_server.emit(TEAM_A)
        assert (await take(by_cookie, 1))[0].id == second.id


@pytest.mark.parametrize(
    ("topics", "cap"),
    [
        pytest.param([f"/teams/{TEAM_A}/t{n}" for n in range(51)], "more than 50", id="topics"),
        pytest.param([f"/teams/{TEAM_A}/" + "x" * 250 + "{a}"], "longer than 256", id="length"),
        pytest.param([f"/teams/{TEAM_A}" + "/{a}" * 9], "more than 8 expressions", id="exprs"),
    ],
)
async def test_costly_subscriptions_are_refused_naming_the_cap(
    hub_server: HubServer, topics: list[str], cap: str
) -> None:
    status, body, _ = await _refusal(hub_server, topics, bearer(team_token(TEAM_A)))
    assert status == 400 and cap in str(body["message"])


async def test_a_template_outside_the_selectors_is_refused_before_compiling(
    hub_server: HubServer,
) -> None:
    hostile = "/x{a}/{a}/{a}/" + secrets.token_hex(8)
    before = compile_template.cache_info()
    status, body, _ = await _refusal(hub_server, [hostile], bearer(team_token(TEAM_A)))
    assert status == 403 and hostile in str(body["message"])
    assert compile_template.cache_info().misses == before.misses, "nothing was compiled"


async def test_connections_per_subscriber_and_per_address_are_capped() -> None:
    config = make_config(max_connections_per_subscriber=2, max_connections_per_ip=3)
    first = token(subscribe=["*"], payload={"team": TEAM_A}, sub="user1")
    other = token(subscribe=["*"], payload={"team": TEAM_A}, sub="user2")
    async with serve_hub(config) as server, contextlib.AsyncExitStack() as stack:
        for _ in range(2):
            await stack.enter_async_context(subscribe(server, token_value=first))
        status, body, headers = await _refusal(server, ["*"], bearer(first))
        assert status == 429 and "2 open streams for this subscriber" in str(body["message"])
        assert int(headers["retry-after"]) > 0
        await stack.enter_async_context(subscribe(server, token_value=other))
        status, body, _ = await _refusal(server, ["*"], bearer(other))
        assert status == 429 and "3 open streams from this address" in str(body["message"])
    async with serve_hub(config) as server, subscribe(server, token_value=first):
        pass  # the counts went with the streams


@pytest.mark.parametrize("value", ["²", "١٢", "x" * 1025, "a\x01b"])
async def test_bad_last_event_ids_are_a_400(hub_server: HubServer, value: str) -> None:
    async with hub_server.client() as client:
        response = await client.get(
            "/.well-known/mercure",
            params={"topic": "*", "lastEventID": value},
            headers=bearer(team_token(TEAM_A)),
        )
    assert response.status_code == 400
    assert "Last-Event-ID" in response.json()["message"]
