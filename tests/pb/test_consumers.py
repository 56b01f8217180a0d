"""Outbox consumer leases and cursors (pb_hooks/consumers.pb.js, lib/consumers.js):
POST/DELETE /api/fieldsync/consumers/{name}/lease and POST .../cursor, superusers only."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.pb.conftest import assert_pb_error, unique
from tests.support.pocketbase import PocketBaseProcess

Route = Callable[..., httpx.Response]
Stored = Callable[[str], dict[str, Any] | None]


def lease_path(name: str) -> str:
    return f"/api/fieldsync/consumers/{name}/lease"


def cursor_path(name: str) -> str:
    return f"/api/fieldsync/consumers/{name}/cursor"


@pytest.fixture
def name() -> str:
    return unique("consumer")


@pytest.fixture
def acquire(superuser: httpx.Client) -> Route:
    def call(name: str, holder: str, ttl_s: float | None = None) -> httpx.Response:
        body: dict[str, Any] = {"holder": holder}
        if ttl_s is not None:
            body["ttl_s"] = ttl_s
        return superuser.post(lease_path(name), json=body)

    return call


@pytest.fixture
def advance(superuser: httpx.Client) -> Route:
    def call(name: str, holder: str, cursor: Any) -> httpx.Response:
        return superuser.post(cursor_path(name), json={"holder": holder, "cursor": cursor})

    return call


@pytest.fixture
def stored(superuser: httpx.Client) -> Callable[[str], dict[str, Any] | None]:
    """The `consumers` row of a name as stored, or None."""

    def find(name: str) -> dict[str, Any] | None:
        response = superuser.get(
            "/api/collections/consumers/records", params={"filter": f'name = "{name}"'}
        )
        response.raise_for_status()
        items: list[dict[str, Any]] = response.json()["items"]
        assert len(items) <= 1
        return items[0] if items else None

    return find


def parse_date(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S.%fZ").replace(tzinfo=UTC)


def test_acquire_reports_holder_cursor_and_deadline(name: str, acquire: Route) -> None:
    before = datetime.now(UTC)
    response = acquire(name, "worker-1", ttl_s=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["holder"], body["cursor"]) == (name, "worker-1", 0)
    remaining = (parse_date(body["lease_until"]) - before).total_seconds()
    assert 29 <= remaining <= 31
    # the holder renews its own lease
    assert acquire(name, "worker-1", ttl_s=30).status_code == 200


def test_a_second_holder_is_refused_while_the_lease_is_live(
    name: str, acquire: Route, stored: Stored
) -> None:
    assert acquire(name, "worker-1", ttl_s=30).status_code == 200
    before = stored(name)
    body = assert_pb_error(acquire(name, "worker-2", ttl_s=30), 409)
    assert "held by another process" in body["message"]
    assert body["data"]["holder"] == "worker-1"
    assert stored(name) == before


def test_an_expired_lease_is_taken_over(name: str, acquire: Route, advance: Route) -> None:
    assert acquire(name, "worker-1", ttl_s=1).status_code == 200
    deadline = time.monotonic() + 10
    while True:
        response = acquire(name, "worker-2", ttl_s=30)
        if response.status_code == 200:
            break
        assert response.status_code == 409, response.text
        assert time.monotonic() < deadline, "the lease never expired"
        time.sleep(0.05)
    assert response.json()["holder"] == "worker-2"
    # the old holder has lost the cursor with the lease
    assert_pb_error(advance(name, "worker-1", 1), 409)
    assert advance(name, "worker-2", 1).status_code == 200


def test_a_lease_lasts_its_whole_ttl(name: str, acquire: Route, stored: Stored) -> None:
    """BUG (lib/consumers.js leaseExpired): the deadline is compared in whole seconds
    (`until.unix() * 1000 <= Date.now()`), so a lease ends up to 1 s before the `lease_until`
    the server reported. A lease taken at hh:mm:ss.850 with ttl_s=1 (lease_until ss+1.850) is
    handed to another process at ss+1.000: two processes hold it at once for 0.85 s."""
    # start just after the 0.85 mark of a wall-clock second (the server shares this clock)
    time.sleep((0.85 - time.time() % 1) % 1 + 0.01)
    response = acquire(name, "worker-1", ttl_s=1)
    assert response.status_code == 200, response.text
    until = parse_date(response.json()["lease_until"])
    # try well inside the lease: 0.4 s after it was granted, 0.6 s before it ends
    time.sleep(0.4)
    assert datetime.now(UTC) < until
    response = acquire(name, "worker-2", ttl_s=1)
    assert response.status_code == 409, (
        f"lease until {until.isoformat()} handed over at {datetime.now(UTC).isoformat()}: "
        f"{response.text}"
    )


def test_release_lets_another_holder_in(name: str, acquire: Route, superuser: httpx.Client) -> None:
    assert acquire(name, "worker-1", ttl_s=30).status_code == 200
    # a non-holder's release is a no-op
    response = superuser.request("DELETE", lease_path(name), json={"holder": "worker-2"})
    assert response.status_code == 204
    assert acquire(name, "worker-2", ttl_s=30).status_code == 409
    response = superuser.request("DELETE", lease_path(name), json={"holder": "worker-1"})
    assert response.status_code == 204
    assert acquire(name, "worker-2", ttl_s=30).status_code == 200


def test_cursor_moves_only_for_the_holder_and_only_forward(
    name: str, acquire: Route, advance: Route, stored: Stored
) -> None:
    assert acquire(name, "worker-1", ttl_s=30).status_code == 200
    body = assert_pb_error(advance(name, "worker-2", 5), 409)
    assert "not held by" in body["message"]
    assert stored(name)["cursor"] == 0  # type: ignore[index]

    response = advance(name, "worker-1", 5)
    assert response.status_code == 200, response.text
    assert response.json()["cursor"] == 5
    assert advance(name, "worker-1", 5).status_code == 200  # the same value again is fine

    body = assert_pb_error(advance(name, "worker-1", 4), 409)
    assert "only moves forward" in body["message"]
    assert stored(name)["cursor"] == 5  # type: ignore[index]


def test_cursor_without_a_lease_is_refused(name: str, advance: Route, stored: Stored) -> None:
    assert_pb_error(advance(name, "worker-1", 3), 409)
    consumer = stored(name)
    assert consumer is None or consumer["cursor"] == 0


BAD_LEASE_BODIES: list[Any] = [
    {},
    {"holder": ""},
    {"holder": "x" * 201},
    {"holder": "w", "ttl_s": "soon"},
    {"holder": "w", "ttl_s": -5},
    {"holder": "w", "ttl_s": 301},
]


@pytest.mark.parametrize("body", BAD_LEASE_BODIES, ids=repr)
def test_bad_lease_body_is_a_400_with_a_message(
    body: Any, name: str, superuser: httpx.Client, stored: Stored
) -> None:
    assert_pb_error(superuser.post(lease_path(name), json=body), 400)
    assert stored(name) is None


def test_lease_ttl_zero_is_refused(name: str, superuser: httpx.Client, stored: Stored) -> None:
    """BUG (lib/consumers.js acquire): `Number(body.ttl_s || 30)` turns ttl_s=0 into the default
    30 s, so a request for a zero-length lease takes a 30 s one instead of a 400."""
    response = superuser.post(lease_path(name), json={"holder": "w", "ttl_s": 0})
    assert_pb_error(response, 400)
    assert stored(name) is None


def test_malformed_json_is_a_400(name: str, superuser: httpx.Client) -> None:
    response = superuser.post(
        lease_path(name), content=b"{holder", headers={"content-type": "application/json"}
    )
    assert_pb_error(response, 400)


@pytest.mark.parametrize("cursor", [-1, 1.5, "x", None, True], ids=repr)
def test_bad_cursor_is_a_400_and_changes_nothing(
    cursor: Any, name: str, acquire: Route, advance: Route, stored: Stored
) -> None:
    """BUG for None and True (lib/consumers.js advance): `Number(body.cursor)` coerces them to
    0 and 1, so a body with a null or boolean cursor is accepted (True moves the cursor)."""
    assert acquire(name, "worker-1", ttl_s=30).status_code == 200
    assert advance(name, "worker-1", 0).status_code == 200
    body = assert_pb_error(advance(name, "worker-1", cursor), 400)
    assert "cursor" in body["message"].lower()
    assert stored(name)["cursor"] == 0  # type: ignore[index]


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("field_a", 403), ("office_a", 403), ("admin_a", 403)],
)
def test_routes_are_for_superusers_only(
    who: str, status: int, name: str, acquire: Route, stored: Stored, request: Any
) -> None:
    client: httpx.Client = request.getfixturevalue(who)
    assert acquire(name, "sidecar", ttl_s=30).status_code == 200
    before = stored(name)
    responses = [
        client.post(lease_path(name), json={"holder": "intruder", "ttl_s": 30}),
        client.request("DELETE", lease_path(name), json={"holder": "sidecar"}),
        client.post(cursor_path(name), json={"holder": "sidecar", "cursor": 99}),
    ]
    for response in responses:
        assert_pb_error(response, status)
    assert stored(name) == before


def test_one_of_ten_concurrent_acquirers_wins(
    name: str, pocketbase: PocketBaseProcess, stored: Stored
) -> None:
    token = pocketbase.superuser_token()
    start = threading.Barrier(10)

    def contend(i: int) -> httpx.Response:
        with httpx.Client(base_url=pocketbase.url, headers={"Authorization": token}) as client:
            start.wait(timeout=10)
            return client.post(lease_path(name), json={"holder": f"worker-{i}", "ttl_s": 30})

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(contend, range(10)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 9, [r.text for r in responses]
    winner = next(r.json()["holder"] for r in responses if r.status_code == 200)
    assert all(r.json()["data"]["holder"] == winner for r in responses if r.status_code == 409)
    consumer = stored(name)
    assert consumer is not None and consumer["holder"] == winner


def test_a_named_dead_holder_is_replaced_at_once_and_only_that_one(
    name: str, superuser: httpx.Client, stored: Stored
) -> None:
    """`replace` is how a restarted process takes over from its dead predecessor on the same
    host without waiting for the deadline; naming anyone but the current holder changes
    nothing."""
    path = lease_path(name)
    assert superuser.post(path, json={"holder": "host:1:10", "ttl_s": 300}).status_code == 200
    wrong = superuser.post(path, json={"holder": "host:2:20", "ttl_s": 30, "replace": "host:9:9"})
    assert_pb_error(wrong, 409)
    assert stored(name)["holder"] == "host:1:10"  # type: ignore[index]
    taken = superuser.post(path, json={"holder": "host:2:20", "ttl_s": 30, "replace": "host:1:10"})
    assert taken.status_code == 200 and taken.json()["holder"] == "host:2:20"


def test_two_processes_replacing_the_same_dead_holder_one_wins(
    name: str, pocketbase: PocketBaseProcess, superuser: httpx.Client, stored: Stored
) -> None:
    assert (
        superuser.post(lease_path(name), json={"holder": "dead", "ttl_s": 300}).status_code == 200
    )
    token = pocketbase.superuser_token()
    start = threading.Barrier(6)

    def contend(i: int) -> httpx.Response:
        with httpx.Client(base_url=pocketbase.url, headers={"Authorization": token}) as client:
            start.wait(timeout=10)
            body = {"holder": f"heir-{i}", "ttl_s": 30, "replace": "dead"}
            return client.post(lease_path(name), json=body)

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(contend, range(6)))
    assert sorted(r.status_code for r in responses) == [200] + [409] * 5
    winner = next(r.json()["holder"] for r in responses if r.status_code == 200)
    assert stored(name)["holder"] == winner  # type: ignore[index]
