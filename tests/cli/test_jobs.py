"""`fieldsync jobs list|create|assign|status`, for people and with --json, and refusals."""

from __future__ import annotations

import json

from tests.cli.conftest import Cli
from tests.support.teams import SeededTeam, make_team


def test_create_assign_status_list(office: Cli, team: SeededTeam) -> None:
    made = office(
        "jobs", "create", "Replace the rim", "--customer", "Ada", "--due", "2026-12-24", "--json"
    )
    assert made.returncode == 0, made.stderr
    job = json.loads(made.stdout)
    assert job["title"] == "Replace the rim" and job["customer"] == "Ada"
    assert job["status"] == "new" and job["due"].startswith("2026-12-24")

    done = office("jobs", "assign", job["id"], team.field.email, "--json")
    assert done.returncode == 0, done.stderr
    assigned = json.loads(done.stdout)
    assert assigned["assignee"] == team.field.id and assigned["status"] == "assigned"

    moved = office("jobs", "status", "Replace the rim", "in_progress", "--json")
    assert moved.returncode == 0, moved.stderr
    assert json.loads(moved.stdout)["status"] == "in_progress"

    listed = json.loads(office("jobs", "list", "--json").stdout)
    assert [item["id"] for item in listed] == [job["id"]]
    assert listed[0]["assignee_email"] in (team.field.email, None)
    assert json.loads(office("jobs", "list", "--status", "done", "--json").stdout) == []

    table = office("jobs", "list")
    assert table.returncode == 0
    assert "Replace the rim" in table.stdout and "in_progress" in table.stdout
    assert table.stderr == ""


def test_create_with_assignee_and_mine(office: Cli, cli: Cli, team: SeededTeam) -> None:
    made = office("jobs", "create", "Balance wheels", "--assign", team.field.email, "--json")
    assert made.returncode == 0, made.stderr
    job = json.loads(made.stdout)
    assert job["status"] == "assigned"
    other = office("jobs", "create", "Someone else's", "--json")
    assert other.returncode == 0

    field = Cli(cli.config_home.parent / "field-config", cli.url)
    field.login(team.field)
    mine = json.loads(field("jobs", "list", "--mine", "--json").stdout)
    assert [item["id"] for item in mine] == [job["id"]]
    # A field worker moves their job on, but cannot create jobs.
    assert field("jobs", "status", job["id"], "done").returncode == 0
    refused = field("jobs", "create", "Not mine to make")
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr


def test_other_teams_are_invisible(office: Cli, superuser: object, team: SeededTeam) -> None:
    stranger = make_team(superuser, "Strangers")  # type: ignore[arg-type]
    made = office("jobs", "create", "Ours", "--json")
    job_id = json.loads(made.stdout)["id"]

    outsider = Cli(office.config_home.parent / "outsider", office.url)
    outsider.login(stranger.office)
    assert json.loads(outsider("jobs", "list", "--json").stdout) == []
    refused = outsider("jobs", "status", job_id, "cancelled")
    assert refused.returncode == 1 and "no job" in refused.stderr
    assigned = office("jobs", "assign", job_id, stranger.field.email)
    assert assigned.returncode == 1 and "no user" in assigned.stderr


def test_bad_input_is_a_usage_error(office: Cli) -> None:
    bad_date = office("jobs", "create", "X", "--due", "24/12/2026")
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr
    bad_status = office("jobs", "status", "whatever", "finished")
    assert bad_status.returncode == 2
    blank = office("jobs", "create", "")
    assert blank.returncode == 1 and "title" in blank.stderr
