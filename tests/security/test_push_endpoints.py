"""Web Push from the attacker's side: push endpoints as server-side request forgery, other
users' and teams' subscriptions, the delivery queue, and the sidecar's push routes. All against
real PocketBase processes (and the real sidecar for the routes)."""

# ruff: noqa: F401, F811 (pytest fixtures imported from tests/sidecar/push/fixtures.py)

from __future__ import annotations

import secrets

import httpx
import pytest

from tests.sidecar.push.fixtures import (
    Crew,
    StartSidecar,
    allowed_hosts,
    crew,
    new_crew,
    other_crew,
    push_pb,
    push_service,
    push_su,
    start_push_sidecar,
    vapid_key,
)
from tests.sidecar.push.test_endpoints import ENDPOINT_CASES
from tests.support.pocketbase import PocketBaseProcess
from tests.support.push import SUBSCRIPTIONS
from tests.support.push.browser import Browser
from tests.support.push.service import PushService
from tests.support.teams import Member, make_team

NOT_ALLOWED = "validation_push_endpoint_not_allowed"


def store(member: Member, body: dict[str, str]) -> httpx.Response:
    with member.client() as client:
        return client.post(SUBSCRIPTIONS, json=body)


def assert_refused_endpoint(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["data"]["endpoint"]["code"] in (NOT_ALLOWED, "validation_invalid_url"), body
    assert body["message"]


@pytest.fixture(scope="module")
def one_crew(push_su: httpx.Client, push_service: PushService) -> Crew:
    return new_crew(push_su, push_service, "SSRF")


@pytest.mark.parametrize(("endpoint", "allowed"), ENDPOINT_CASES)
def test_ssrf_endpoints_are_refused_when_stored(
    one_crew: Crew, push_service: PushService, endpoint: str, allowed: bool
) -> None:
    member = one_crew.team.field
    url = endpoint.format(port=push_service.port, other=push_service.port + 1)
    response = store(member, Browser().subscription(member.id, url))
    if allowed:
        assert response.status_code == 200, response.text
    else:
        assert_refused_endpoint(response)
        assert not one_crew.subscription_exists(url)


def test_production_settings_refuse_loopback_and_lan_endpoints(
    pocketbase: PocketBaseProcess, superuser: httpx.Client, push_service: PushService
) -> None:
    """The session PocketBase runs with the default allowlist, as in production."""
    team = make_team(superuser, "Prod")
    for url in (
        f"{pocketbase.url}/api/collections/users/records",
        "http://127.0.0.1:8090/api/collections/users/records",
        f"{push_service.url}/push/{secrets.token_hex(4)}",
        "https://192.168.1.1/admin",
        "https://localhost/x",
        "http://169.254.169.254/latest/meta-data/",
    ):
        assert_refused_endpoint(store(team.field, Browser().subscription(team.field.id, url)))
        found = superuser.get(SUBSCRIPTIONS, params={"filter": f'endpoint = "{url}"'})
        assert found.json()["items"] == []


def test_an_update_cannot_move_a_subscription_off_the_allowlist(
    crew: Crew, push_su: httpx.Client
) -> None:
    endpoint = crew.subscribe(crew.team.field)
    record = push_su.get(SUBSCRIPTIONS, params={"filter": f'endpoint = "{endpoint}"'}).json()
    path = f"{SUBSCRIPTIONS}/{record['items'][0]['id']}"
    with crew.team.field.client() as client:
        for url in ("http://127.0.0.1:8090/api/settings", "https://evil.example/x"):
            assert_refused_endpoint(client.patch(path, json={"endpoint": url}))
        assert client.get(path).json()["endpoint"] == endpoint
    # not even a superuser stores one
    assert_refused_endpoint(push_su.patch(path, json={"endpoint": "https://evil.example/x"}))


def test_keys_that_no_browser_makes_are_refused(crew: Crew, push_service: PushService) -> None:
    good = Browser().subscription(crew.team.field.id, push_service.endpoint())
    for field, value in (
        ("p256dh", good["p256dh"][:-4]),
        ("p256dh", "C" + good["p256dh"][1:]),  # not an uncompressed point
        ("p256dh", good["p256dh"].replace(good["p256dh"][5], "+", 1)),
        ("auth", good["auth"] + "AA"),
        ("auth", ""),
    ):
        response = store(crew.team.field, {**good, field: value})
        assert response.status_code == 400, (field, value, response.text)
        assert field in response.json()["data"]


def test_endpoints_are_unique_per_user_and_say_nothing_about_others(
    crew: Crew, other_crew: Crew, push_service: PushService
) -> None:
    endpoint = push_service.endpoint()
    mine = Browser().subscription(crew.team.field.id, endpoint)
    assert store(crew.team.field, mine).status_code == 200
    # the same user again: refused
    again = store(crew.team.field, mine)
    assert again.status_code == 400
    assert again.json()["data"]["endpoint"]["code"] == "validation_not_unique"
    # another user of the team, and a user of another team: accepted, nothing revealed
    for member in (crew.team.office, other_crew.team.field):
        response = store(member, Browser().subscription(member.id, endpoint))
        assert response.status_code == 200, response.text
        assert response.json()["user"] == member.id


def test_nobody_stores_or_sees_another_users_subscriptions(
    crew: Crew, other_crew: Crew, push_service: PushService
) -> None:
    victim = crew.team.office
    endpoint = crew.subscribe(victim)
    for attacker in (crew.team.field, crew.team.admin, other_crew.team.admin):
        body = Browser().subscription(victim.id, push_service.endpoint())
        assert store(attacker, body).status_code == 400  # for someone else: refused by rule
        with attacker.client() as client:
            listed = client.get(SUBSCRIPTIONS, params={"filter": f'endpoint = "{endpoint}"'})
            assert listed.status_code == 200 and listed.json()["items"] == []


def test_the_delivery_queue_is_superuser_only(crew: Crew) -> None:
    with crew.team.admin.client() as client:
        assert client.get("/api/collections/push_deliveries/records").status_code == 403
        for route in ("", "/claim", "/settle", "/release"):
            response = client.post(
                f"/api/fieldsync/push/deliveries{route}", json={"holder": "x", "ttl_s": 5}
            )
            assert response.status_code in (401, 403), (route, response.text)


def test_push_test_route_refuses_bad_tokens_and_reaches_only_own_subscriptions(
    crew: Crew,
    other_crew: Crew,
    push_service: PushService,
    start_push_sidecar: StartSidecar,
) -> None:
    sidecar = start_push_sidecar()
    victims = [crew.subscribe(m) for m in (crew.team.office, crew.team.field)]
    forged = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6IiJ9.c2ln"
    for header in ("", "Bearer", forged, crew.team.field.token[:-3] + "abc"):
        response = httpx.post(f"{sidecar.url}/push/test", headers={"Authorization": header})
        assert response.status_code == 401, (header, response.text)
    attacker = other_crew.team.admin
    own = other_crew.subscribe(attacker)
    response = httpx.post(
        f"{sidecar.url}/push/test", headers={"Authorization": attacker.token}, timeout=30
    )
    assert response.status_code == 202 and response.json()["sent"] == 1
    push_service.wait_for(1, own)
    for endpoint in victims:
        assert push_service.received(endpoint) == []
