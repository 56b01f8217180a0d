"""Two writers changing different fields of one record at once both keep their change.

PocketBase saves whole rows: without care, an update that read the record before another one
committed puts the other's fields back. A phone's caption racing the thumbnailer would leave
the photo `processing` without its thumbnail for good; an office's title edit racing a field
worker's status would undo the status. Each pair below is sent at once, many times over, so a
lost update shows (seen in most runs before the fix: pb_hooks/lib/outbox.js).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.pb.conftest import Record, post_photo, webp_bytes
from tests.support.photos import events_for
from tests.support.teams import SeededTeam

PAIRS = 40
PHOTOS = "/api/collections/photos/records"
JOBS = "/api/collections/jobs/records"

Write = Callable[[], httpx.Response]


def _at_once(pairs: list[tuple[Write, Write]]) -> None:
    """Each pair's two writes sent together (pairs one after another); every write succeeds."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        for first, second in pairs:
            answers = [pool.submit(first), pool.submit(second)]
            for answer in answers:
                response = answer.result()
                assert response.status_code == 200, response.text


def test_a_caption_racing_the_thumbnailer_keeps_both(
    team_a: SeededTeam,
    field_a: httpx.Client,
    superuser: httpx.Client,
    make_job: Callable[..., Record],
) -> None:
    job = make_job(team_a.id)["id"]
    photos = [post_photo(field_a, team_a.id, job).json() for _ in range(PAIRS)]
    thumb = webp_bytes()

    def caption(photo: Record) -> Write:
        return lambda: field_a.patch(f"{PHOTOS}/{photo['id']}", json={"caption": "front left"})

    def finish(photo: Record) -> Write:
        return lambda: superuser.patch(
            f"{PHOTOS}/{photo['id']}",
            data={"status": "ready", "width": "8", "height": "8"},
            files={"thumb": ("thumb.webp", thumb, "image/webp")},
        )

    _at_once([(caption(photo), finish(photo)) for photo in photos])
    for photo in photos:
        stored = superuser.get(f"{PHOTOS}/{photo['id']}").json()
        assert (stored["caption"], stored["status"], stored["width"]) == ("front left", "ready", 8)
        assert stored["thumb"], stored
        file = superuser.get(
            f"/api/files/photos/{photo['id']}/{stored['thumb']}",
            params={"token": superuser.post("/api/files/token").json()["token"]},
        )
        assert file.status_code == 200  # the thumbnail's file is still there
        changes = sorted(
            (event["type"], sorted(event["previous"]))
            for event in events_for(superuser, photo["id"])
            if event["type"] != "photo.created"
        )
        # each event names only its own writer's fields, whichever committed first
        assert changes == [
            ("photo.ready", ["height", "status", "thumb", "width"]),
            ("photo.updated", ["caption"]),
        ]


def test_a_title_edit_racing_a_status_change_keeps_both(
    team_a: SeededTeam,
    office_a: httpx.Client,
    field_a: httpx.Client,
    make_job: Callable[..., Record],
    superuser: httpx.Client,
) -> None:
    jobs = [make_job(team_a.id, assignee=team_a.field.id) for _ in range(PAIRS)]

    def retitle(job: Record) -> Write:
        return lambda: office_a.patch(f"{JOBS}/{job['id']}", json={"title": f"{job['title']}!"})

    def start(job: Record) -> Write:
        return lambda: field_a.patch(f"{JOBS}/{job['id']}", json={"status": "in_progress"})

    _at_once([(retitle(job), start(job)) for job in jobs])
    for job in jobs:
        stored = superuser.get(f"{JOBS}/{job['id']}").json()
        assert (stored["title"], stored["status"]) == (f"{job['title']}!", "in_progress")
        changes = sorted(
            sorted(event["previous"])
            for event in events_for(superuser, job["id"])
            if event["type"] == "job.updated"
        )
        assert changes == [["status"], ["title"]]  # one status change, told once


def test_an_update_racing_a_delete_is_not_found(
    team_a: SeededTeam,
    office_a: httpx.Client,
    superuser: httpx.Client,
    make_job: Callable[..., Record],
) -> None:
    """The update comes first (200) or finds the job gone (404): never a 400 that blames the
    input, and no event for a job that no longer exists."""
    jobs = [make_job(team_a.id) for _ in range(PAIRS)]
    answers: list[int] = []

    def retitle(job: Record) -> Write:
        def write() -> httpx.Response:
            response = office_a.patch(f"{JOBS}/{job['id']}", json={"title": "late"})
            answers.append(response.status_code)
            return httpx.Response(200)

        return write

    def delete(job: Record) -> Write:
        return lambda: httpx.Response(
            200 if office_a.delete(f"{JOBS}/{job['id']}").is_success else 500
        )

    _at_once([(retitle(job), delete(job)) for job in jobs])
    assert set(answers) <= {200, 404}, answers
    for job in jobs:
        assert events_for(superuser, job["id"])[-1]["type"] == "job.deleted"
