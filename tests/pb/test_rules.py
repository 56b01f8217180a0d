"""API rules for jobs and photos (pb_migrations/1764000000_create_collections.js), each tested
from the refused side beside one allowed request, against the real server. Accounts, push
subscriptions, teams and the superuser-only collections: test_rules_accounts.py.

PocketBase answers: a create refused by its rule → 400 "Failed to create record."; an update,
delete or view whose rule filters the record out → 404; a collection whose rule is null → 403
"Only superusers can perform this action."; a list filters silently (200, fewer items).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.pb.conftest import (
    CREATE_REFUSED,
    JOBS,
    NOT_FOUND,
    PHOTOS,
    PUSH,
    TEAMS,
    USERS,
    MakeJob,
    MakePhoto,
    Records,
    assert_pb_error,
    ids,
    jpeg_bytes,
    post_photo,
    unique,
    webp_bytes,
)
from tests.support.teams import SeededTeam

# --- jobs and photos across teams ------------------------------------------------------------


def test_other_teams_jobs_and_photos_are_invisible(
    team_a: SeededTeam,
    office_a: httpx.Client,
    office_b: httpx.Client,
    make_job: MakeJob,
    make_photo: MakePhoto,
) -> None:
    job = make_job(team_a.id)
    photo = make_photo(team_a.id, job["id"])

    # allowed: the own team sees both
    assert job["id"] in ids(office_a.get(JOBS, params={"filter": f'id = "{job["id"]}"'}))
    assert office_a.get(f"{JOBS}/{job['id']}").status_code == 200
    assert office_a.get(f"{PHOTOS}/{photo['id']}").status_code == 200

    # refused: the other team's list holds none of them, a view is "not found"
    assert ids(office_b.get(JOBS, params={"filter": f'id = "{job["id"]}"'})) == set()
    assert ids(office_b.get(PHOTOS, params={"filter": f'id = "{photo["id"]}"'})) == set()
    listed = office_b.get(JOBS, params={"perPage": 500}).json()["items"]
    assert all(item["team"] != team_a.id for item in listed)
    assert_pb_error(office_b.get(f"{JOBS}/{job['id']}"), 404, NOT_FOUND)
    assert_pb_error(office_b.get(f"{PHOTOS}/{photo['id']}"), 404, NOT_FOUND)
    # nor through a filter on the other team's id
    assert ids(office_b.get(JOBS, params={"filter": f'team = "{team_a.id}"'})) == set()


def test_create_job_for_another_team_is_refused(
    team_a: SeededTeam, team_b: SeededTeam, office_a: httpx.Client, records: Records
) -> None:
    title = unique("cross-team")
    assert_pb_error(
        office_a.post(JOBS, json={"team": team_b.id, "title": title}), 400, CREATE_REFUSED
    )
    assert records.count("jobs", f'title = "{title}"') == 0
    # allowed: the own team
    assert office_a.post(JOBS, json={"team": team_a.id, "title": title}).status_code == 200
    assert records.count("jobs", f'title = "{title}"') == 1


def test_update_and_delete_another_teams_job_is_not_found(
    team_a: SeededTeam, office_b: httpx.Client, make_job: MakeJob, records: Records
) -> None:
    job = make_job(team_a.id)
    assert_pb_error(office_b.patch(f"{JOBS}/{job['id']}", json={"title": "mine"}), 404, NOT_FOUND)
    assert_pb_error(office_b.delete(f"{JOBS}/{job['id']}"), 404, NOT_FOUND)
    assert records.get("jobs", job["id"]) == job


def test_photo_for_another_team_is_refused(
    team_a: SeededTeam,
    team_b: SeededTeam,
    field_a: httpx.Client,
    field_b: httpx.Client,
    make_job: MakeJob,
    records: Records,
) -> None:
    job_a = make_job(team_a.id)
    content = jpeg_bytes()
    # team and job both the other team's
    assert_pb_error(post_photo(field_b, team_a.id, job_a["id"], content), 400, CREATE_REFUSED)
    # own team, but the other team's job
    assert_pb_error(post_photo(field_b, team_b.id, job_a["id"], content), 400, CREATE_REFUSED)
    assert records.count("photos", f'job = "{job_a["id"]}"') == 0
    # allowed: own team, own job
    assert post_photo(field_a, team_a.id, job_a["id"], content).status_code == 200
    assert records.count("photos", f'job = "{job_a["id"]}"') == 1


def test_anonymous_sees_nothing_and_creates_nothing(
    team_a: SeededTeam,
    anonymous: httpx.Client,
    make_job: MakeJob,
    make_photo: MakePhoto,
    records: Records,
) -> None:
    job = make_job(team_a.id)
    make_photo(team_a.id, job["id"])
    for path in (JOBS, PHOTOS, USERS, TEAMS, PUSH):
        response = anonymous.get(path)
        assert response.status_code == 200, (path, response.text)
        assert response.json()["totalItems"] == 0, path
    assert_pb_error(anonymous.get(f"{JOBS}/{job['id']}"), 404, NOT_FOUND)

    title = unique("anonymous")
    assert_pb_error(
        anonymous.post(JOBS, json={"team": team_a.id, "title": title}), 400, CREATE_REFUSED
    )
    assert records.count("jobs", f'title = "{title}"') == 0
    assert_pb_error(post_photo(anonymous, team_a.id, job["id"]), 400, CREATE_REFUSED)
    assert records.count("photos", f'job = "{job["id"]}"') == 1
    assert_pb_error(anonymous.patch(f"{JOBS}/{job['id']}", json={"title": "x"}), 404, NOT_FOUND)
    assert_pb_error(anonymous.delete(f"{JOBS}/{job['id']}"), 404, NOT_FOUND)
    assert records.get("jobs", job["id"]) == job


# --- field workers ---------------------------------------------------------------------------


def test_field_user_cannot_create_jobs(
    team_a: SeededTeam, field_a: httpx.Client, office_a: httpx.Client, records: Records
) -> None:
    title = unique("by-field")
    assert_pb_error(
        field_a.post(JOBS, json={"team": team_a.id, "title": title}), 400, CREATE_REFUSED
    )
    assert records.count("jobs", f'title = "{title}"') == 0
    assert office_a.post(JOBS, json={"team": team_a.id, "title": title}).status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"title": "renamed"},
        {"description": "rewritten"},
        {"customer": "someone else"},
        {"due": "2030-01-01 00:00:00.000Z"},
        {"assignee": ""},
        {"assignee": "OFFICE"},
        {"team": "TEAM_B"},
        {"created_by": "OFFICE"},
    ],
    ids=lambda change: next(iter(change)),
)
@pytest.mark.parametrize("with_status", [False, True], ids=["alone", "with-status"])
def test_field_user_cannot_edit_an_assigned_job(
    change: dict[str, str],
    with_status: bool,
    team_a: SeededTeam,
    team_b: SeededTeam,
    field_a: httpx.Client,
    make_job: MakeJob,
    records: Records,
) -> None:
    job = make_job(team_a.id, assignee=team_a.field.id, description="as planned", customer="ACME")
    replace = {"OFFICE": team_a.office.id, "TEAM_B": team_b.id}
    body: dict[str, Any] = {key: replace.get(value, value) for key, value in change.items()}
    if with_status:
        body["status"] = "in_progress"
    assert_pb_error(field_a.patch(f"{JOBS}/{job['id']}", json=body), 404, NOT_FOUND)
    assert records.get("jobs", job["id"]) == job


def test_field_user_sets_status_only_on_jobs_assigned_to_them(
    team_a: SeededTeam, field_a: httpx.Client, make_job: MakeJob, records: Records
) -> None:
    unassigned = make_job(team_a.id)
    someone_elses = make_job(team_a.id, assignee=team_a.office.id)
    mine = make_job(team_a.id, assignee=team_a.field.id)

    for job in (unassigned, someone_elses):
        response = field_a.patch(f"{JOBS}/{job['id']}", json={"status": "in_progress"})
        assert_pb_error(response, 404, NOT_FOUND)
        assert records.get("jobs", job["id"]) == job

    # never "cancelled", even on their own job
    response = field_a.patch(f"{JOBS}/{mine['id']}", json={"status": "cancelled"})
    assert_pb_error(response, 404, NOT_FOUND)
    assert records.get("jobs", mine["id"]) == mine
    # nor through the select modifier
    response = field_a.patch(f"{JOBS}/{mine['id']}", json={"status+": "cancelled"})
    assert_pb_error(response, 404, NOT_FOUND)
    assert records.get("jobs", mine["id"]) == mine

    # allowed: the status of their own job
    response = field_a.patch(f"{JOBS}/{mine['id']}", json={"status": "in_progress"})
    assert response.status_code == 200, response.text
    assert records.get("jobs", mine["id"])["status"] == "in_progress"  # type: ignore[index]
    response = field_a.patch(f"{JOBS}/{mine['id']}", json={"status": "done"})
    assert response.status_code == 200, response.text


def test_field_user_cannot_delete_jobs(
    team_a: SeededTeam, field_a: httpx.Client, make_job: MakeJob, records: Records
) -> None:
    job = make_job(team_a.id, assignee=team_a.field.id)
    assert_pb_error(field_a.delete(f"{JOBS}/{job['id']}"), 404, NOT_FOUND)
    assert records.get("jobs", job["id"]) == job


# --- office ----------------------------------------------------------------------------------


def test_office_manages_own_teams_jobs(
    team_a: SeededTeam, office_a: httpx.Client, make_job: MakeJob, records: Records
) -> None:
    job = make_job(team_a.id)
    response = office_a.patch(
        f"{JOBS}/{job['id']}",
        json={"title": "re-planned", "assignee": team_a.field.id, "status": "cancelled"},
    )
    assert response.status_code == 200, response.text
    stored = records.get("jobs", job["id"])
    assert stored is not None
    assert (stored["title"], stored["assignee"], stored["status"]) == (
        "re-planned",
        team_a.field.id,
        "cancelled",
    )
    assert office_a.delete(f"{JOBS}/{job['id']}").status_code == 204
    assert records.get("jobs", job["id"]) is None


def test_office_cannot_assign_a_user_of_another_team(
    team_a: SeededTeam,
    team_b: SeededTeam,
    office_a: httpx.Client,
    make_job: MakeJob,
    records: Records,
) -> None:
    title = unique("foreign-assignee")
    response = office_a.post(
        JOBS, json={"team": team_a.id, "title": title, "assignee": team_b.field.id}
    )
    assert_pb_error(response, 400, CREATE_REFUSED)
    assert records.count("jobs", f'title = "{title}"') == 0

    job = make_job(team_a.id)
    response = office_a.patch(f"{JOBS}/{job['id']}", json={"assignee": team_b.field.id})
    assert_pb_error(response, 404, NOT_FOUND)
    assert records.get("jobs", job["id"]) == job
    # allowed: a user of the own team
    response = office_a.patch(f"{JOBS}/{job['id']}", json={"assignee": team_a.field.id})
    assert response.status_code == 200, response.text


def test_office_cannot_move_a_job_to_another_team(
    team_a: SeededTeam,
    team_b: SeededTeam,
    office_a: httpx.Client,
    admin_a: httpx.Client,
    make_job: MakeJob,
    records: Records,
) -> None:
    job = make_job(team_a.id)
    for client in (office_a, admin_a):
        response = client.patch(f"{JOBS}/{job['id']}", json={"team": team_b.id})
        assert_pb_error(response, 404, NOT_FOUND)
    assert records.get("jobs", job["id"]) == job


# --- server-owned fields ---------------------------------------------------------------------


def test_created_by_comes_from_the_auth(
    team_a: SeededTeam, office_a: httpx.Client, make_job: MakeJob, records: Records
) -> None:
    title = unique("spoofed")
    for someone_else in (team_a.admin.id, team_a.field.id):
        response = office_a.post(
            JOBS, json={"team": team_a.id, "title": title, "created_by": someone_else}
        )
        assert_pb_error(response, 400, CREATE_REFUSED)
    assert records.count("jobs", f'title = "{title}"') == 0

    # allowed: left out (or given as oneself) → set from the auth
    response = office_a.post(JOBS, json={"team": team_a.id, "title": title})
    assert response.status_code == 200, response.text
    assert response.json()["created_by"] == team_a.office.id
    job = response.json()

    # and it cannot be changed afterwards
    response = office_a.patch(f"{JOBS}/{job['id']}", json={"created_by": team_a.admin.id})
    assert_pb_error(response, 404, NOT_FOUND)
    assert records.get("jobs", job["id"]) == job


def test_uploaded_by_comes_from_the_auth(
    team_a: SeededTeam,
    field_a: httpx.Client,
    office_a: httpx.Client,
    make_job: MakeJob,
    records: Records,
) -> None:
    job = make_job(team_a.id)
    response = post_photo(field_a, team_a.id, job["id"], uploaded_by=team_a.office.id)
    assert_pb_error(response, 400, CREATE_REFUSED)
    assert records.count("photos", f'job = "{job["id"]}"') == 0

    response = post_photo(field_a, team_a.id, job["id"])
    assert response.status_code == 200, response.text
    photo = response.json()
    assert photo["uploaded_by"] == team_a.field.id

    for client in (field_a, office_a):
        response = client.patch(f"{PHOTOS}/{photo['id']}", json={"uploaded_by": team_a.admin.id})
        assert_pb_error(response, 404, NOT_FOUND)
    assert records.get("photos", photo["id"]) == photo


DERIVED: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    # (name, form fields, files)
    ("status", {"status": "ready"}, {}),
    ("width", {"width": "640"}, {}),
    ("height", {"height": "480"}, {}),
    ("error", {"error": "decoded by the client"}, {}),
    ("thumb", {}, {"thumb": ("thumb.webp", b"WEBP", "image/webp")}),
]


@pytest.mark.parametrize(("name", "fields", "files"), DERIVED, ids=[d[0] for d in DERIVED])
def test_only_a_superuser_writes_derived_photo_fields_on_create(
    name: str,
    fields: dict[str, Any],
    files: dict[str, Any],
    team_a: SeededTeam,
    field_a: httpx.Client,
    office_a: httpx.Client,
    superuser: httpx.Client,
    make_job: MakeJob,
    records: Records,
) -> None:
    job = make_job(team_a.id)
    files = {key: (fn, webp_bytes(), mime) for key, (fn, _, mime) in files.items()}
    for client in (field_a, office_a):
        response = post_photo(client, team_a.id, job["id"], files=files, **fields)
        assert_pb_error(response, 400, CREATE_REFUSED)
    assert records.count("photos", f'job = "{job["id"]}"') == 0
    # allowed: the superuser (the sidecar)
    response = post_photo(superuser, team_a.id, job["id"], files=files, **fields)
    assert response.status_code == 200, response.text
    assert response.json()[name]


UPDATES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    *DERIVED,
    ("width+", {"width+": "5"}, {}),
    ("status-", {"status-": "processing"}, {}),
    ("file", {}, {"file": ("other.jpg", b"JPEG", "image/jpeg")}),
    ("file+", {}, {"file+": ("other.jpg", b"JPEG", "image/jpeg")}),
]


@pytest.mark.parametrize(("name", "fields", "files"), UPDATES, ids=[u[0] for u in UPDATES])
def test_only_a_superuser_writes_derived_photo_fields_on_update(
    name: str,
    fields: dict[str, Any],
    files: dict[str, Any],
    team_a: SeededTeam,
    field_a: httpx.Client,
    office_a: httpx.Client,
    superuser: httpx.Client,
    make_job: MakeJob,
    make_photo: MakePhoto,
    records: Records,
) -> None:
    job = make_job(team_a.id)
    photo = make_photo(team_a.id, job["id"], client=field_a)
    content = {"image/webp": webp_bytes, "image/jpeg": jpeg_bytes}
    files = {key: (fn, content[mime](), mime) for key, (fn, _, mime) in files.items()}
    path = f"{PHOTOS}/{photo['id']}"
    for client in (field_a, office_a):  # the uploader and the office
        response = client.patch(path, data=fields, files=files or None)
        assert_pb_error(response, 404, NOT_FOUND)
    assert records.get("photos", photo["id"]) == photo
    # allowed: the uploader edits the caption; the superuser writes derived fields
    response = field_a.patch(path, json={"caption": "north wall"})
    assert response.status_code == 200, response.text
    if name in {derived[0] for derived in DERIVED}:
        response = superuser.patch(path, data=fields, files=files or None)
        assert response.status_code == 200, response.text


def test_only_uploader_or_office_edits_a_photo(
    team_a: SeededTeam,
    field_a: httpx.Client,
    office_a: httpx.Client,
    superuser: httpx.Client,
    make_job: MakeJob,
    make_photo: MakePhoto,
    records: Records,
) -> None:
    job = make_job(team_a.id)
    photo = make_photo(team_a.id, job["id"], client=office_a)
    path = f"{PHOTOS}/{photo['id']}"
    assert_pb_error(field_a.patch(path, json={"caption": "not mine"}), 404, NOT_FOUND)
    assert_pb_error(field_a.delete(path), 404, NOT_FOUND)
    assert records.get("photos", photo["id"]) == photo
    other_job = make_job(team_a.id)
    response = office_a.patch(path, json={"job": other_job["id"]})
    assert_pb_error(response, 404, NOT_FOUND)
    response = office_a.patch(path, json={"sha256": "0" * 64})
    assert_pb_error(response, 404, NOT_FOUND)
    assert records.get("photos", photo["id"]) == photo
    assert office_a.patch(path, json={"caption": "office"}).status_code == 200
    assert office_a.delete(path).status_code == 204
