"""Who is told what: the one place that decides it (documented in docs/events.md).

- `photo.created`: the team's office users (roles office and admin): a new photo on the job.
- `job.created` with an assignee, or `job.updated` that changes the assignee: the new
  assignee: the job was assigned to you.
- `job.updated` that changes the status: the team's office users and the job's assignee:
  old -> new status.

- Never a user of another team: only members of the event's team are ever told.
- Never the user who made the change: the event's `actor` (empty when the sidecar or a
  superuser made it) is left out.
- One message per user and change: the new assignee of a job whose status changed at the same
  time is told about the assignment.

The previous values come from the event itself (`previous`, written by the outbox hook), so
nothing here keeps state or does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from fieldsync import Event

from sidecar.push.messages import Kind, Lang, lang_of

OFFICE_ROLES = frozenset({"office", "admin"})


@dataclass(frozen=True, slots=True)
class Change:
    """An outbox event, as far as notifications care."""

    team: str
    job: str
    actor: str
    job_title: str = ""
    """Empty for a photo: the caller looks the job up."""
    photo: bool = False
    """A new photo of the job."""
    assignee: str = ""
    """The job's assignee after the change."""
    assigned: bool = False
    """The assignee is new (set at creation, or changed to someone)."""
    status_before: str = ""
    status_after: str = ""
    """Both set when the change moved the job's status."""

    @property
    def status_changed(self) -> bool:
        return bool(self.status_after) and self.status_before != self.status_after


@dataclass(frozen=True, slots=True)
class Member:
    """A user who may be told, as PocketBase has them."""

    id: str
    team: str
    role: str
    lang: Lang = "ko"


@dataclass(frozen=True, slots=True)
class Notice:
    """Tell `user` about a change, with a message of `kind` in `lang`."""

    user: str
    kind: Kind
    lang: Lang


def change_from_event(event: Event) -> Change | None:
    """The change an event describes, or None when nobody is told about this kind of event."""
    data = event.data if isinstance(event.data, dict) else {}
    actor = str(getattr(event, "actor", "") or "")
    if event.type == "photo.created":
        job = _text(data, "job")
        return Change(team=event.team, job=job, actor=actor, photo=True) if job else None
    if event.type not in ("job.created", "job.updated"):
        return None
    previous = getattr(event, "previous", None)
    previous = previous if isinstance(previous, dict) else {}
    assignee = _text(data, "assignee")
    if event.type == "job.created":
        assigned, before, after = bool(assignee), "", ""
    else:
        assigned = bool(assignee) and "assignee" in previous
        before = _text(previous, "status") if "status" in previous else ""
        after = _text(data, "status") if "status" in previous else ""
    change = Change(
        team=event.team,
        job=event.record,
        actor=actor,
        job_title=_text(data, "title"),
        assignee=assignee,
        assigned=assigned,
        status_before=before,
        status_after=after,
    )
    return change if change.assigned or change.status_changed else None


def interested_roles(change: Change) -> frozenset[str]:
    """Roles of the team whose members may be told (besides the assignee)."""
    return OFFICE_ROLES if change.photo or change.status_changed else frozenset()


def notices(change: Change, members: list[Member]) -> list[Notice]:
    """Who of `members` is told about `change`, and what (see the table above)."""
    team = {member.id: member for member in members if member.team == change.team}
    office = [member.id for member in team.values() if member.role in OFFICE_ROLES]
    told: dict[str, Kind] = {}
    if change.photo:
        told.update(dict.fromkeys(office, Kind.PHOTO))
    if change.status_changed:
        told.update(dict.fromkeys(office, Kind.STATUS))
        if change.assignee:
            told[change.assignee] = Kind.STATUS
    if change.assigned:
        told[change.assignee] = Kind.ASSIGNED
    told.pop(change.actor, None)
    return [Notice(user, kind, team[user].lang) for user, kind in told.items() if user in team]


def member_from_user(user: dict[str, object]) -> Member:
    """A `Member` from a users record (as PocketBase returns it)."""
    return Member(
        id=str(user.get("id") or ""),
        team=str(user.get("team") or ""),
        role=str(user.get("role") or ""),
        lang=lang_of(user.get("lang")),
    )


def _text(data: dict[str, object], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""
