"""API rules for accounts and admin collections, each from the refused side: users,
push subscriptions, superuser-only collections (events, consumers), teams."""

from __future__ import annotations

import httpx
import pytest

from tests.pb.conftest import (
    CREATE_REFUSED,
    NOT_FOUND,
    PUSH,
    SUPERUSERS_ONLY,
    TEAMS,
    USERS,
    Record,
    Records,
    assert_pb_error,
    ids,
    unique,
)
from tests.support.teams import Member, SeededTeam, make_team, make_user

# --- users -----------------------------------------------------------------------------------


@pytest.fixture
def member_a(superuser: httpx.Client, team_a: SeededTeam) -> Member:
    """A throwaway field user of team A, for tests that try to change a user."""
    return make_user(superuser, team_a.id, "field", unique("member"))


def test_user_cannot_change_own_role_or_team(
    member_a: Member, team_b: SeededTeam, records: Records
) -> None:
    before = records.get("users", member_a.id)
    path = f"{USERS}/{member_a.id}"
    with member_a.client() as me:
        for change in ({"role": "admin"}, {"role": "office"}, {"team": team_b.id}):
            assert_pb_error(me.patch(path, json=change), 404, NOT_FOUND)
        assert records.get("users", member_a.id) == before
        # allowed: the own name
        response = me.patch(path, json={"name": "Renamed Self"})
        assert response.status_code == 200, response.text
    assert records.get("users", member_a.id)["name"] == "Renamed Self"  # type: ignore[index]


def test_users_of_other_teams_are_invisible(
    team_a: SeededTeam, team_b: SeededTeam, field_a: httpx.Client
) -> None:
    listed = field_a.get(USERS, params={"perPage": 500}).json()["items"]
    assert {user["team"] for user in listed} == {team_a.id}
    assert {team_a.field.id, team_a.office.id, team_a.admin.id} <= {u["id"] for u in listed}
    assert_pb_error(field_a.get(f"{USERS}/{team_b.field.id}"), 404, NOT_FOUND)
    assert field_a.get(f"{USERS}/{team_a.office.id}").status_code == 200


def test_only_office_and_admin_see_their_teammates_emails(
    team_a: SeededTeam, field_a: httpx.Client, office_a: httpx.Client, office_b: httpx.Client
) -> None:
    by_office = office_a.get(f"{USERS}/{team_a.field.id}").json()
    assert by_office["email"] == team_a.field.email, "office assigns jobs by email"
    by_field = field_a.get(f"{USERS}/{team_a.office.id}").json()
    assert "email" not in by_field or by_field["email"] == ""
    listed = office_b.get(USERS, params={"perPage": 500}).json()["items"]
    assert team_a.field.email not in {user.get("email") for user in listed}


def _new_user(team: str, role: str = "field") -> dict[str, str]:
    email = f"{unique('new')}@fieldsync.test"
    return {
        "email": email,
        "password": "correct-horse-battery",
        "passwordConfirm": "correct-horse-battery",
        "role": role,
        "team": team,
    }


def test_team_admin_creates_users_only_in_own_team(
    team_a: SeededTeam,
    team_b: SeededTeam,
    admin_a: httpx.Client,
    office_a: httpx.Client,
    field_a: httpx.Client,
    anonymous: httpx.Client,
    records: Records,
) -> None:
    attempts = [
        (admin_a, _new_user(team_b.id)),  # admin, other team
        (office_a, _new_user(team_a.id)),  # not an admin
        (field_a, _new_user(team_a.id)),
        (anonymous, _new_user(team_a.id)),  # no sign-up
    ]
    for client, body in attempts:
        assert_pb_error(client.post(USERS, json=body), 400, CREATE_REFUSED)
        assert records.count("users", f'email = "{body["email"]}"') == 0
    body = _new_user(team_a.id, role="office")
    response = admin_a.post(USERS, json=body)
    assert response.status_code == 200, response.text
    assert (response.json()["team"], response.json()["role"]) == (team_a.id, "office")


def test_team_admin_manages_only_own_team_and_keeps_users_in_it(
    member_a: Member,
    team_b: SeededTeam,
    admin_a: httpx.Client,
    admin_b: httpx.Client,
    records: Records,
) -> None:
    path = f"{USERS}/{member_a.id}"
    before = records.get("users", member_a.id)
    assert_pb_error(admin_b.patch(path, json={"name": "taken over"}), 404, NOT_FOUND)
    assert_pb_error(admin_b.delete(path), 404, NOT_FOUND)
    assert_pb_error(admin_a.patch(path, json={"team": team_b.id}), 404, NOT_FOUND)
    assert records.get("users", member_a.id) == before
    # allowed: the own team's admin
    assert admin_a.patch(path, json={"role": "office"}).status_code == 200
    assert admin_a.delete(path).status_code == 204
    assert records.get("users", member_a.id) is None


# --- push subscriptions ----------------------------------------------------------------------


def _subscription(user: str) -> dict[str, str]:
    return {
        "user": user,
        "endpoint": f"https://fcm.googleapis.com/fcm/send/{unique('ep')}",
        "p256dh": (
            "BGNuwoPTo2IQDH3EdJ3UfSieRHpHEmHtko71fTSDsAGjYQoVebkjQsfmnNN8EaljoLEa4bZlYTQepX2eY2-w6cQ"
        ),
        "auth": "ot5ynwtHMjWYhBFegDH7pg",
    }


def test_push_subscriptions_are_private_to_their_user(
    team_a: SeededTeam,
    field_a: httpx.Client,
    office_a: httpx.Client,
    admin_a: httpx.Client,
    records: Records,
) -> None:
    # refused: creating one for another user
    body = _subscription(team_a.office.id)
    assert_pb_error(field_a.post(PUSH, json=body), 400, CREATE_REFUSED)
    assert records.count("push_subscriptions", f'endpoint = "{body["endpoint"]}"') == 0

    # allowed: one's own
    mine = field_a.post(PUSH, json=_subscription(team_a.field.id))
    assert mine.status_code == 200, mine.text
    theirs = office_a.post(PUSH, json=_subscription(team_a.office.id))
    assert theirs.status_code == 200, theirs.text
    mine_id, theirs_id = mine.json()["id"], theirs.json()["id"]

    assert ids(field_a.get(PUSH, params={"perPage": 500})) == {mine_id}
    assert theirs_id not in ids(admin_a.get(PUSH, params={"perPage": 500}))  # not even an admin
    path = f"{PUSH}/{theirs_id}"
    assert_pb_error(field_a.get(path), 404, NOT_FOUND)
    assert_pb_error(field_a.patch(path, json={"auth": "stolen"}), 404, NOT_FOUND)
    assert_pb_error(field_a.delete(path), 404, NOT_FOUND)
    assert_pb_error(admin_a.delete(path), 404, NOT_FOUND)
    # and one's own cannot be handed to someone else
    response = office_a.patch(path, json={"user": team_a.field.id})
    assert_pb_error(response, 404, NOT_FOUND)
    assert records.get("push_subscriptions", theirs_id) == theirs.json()

    assert field_a.patch(f"{PUSH}/{mine_id}", json={"user_agent": "phone"}).status_code == 200
    assert field_a.delete(f"{PUSH}/{mine_id}").status_code == 204


# --- superuser-only collections --------------------------------------------------------------


@pytest.fixture(scope="module")
def event_and_consumer(superuser: httpx.Client) -> dict[str, Record]:
    event = superuser.post(
        "/api/collections/events/records", json={"type": "test.rules", "team": "none"}
    )
    assert event.status_code == 200, event.text
    lease = superuser.post(
        f"/api/fieldsync/consumers/{unique('rules')}/lease", json={"holder": "rules-test"}
    )
    assert lease.status_code == 200, lease.text
    consumer = superuser.get(
        "/api/collections/consumers/records",
        params={"filter": f'name = "{lease.json()["name"]}"'},
    ).json()["items"][0]
    return {"events": event.json(), "consumers": consumer}


@pytest.mark.parametrize("collection", ["events", "consumers"])
@pytest.mark.parametrize("who", ["field_a", "office_a", "admin_a", "anonymous"])
def test_events_and_consumers_are_superuser_only(
    collection: str,
    who: str,
    event_and_consumer: dict[str, Record],
    superuser: httpx.Client,
    records: Records,
    request: pytest.FixtureRequest,
) -> None:
    client: httpx.Client = request.getfixturevalue(who)
    record = event_and_consumer[collection]
    path = f"/api/collections/{collection}/records"
    count = records.count(collection)
    body = {"type": "forged", "seq": 1} if collection == "events" else {"name": "forged"}

    for response in (
        client.get(path),
        client.get(f"{path}/{record['id']}"),
        client.post(path, json=body),
        client.patch(f"{path}/{record['id']}", json=body),
        client.delete(f"{path}/{record['id']}"),
    ):
        assert_pb_error(response, 403, SUPERUSERS_ONLY)

    assert records.count(collection) == count
    assert records.get(collection, record["id"]) == record
    # allowed: the superuser
    assert superuser.get(f"{path}/{record['id']}").status_code == 200


# --- teams -----------------------------------------------------------------------------------


def test_teams_are_private_and_only_a_superuser_creates_them(
    team_a: SeededTeam,
    team_b: SeededTeam,
    field_a: httpx.Client,
    admin_a: httpx.Client,
    superuser: httpx.Client,
    records: Records,
) -> None:
    assert ids(field_a.get(TEAMS, params={"perPage": 500})) == {team_a.id}
    assert_pb_error(field_a.get(f"{TEAMS}/{team_b.id}"), 404, NOT_FOUND)
    assert field_a.get(f"{TEAMS}/{team_a.id}").status_code == 200

    name = unique("team")
    assert_pb_error(admin_a.post(TEAMS, json={"name": name}), 403, SUPERUSERS_ONLY)
    assert records.count("teams", f'name = "{name}"') == 0
    before = records.get("teams", team_b.id)
    assert_pb_error(admin_a.patch(f"{TEAMS}/{team_b.id}", json={"name": name}), 404, NOT_FOUND)
    assert_pb_error(admin_a.delete(f"{TEAMS}/{team_b.id}"), 403, SUPERUSERS_ONLY)
    assert records.get("teams", team_b.id) == before
    # allowed: the superuser creates one
    assert superuser.post(TEAMS, json={"name": name}).status_code == 200


def test_only_the_team_admin_renames_the_team(superuser: httpx.Client, records: Records) -> None:
    team = make_team(superuser, unique("Team R"))
    before = records.get("teams", team.id)
    for member in (team.field, team.office):
        with member.client() as client:
            response = client.patch(f"{TEAMS}/{team.id}", json={"name": "Mine Now"})
            assert_pb_error(response, 404, NOT_FOUND)
    assert records.get("teams", team.id) == before
    with team.admin.client() as admin:
        assert admin.patch(f"{TEAMS}/{team.id}", json={"name": "Renamed"}).status_code == 200
        assert_pb_error(admin.delete(f"{TEAMS}/{team.id}"), 403, SUPERUSERS_ONLY)
