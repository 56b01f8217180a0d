"""The outbox fields push relies on (pb_migrations/1764000200_push.js, pb_hooks/lib/outbox.js):
`actor` (who made the change) and `previous` (what changed fields were), written by real
requests, and the user's `lang`."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from tests.sidecar.push.fixtures import Crew
from tests.support.images import jpeg, photo
from tests.support.photos import events_for, new_job, upload
from tests.support.pocketbase import PocketBaseProcess
from tests.support.push import skip_history
from tests.support.sidecar import SidecarFactory
from tests.support.waiting import wait_for

JOBS = "/api/collections/jobs/records"


def last_event(su: httpx.Client, record: str) -> dict[str, Any]:
    return events_for(su, record)[-1]


def test_actor_is_the_requesting_user(crew: Crew, push_su: httpx.Client) -> None:
    team = crew.team
    job = new_job(team.office, "Actor", assignee=team.field.id)
    created = last_event(push_su, job["id"])
    assert (created["type"], created["actor"], created["previous"]) == (
        "job.created",
        team.office.id,
        None,
    )
    with team.field.client() as client:
        client.patch(f"{JOBS}/{job['id']}", json={"status": "in_progress"}).raise_for_status()
    updated = last_event(push_su, job["id"])
    assert updated["actor"] == team.field.id
    assert updated["previous"] == {"status": "new"}
    assert updated["data"]["status"] == "in_progress"
    with team.admin.client() as client:
        client.delete(f"{JOBS}/{job['id']}").raise_for_status()
    assert last_event(push_su, job["id"])["actor"] == team.admin.id


def test_previous_holds_every_changed_field_and_nothing_else(
    crew: Crew, push_su: httpx.Client
) -> None:
    team = crew.team
    job = new_job(team.office, "Before")
    with team.office.client() as client:
        response = client.patch(
            f"{JOBS}/{job['id']}",
            json={"title": "After", "assignee": team.field.id, "customer": job["customer"]},
        )
    response.raise_for_status()
    assert last_event(push_su, job["id"])["previous"] == {"title": "Before", "assignee": ""}


def test_superuser_changes_have_no_actor_and_nothing_leaks(
    crew: Crew, push_su: httpx.Client
) -> None:
    job = new_job(crew.team.office, "Leak")
    response = push_su.patch(f"{JOBS}/{job['id']}", json={"status": "done"})
    assert not any(key.startswith("@") for key in response.json())
    event = last_event(push_su, job["id"])
    assert event["actor"] == ""
    assert not any(key.startswith("@") for key in event["data"])
    with crew.team.office.client() as client:
        seen = client.get(f"{JOBS}/{job['id']}").json()
    assert not any(key.startswith("@") or key == "actor" for key in seen)


def test_the_sidecars_photo_ready_has_no_actor(
    crew: Crew,
    push_pb: PocketBaseProcess,
    push_su: httpx.Client,
    make_sidecar: SidecarFactory,
) -> None:
    consumer = f"actor-{secrets.token_hex(3)}"
    skip_history(push_su, consumer)
    make_sidecar(push_pb, consumer).start()
    uploaded = upload(
        crew.team.field, new_job(crew.team.office, "Ready")["id"], jpeg(photo(64, 48))
    )
    ready = wait_for(
        lambda: [e for e in events_for(push_su, uploaded["id"]) if e["type"] == "photo.ready"],
        what="photo.ready",
    )[0]
    created = events_for(push_su, uploaded["id"])[0]
    assert (created["type"], created["actor"]) == ("photo.created", crew.team.field.id)
    assert ready["actor"] == ""
    assert ready["previous"]["status"] == "processing"


def test_users_choose_their_language(crew: Crew) -> None:
    member = crew.team.field
    with member.client() as client:
        path = f"/api/collections/users/records/{member.id}"
        assert client.get(path).json()["lang"] == ""
        assert client.patch(path, json={"lang": "en"}).json()["lang"] == "en"
        refused = client.patch(path, json={"lang": "fr"})
        assert refused.status_code == 400
        assert refused.json()["data"]["lang"]["code"] == "validation_invalid_value"
