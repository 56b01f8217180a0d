"""Server settings as shipped (pb_migrations/1764000100_server_settings.js) and the photo size
limit from FIELDSYNC_MAX_PHOTO_MB (pb_hooks/settings.pb.js), each on a server of its own."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.pb.conftest import assert_pb_error, jpeg_bytes, post_photo, unique
from tests.support.pocketbase import PocketBaseProcess, launch
from tests.support.teams import make_team

MiB = 1024 * 1024


def file_max_size(superuser: httpx.Client) -> int:
    response = superuser.get("/api/collections/photos")
    response.raise_for_status()
    field = next(f for f in response.json()["fields"] if f["name"] == "file")
    return int(field["maxSize"])


def test_rate_limit_refuses_repeated_wrong_logins(fresh_pocketbase: PocketBaseProcess) -> None:
    url = f"{fresh_pocketbase.url}/api/collections/users/auth-with-password"
    body = {"identity": "nobody@fieldsync.test", "password": "wrong"}
    statuses = []
    with httpx.Client() as client:
        for _ in range(20):
            response = client.post(url, json=body)
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
    assert statuses[0] == 400  # a wrong password is refused as such until the limit
    assert statuses[-1] == 429, statuses
    assert len(statuses) <= 11, statuses  # "*:auth" allows 10 per 10 s
    assert_pb_error(response, 429, "Too Many Requests.")


def test_batch_api_is_off_and_logs_keep_no_client_ip(
    fresh_pocketbase: PocketBaseProcess,
) -> None:
    with fresh_pocketbase.superuser_client() as superuser:
        settings = superuser.get("/api/settings").json()
        assert settings["batch"]["enabled"] is False
        assert settings["rateLimits"]["enabled"] is True
        assert settings["rateLimits"]["excludedIPs"] == []
        assert settings["logs"]["logIP"] is False

        request = {"method": "POST", "url": "/api/collections/teams/records", "body": {"name": "x"}}
        response = superuser.post("/api/batch", json={"requests": [request]})
        assert_pb_error(response, 403, "Batch requests are not allowed.")
        assert superuser.get("/api/collections/teams/records").json()["totalItems"] == 0

        # a logged request carries no client address (logs are written in batches: poll)
        marker = unique("log")
        httpx.get(f"{fresh_pocketbase.url}/api/health", params={"m": marker})
        deadline = time.monotonic() + 15
        while True:
            logs = superuser.get("/api/logs", params={"filter": f'data.url ~ "{marker}"'})
            assert logs.status_code == 200, logs.text
            if logs.json()["items"]:
                break
            assert time.monotonic() < deadline, "the request was never logged"
            time.sleep(0.2)
    data = logs.json()["items"][0]["data"]
    assert not data.get("userIP") and not data.get("remoteIP"), data


@pytest.fixture
def small_pocketbase(tmp_path: Path) -> Iterator[PocketBaseProcess]:
    """A PocketBase started with FIELDSYNC_MAX_PHOTO_MB=1."""
    pb = launch(tmp_path / "pb_data", env={"FIELDSYNC_MAX_PHOTO_MB": "1"})
    yield pb
    pb.cleanup()


def test_photo_size_limit_follows_the_environment(small_pocketbase: PocketBaseProcess) -> None:
    with small_pocketbase.superuser_client() as superuser:
        assert file_max_size(superuser) == 1 * MiB
        team = make_team(superuser, "Small")
        job = superuser.post(
            "/api/collections/jobs/records", json={"team": team.id, "title": "limits"}
        ).json()
        with team.field.client() as field:
            response = post_photo(field, team.id, job["id"], jpeg_bytes(padding=MiB // 2 * 3))
            body = assert_pb_error(response, 400, "Failed to create record.")
            error = body["data"]["file"]
            assert error["code"] == "validation_file_size_limit"
            assert "1048576" in error["message"]
            assert superuser.get("/api/collections/photos/records").json()["totalItems"] == 0
            storage = small_pocketbase.data_dir / "storage"
            assert not storage.exists() or not any(p.is_file() for p in storage.rglob("*"))
            # allowed: just under the limit
            response = post_photo(field, team.id, job["id"], jpeg_bytes(padding=MiB - 1024))
            assert response.status_code == 200, response.text

        # restarted with another value, the collection follows
        small_pocketbase.env["FIELDSYNC_MAX_PHOTO_MB"] = "3"
        small_pocketbase.restart()
    with small_pocketbase.superuser_client() as superuser:
        assert file_max_size(superuser) == 3 * MiB

    # and a bad value stops it at start, naming the variable
    small_pocketbase.stop()
    small_pocketbase.env["FIELDSYNC_MAX_PHOTO_MB"] = "0"
    with pytest.raises(RuntimeError, match="FIELDSYNC_MAX_PHOTO_MB"):
        small_pocketbase.start()


def test_shipped_photo_size_limit_is_25_mib(superuser: httpx.Client) -> None:
    assert file_max_size(superuser) == 25 * MiB


@pytest.mark.parametrize("value", ["0", "abc", "1.5", "2048"])
def test_a_bad_photo_size_limit_stops_the_migration(value: str, tmp_path: Path) -> None:
    with pytest.raises(subprocess.CalledProcessError) as failed:
        pb = launch(tmp_path / "pb_data", env={"FIELDSYNC_MAX_PHOTO_MB": value})
        pb.cleanup()  # pragma: no cover - only reached when the bad value is accepted
    assert b"FIELDSYNC_MAX_PHOTO_MB" in failed.value.stderr


def test_backups_are_scheduled_nightly_keeping_seven(superuser: httpx.Client) -> None:
    backups = superuser.get("/api/settings").json()["backups"]
    assert backups["cron"] == "0 3 * * *"
    assert backups["cronMaxKeep"] == 7
