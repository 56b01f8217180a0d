"""`fieldsync backup create|list|download|restore` through PocketBase's backup API."""

from __future__ import annotations

import json
import secrets
import zipfile
from pathlib import Path

import httpx

from tests.cli.conftest import Cli
from tests.support.pocketbase import PocketBaseProcess
from tests.support.teams import SeededTeam
from tests.support.waiting import wait_for


def login_admin(cli: Cli, pb: PocketBaseProcess) -> None:
    done = cli(
        "login",
        "--url",
        pb.url,
        "--admin",
        "--email",
        pb.superuser_email,
        "--password-stdin",
        input=pb.superuser_password + "\n",
    )
    assert done.returncode == 0, done.stderr


def test_create_list_download(cli: Cli, pocketbase: PocketBaseProcess, tmp_path: Path) -> None:
    login_admin(cli, pocketbase)
    name = f"cli_{secrets.token_hex(4)}.zip"
    made = cli("backup", "create", name, "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["key"] == name

    listed = json.loads(cli("backup", "list", "--json").stdout)
    assert name in [backup["key"] for backup in listed]
    table = cli("backup", "list")
    assert name in table.stdout

    saved = cli("backup", "download", name, "--output", str(tmp_path))
    assert saved.returncode == 0, saved.stderr
    archive = tmp_path / name
    with zipfile.ZipFile(archive) as bundle:
        assert "data.db" in bundle.namelist()
    assert not list(tmp_path.glob("*.part"))

    missing = cli("backup", "download", "no_such_backup.zip", "-o", str(tmp_path / "x.zip"))
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    assert not (tmp_path / "x.zip").exists() and not list(tmp_path.glob("*.part"))


def test_backups_need_a_superuser(cli: Cli, team: SeededTeam) -> None:
    cli.login(team.admin)
    refused = cli("backup", "list")
    assert refused.returncode == 1
    assert "superuser" in refused.stderr and refused.stderr.count("\n") == 1


def test_restore_brings_the_old_data_back(cli: Cli, fresh_pocketbase: PocketBaseProcess) -> None:
    pb = fresh_pocketbase
    cli.url = pb.url
    login_admin(cli, pb)
    with pb.superuser_client() as su:
        su.post("/api/collections/teams/records", json={"name": "Before"}).raise_for_status()
        assert cli("backup", "create", "before.zip").returncode == 0
        su.post("/api/collections/teams/records", json={"name": "After"}).raise_for_status()

    unconfirmed = cli("backup", "restore", "before.zip", input="n\n")
    assert unconfirmed.returncode == 1

    done = cli("backup", "restore", "before.zip", "--yes")
    assert done.returncode == 0, done.stderr

    def names() -> list[str] | None:
        try:
            with pb.superuser_client() as su:
                items = su.get("/api/collections/teams/records").json()["items"]
        except (httpx.HTTPError, KeyError, ValueError):
            return None
        return sorted(item["name"] for item in items)

    wait_for(lambda: names() == ["Before"], timeout=60, what="the restored data")
