"""Who is told what (sidecar/push/recipients.py), rule by rule, from outbox events as the hook
writes them."""

from __future__ import annotations

from typing import Any

from fieldsync import Event

from sidecar.push.messages import Kind
from sidecar.push.recipients import Change, Member, change_from_event, notices

TEAM, OTHER = "team00000000001", "team00000000002"
OFFICE = Member("office000000001", TEAM, "office", "en")
ADMIN = Member("admin0000000001", TEAM, "admin")
FIELD = Member("field0000000001", TEAM, "field")
FIELD2 = Member("field0000000002", TEAM, "field")
STRANGER = Member("other0000000001", OTHER, "office")
EVERYONE = [OFFICE, ADMIN, FIELD, FIELD2, STRANGER]
JOB = "job000000000001"


def event(type_: str, data: dict[str, Any], actor: str = "", **fields: Any) -> Event:
    collection = "jobs" if type_.startswith("job.") else "photos"
    record = JOB if collection == "jobs" else "photo0000000001"
    return Event(
        seq=7,
        type=type_,
        collection=collection,
        record=record,
        team=TEAM,
        data={"id": record, "team": TEAM, **data},
        actor=actor,
        **fields,
    )


def told(change: Change | None, members: list[Member] = EVERYONE) -> dict[str, Kind]:
    assert change is not None
    return {notice.user: notice.kind for notice in notices(change, members)}


def test_new_photo_tells_the_office_but_not_the_uploader() -> None:
    change = change_from_event(event("photo.created", {"job": JOB}, actor=FIELD.id))
    assert told(change) == {OFFICE.id: Kind.PHOTO, ADMIN.id: Kind.PHOTO}
    by_office = change_from_event(event("photo.created", {"job": JOB}, actor=OFFICE.id))
    assert told(by_office) == {ADMIN.id: Kind.PHOTO}


def test_a_photo_made_ready_by_the_sidecar_tells_nobody() -> None:
    update = {"job": JOB, "status": "ready"}
    assert (
        change_from_event(event("photo.ready", update, previous={"status": "processing"})) is None
    )
    assert change_from_event(event("photo.updated", {"job": JOB, "caption": "x"})) is None


def test_job_created_with_an_assignee_tells_the_assignee() -> None:
    data = {"title": "Rims", "status": "new", "assignee": FIELD.id}
    assert told(change_from_event(event("job.created", data, actor=OFFICE.id))) == {
        FIELD.id: Kind.ASSIGNED
    }
    unassigned = {"title": "Rims", "status": "new", "assignee": ""}
    assert change_from_event(event("job.created", unassigned, actor=OFFICE.id)) is None


def test_reassignment_tells_only_the_new_assignee() -> None:
    data = {"title": "Rims", "status": "assigned", "assignee": FIELD2.id}
    change = change_from_event(
        event("job.updated", data, actor=OFFICE.id, previous={"assignee": FIELD.id})
    )
    assert told(change) == {FIELD2.id: Kind.ASSIGNED}


def test_unassigning_or_other_edits_tell_nobody() -> None:
    data = {"title": "Rims", "status": "new", "assignee": ""}
    unassigned = event("job.updated", data, actor=OFFICE.id, previous={"assignee": FIELD.id})
    assert change_from_event(unassigned) is None
    retitled = event("job.updated", {**data, "assignee": FIELD.id}, previous={"title": "R"})
    assert change_from_event(retitled) is None


def test_status_change_tells_office_and_assignee_but_not_the_actor() -> None:
    data = {"title": "Rims", "status": "in_progress", "assignee": FIELD.id}
    by_field = change_from_event(
        event("job.updated", data, actor=FIELD.id, previous={"status": "assigned"})
    )
    assert told(by_field) == {OFFICE.id: Kind.STATUS, ADMIN.id: Kind.STATUS}
    assert by_field is not None
    assert (by_field.status_before, by_field.status_after) == ("assigned", "in_progress")
    by_office = change_from_event(
        event("job.updated", data, actor=OFFICE.id, previous={"status": "assigned"})
    )
    assert told(by_office) == {ADMIN.id: Kind.STATUS, FIELD.id: Kind.STATUS}


def test_assigned_and_status_at_once_tells_the_assignee_about_the_assignment() -> None:
    data = {"title": "Rims", "status": "assigned", "assignee": FIELD.id}
    previous = {"status": "new", "assignee": ""}
    change = change_from_event(event("job.updated", data, actor=ADMIN.id, previous=previous))
    assert told(change) == {OFFICE.id: Kind.STATUS, FIELD.id: Kind.ASSIGNED}


def test_a_superuser_change_has_no_actor_to_leave_out() -> None:
    data = {"title": "Rims", "status": "done", "assignee": FIELD.id}
    change = change_from_event(event("job.updated", data, previous={"status": "in_progress"}))
    assert told(change) == {OFFICE.id: Kind.STATUS, ADMIN.id: Kind.STATUS, FIELD.id: Kind.STATUS}


def test_never_a_user_of_another_team() -> None:
    # Even an assignee of another team (only a superuser could set one) is not told.
    data = {"title": "Rims", "status": "done", "assignee": STRANGER.id}
    previous = {"status": "new", "assignee": ""}
    change = change_from_event(event("job.updated", data, previous=previous))
    assert STRANGER.id not in told(change)
    photo = change_from_event(event("photo.created", {"job": JOB}))
    assert STRANGER.id not in told(photo)


def test_language_comes_from_the_member() -> None:
    change = change_from_event(event("photo.created", {"job": JOB}))
    assert change is not None
    langs = {notice.user: notice.lang for notice in notices(change, EVERYONE)}
    assert langs == {OFFICE.id: "en", ADMIN.id: "ko"}
