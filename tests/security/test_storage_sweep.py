"""Attacks on the storage sweep route (pb_hooks/storage.pb.js): only a superuser may make
PocketBase delete files, and a hostile grace period is refused before anything is listed."""

from __future__ import annotations

import httpx

from tests.pb.conftest import assert_pb_error
from tests.support.pocketbase import PocketBaseProcess
from tests.support.teams import SeededTeam

SWEEP = "/api/fieldsync/storage/sweep"


def test_bad_grace_periods_are_a_400(superuser: httpx.Client) -> None:
    for body in ({"older_than_s": -1}, {"older_than_s": "1h"}):
        assert_pb_error(superuser.post(SWEEP, json=body), 400)


def test_superusers_only(pocketbase: PocketBaseProcess, team_a: SeededTeam) -> None:
    with team_a.admin.client() as admin:
        assert admin.post(SWEEP, json={}).status_code in (401, 403)
    with httpx.Client(base_url=pocketbase.url) as anonymous:
        assert anonymous.post(SWEEP, json={"older_than_s": 0}).status_code in (401, 403)
