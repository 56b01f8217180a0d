"""`fieldsync login`, `whoami`, `logout`, and the one-line errors of a bad server or login."""

from __future__ import annotations

import json
import stat

from tests.cli.conftest import Cli
from tests.support.net import free_port
from tests.support.pocketbase import PocketBaseProcess
from tests.support.teams import SeededTeam


def one_red_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_login_whoami_logout(cli: Cli, team: SeededTeam) -> None:
    cli.login(team.field)
    token_file = cli.config_home / "fieldsync" / "login.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    saved = json.loads(token_file.read_text())
    assert saved["url"] == cli.url and saved["superuser"] is False and saved["token"]
    assert team.field.password not in token_file.read_text()

    who = cli("whoami")
    assert who.returncode == 0, who.stderr
    assert team.field.email in who.stdout and "field" in who.stdout and team.name in who.stdout

    as_json = json.loads(cli("whoami", "--json").stdout)
    assert as_json["team"] == team.id and as_json["role"] == "field"

    assert cli("logout").returncode == 0
    assert not token_file.exists()
    after = cli("whoami")
    assert after.returncode == 1
    assert "not logged in" in one_red_line(after.stderr)


def test_superuser_login(cli: Cli, pocketbase: PocketBaseProcess) -> None:
    done = cli(
        "login",
        "--url",
        cli.url,
        "--admin",
        "--email",
        pocketbase.superuser_email,
        "--password-stdin",
        input=pocketbase.superuser_password + "\n",
    )
    assert done.returncode == 0, done.stderr
    assert "superuser" in cli("whoami").stdout


def test_an_expired_refresh_is_refused_with_one_line(cli: Cli, team: SeededTeam) -> None:
    cli.login(team.field)
    token_file = cli.config_home / "fieldsync" / "login.json"
    saved = json.loads(token_file.read_text())
    saved["token"] = saved["token"][:-4] + "AAAA"  # a forged signature
    saved["refreshed_at"] = 0  # due for a refresh: the server refuses it
    token_file.write_text(json.dumps(saved))
    done = cli("whoami")
    assert done.returncode == 1
    assert "fieldsync login" in one_red_line(done.stderr)


def test_wrong_password_is_one_line(cli: Cli, team: SeededTeam) -> None:
    done = cli(
        "login",
        "--url",
        cli.url,
        "--email",
        team.field.email,
        "--password-stdin",
        input="not-the-password\n",
    )
    assert done.returncode == 1
    assert "wrong email or password" in one_red_line(done.stderr)
    assert not (cli.config_home / "fieldsync" / "login.json").exists()


def test_unreachable_server_is_one_line(cli: Cli, team: SeededTeam) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    done = cli(
        "login",
        "--url",
        nowhere,
        "--email",
        team.field.email,
        "--password-stdin",
        input=team.field.password + "\n",
    )
    assert done.returncode == 1
    line = one_red_line(done.stderr)
    assert "cannot reach" in line and nowhere in line


def test_not_a_url_is_a_usage_error(cli: Cli) -> None:
    done = cli(
        "login", "--url", "ftp://example", "--email", "a@b.c", "--password-stdin", input="x\n"
    )
    assert done.returncode == 2
    assert "http://" in done.stderr and "Traceback" not in done.stderr


def test_url_from_the_environment(cli: Cli, team: SeededTeam) -> None:
    done = cli(
        "login",
        "--email",
        team.office.email,
        "--password-stdin",
        input=team.office.password + "\n",
        FIELDSYNC_URL=cli.url,
    )
    assert done.returncode == 0, done.stderr
    other = cli("whoami", FIELDSYNC_URL=f"http://127.0.0.1:{free_port()}")
    assert other.returncode == 1
    assert "logged in to" in one_red_line(other.stderr)


def test_debug_shows_the_traceback(cli: Cli) -> None:
    done = cli("whoami", "--debug")
    assert done.returncode == 1
    assert "Traceback" in done.stderr or "CliError" in done.stderr
