"""Outbox retention (pb_hooks/retention.pb.js, lib/retention.js): old events go, but never the
newest one and never one a consumer has not handled yet."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.pb.conftest import assert_pb_error
from tests.support.pocketbase import PocketBaseProcess
from tests.support.teams import make_team

TRIM = "/api/fieldsync/outbox/trim"
EVENTS = "/api/collections/events/records"
TOMORROW = (datetime.now(UTC) + timedelta(days=1)).isoformat()


@pytest.fixture
def su(fresh_pocketbase: PocketBaseProcess) -> Iterator[httpx.Client]:
    with fresh_pocketbase.superuser_client() as client:
        yield client


def _write(su: httpx.Client, count: int) -> list[int]:
    return [su.post(EVENTS, json={"type": "test.retention"}).json()["seq"] for _ in range(count)]


def _kept(su: httpx.Client) -> list[int]:
    items = su.get(EVENTS, params={"sort": "seq", "perPage": 500}).json()["items"]
    return [item["seq"] for item in items]


def _handled_up_to(su: httpx.Client, seq: int) -> None:
    lease = "/api/fieldsync/consumers/sidecar/lease"
    su.post(lease, json={"holder": "tester", "ttl_s": 60}).raise_for_status()
    cursor = "/api/fieldsync/consumers/sidecar/cursor"
    su.post(cursor, json={"holder": "tester", "cursor": seq}).raise_for_status()


def test_old_events_go_up_to_the_consumers_cursor_never_the_newest(su: httpx.Client) -> None:
    seqs = _write(su, 5)
    _handled_up_to(su, seqs[2])
    first = su.post(TRIM, json={"before": TOMORROW})
    assert first.status_code == 200 and first.json() == {"deleted": 3}
    assert _kept(su) == seqs[3:]
    _handled_up_to(su, seqs[4])
    assert su.post(TRIM, json={"before": TOMORROW}).json() == {"deleted": 1}
    assert _kept(su) == seqs[4:], "the newest event stays"


def test_only_events_older_than_the_cutoff_go(su: httpx.Client) -> None:
    seqs = _write(su, 3)
    _handled_up_to(su, seqs[-1])
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert su.post(TRIM, json={"before": yesterday}).json() == {"deleted": 0}
    assert su.post(TRIM, json={"before": TOMORROW, "limit": 1}).json() == {"deleted": 1}
    assert _kept(su) == seqs[1:]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"before": "yesterday"},
        {"before": TOMORROW, "limit": 0},
        {"before": TOMORROW, "limit": "9"},
    ],
)
def test_bad_requests_are_a_400(su: httpx.Client, body: dict[str, object]) -> None:
    assert_pb_error(su.post(TRIM, json=body), 400)


def test_only_superusers_trim(fresh_pocketbase: PocketBaseProcess, su: httpx.Client) -> None:
    seqs = _write(su, 2)
    _handled_up_to(su, seqs[-1])
    team = make_team(su, "Trimmers")
    with team.admin.client() as admin:
        assert admin.post(TRIM, json={"before": TOMORROW}).status_code in (401, 403)
    anonymous = httpx.post(f"{fresh_pocketbase.url}{TRIM}", json={"before": TOMORROW})
    assert anonymous.status_code == 401
    assert _kept(su) == seqs
