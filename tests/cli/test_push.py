"""`fieldsync push test` against the real sidecar (`POST {hub}/push/test`)."""

from __future__ import annotations

import httpx
import pytest

from sidecar.push.vapid import new_private_key
from tests.cli.conftest import Cli
from tests.support.pocketbase import PocketBaseProcess
from tests.support.sidecar import SidecarFactory
from tests.support.teams import SeededTeam


def test_push_test_reports_what_the_sidecar_sent(
    office: Cli, team: SeededTeam, pocketbase: PocketBaseProcess, make_sidecar: SidecarFactory
) -> None:
    sidecar = make_sidecar(pocketbase, FIELDSYNC_PUSH_VAPID_PRIVATE_KEY=new_private_key())
    sidecar.start()
    probe = httpx.get(f"{sidecar.url}/push/vapid-public-key")
    if probe.status_code == 404:
        pytest.skip("this sidecar has no push routes")
    done = office("push", "test", "--hub-url", sidecar.url)
    assert done.returncode == 0, done.stderr
    assert "no subscriptions" in done.stderr  # the office user subscribed no device


def test_push_test_without_push_is_one_line(
    office: Cli, pocketbase: PocketBaseProcess, make_sidecar: SidecarFactory
) -> None:
    sidecar = make_sidecar(pocketbase)  # no VAPID key: push is off
    sidecar.start()
    done = office("push", "test", "--hub-url", sidecar.url)
    assert done.returncode == 1
    assert "not enabled" in done.stderr and done.stderr.count("\n") == 1
