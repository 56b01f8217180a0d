"""The sidecar never loses an event: catch-up after downtime, SIGKILL mid-batch, PocketBase
restarted under it."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.support.images import jpeg, photo
from tests.support.photos import events_for, new_job, upload
from tests.support.pocketbase import PocketBaseProcess
from tests.support.sidecar import SidecarFactory
from tests.support.teams import SeededTeam, make_team
from tests.support.waiting import wait_for


@pytest.fixture
def team(fresh_pocketbase: PocketBaseProcess) -> SeededTeam:
    fresh_pocketbase.exempt_loopback()
    with fresh_pocketbase.superuser_client() as su:
        return make_team(su, "Recovery")


def small_jpegs(count: int, seed: int) -> list[bytes]:
    base = photo(640, 480, seed=seed, noise=4)
    return [
        jpeg(base, quality=80 + i % 10, exif=None) + bytes([i % 256, i // 256])
        for i in range(count)
    ]


def statuses(su: httpx.Client, job: str) -> dict[str, str]:
    response = su.get(
        "/api/collections/photos/records",
        params={"filter": f'job = "{job}"', "perPage": 500, "fields": "id,status"},
    )
    response.raise_for_status()
    return {item["id"]: item["status"] for item in response.json()["items"]}


def all_ready(su: httpx.Client, job: str, count: int) -> bool:
    found = statuses(su, job)
    return len(found) == count and all(status == "ready" for status in found.values())


def test_catch_up_after_downtime(
    fresh_pocketbase: PocketBaseProcess, team: SeededTeam, make_sidecar: SidecarFactory
) -> None:
    sidecar = make_sidecar(fresh_pocketbase)
    sidecar.start()
    sidecar.stop()
    job = new_job(team.office)
    for data in small_jpegs(50, seed=1):
        upload(team.field, job["id"], data)
    with fresh_pocketbase.superuser_client() as su:
        assert set(statuses(su, job["id"]).values()) == {"processing"}

        sidecar.start()
        wait_for(
            lambda: all_ready(su, job["id"], 50), timeout=120, interval=0.2, what="50 thumbnails"
        )


def test_sigkill_mid_batch_handles_each_photo_once(
    fresh_pocketbase: PocketBaseProcess, team: SeededTeam, make_sidecar: SidecarFactory
) -> None:
    sidecar = make_sidecar(fresh_pocketbase)
    job = new_job(team.office)
    for data in small_jpegs(100, seed=2):
        upload(team.field, job["id"], data)
    with fresh_pocketbase.superuser_client() as su:
        sidecar.start()
        wait_for(
            lambda: 10 <= list(statuses(su, job["id"]).values()).count("ready") < 100,
            interval=0.01,
            what="the batch half done",
        )
        workers = sidecar.descendants()
        assert workers, "the thumbnail workers run as processes of their own"
        sidecar.kill()
        assert list(statuses(su, job["id"]).values()).count("ready") < 100
        wait_for(
            lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers),
            what="the killed sidecar's workers to exit too",
        )

        sidecar.start()
        wait_for(
            lambda: all_ready(su, job["id"], 100), timeout=180, interval=0.2, what="100 thumbnails"
        )
        for photo_id in statuses(su, job["id"]):
            types = [event["type"] for event in events_for(su, photo_id)]
            assert types == ["photo.created", "photo.ready"], f"{photo_id}: {types}"


def test_pocketbase_restarted_under_the_sidecar(
    fresh_pocketbase: PocketBaseProcess, team: SeededTeam, make_sidecar: SidecarFactory
) -> None:
    sidecar = make_sidecar(fresh_pocketbase)
    sidecar.start()
    job = new_job(team.office)
    first = upload(team.field, job["id"], small_jpegs(1, seed=3)[0])
    with fresh_pocketbase.superuser_client() as su:
        wait_for(lambda: all_ready(su, job["id"], 1), what="first thumbnail")

    fresh_pocketbase.stop()
    wait_for(lambda: sidecar.health()["pocketbase"] == "down", what="the sidecar to notice")
    fresh_pocketbase.start()
    second = upload(team.field, job["id"], small_jpegs(2, seed=4)[1])

    with fresh_pocketbase.superuser_client() as su:
        wait_for(lambda: all_ready(su, job["id"], 2), timeout=60, what="thumbnail after restart")
    assert sidecar.running
    assert sidecar.health()["pocketbase"] == "up"
    assert first["id"] != second["id"]
    assert sidecar.log().count("PocketBase is unavailable") == 1


def test_wrong_superuser_password_stops_the_sidecar(
    fresh_pocketbase: PocketBaseProcess, make_sidecar: SidecarFactory
) -> None:
    sidecar = make_sidecar(fresh_pocketbase, FIELDSYNC_PB_SUPERUSER_PASSWORD="not-the-password")
    with contextlib.suppress(RuntimeError):  # it may stop before /healthz first answers
        sidecar.start(ready=False)
    wait_for(lambda: not sidecar.running, what="the sidecar to stop by itself")
    assert "sidecar cannot go on; stopping" in sidecar.log()
    assert "Failed to authenticate" in sidecar.log()


def _log_time(log: str, message: str, after: datetime | None = None) -> datetime:
    """When the sidecar first logged `message` (after `after`), from its JSON lines."""
    for line in log.splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            at = datetime.fromisoformat(entry["ts"])
            if entry["msg"] == message and (after is None or at > after):
                return at
    raise AssertionError(f"never logged {message!r}")


def test_a_restart_on_the_same_host_takes_the_lease_over_at_once(
    fresh_pocketbase: PocketBaseProcess, make_sidecar: SidecarFactory
) -> None:
    """With a 30 s lease, a sidecar restarted right after `kill -9` does not wait the lease
    out: its predecessor's process is gone, so it takes over within 2 s of logging in."""
    sidecar = make_sidecar(fresh_pocketbase, FIELDSYNC_LEASE_TTL_S="30")
    sidecar.start()
    sidecar.kill()
    killed = datetime.now(UTC)
    sidecar.start()
    log = sidecar.log()
    logged_in = _log_time(log, "logged in to PocketBase", after=killed)
    holding = _log_time(log, "holding the outbox consumer", after=killed)
    assert (holding - logged_in).total_seconds() < 2.0
