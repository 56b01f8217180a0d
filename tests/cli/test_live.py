"""`fieldsync tail` and `pull --follow` against the real sidecar's hub: live, then reconnecting
with Last-Event-ID (and a REST catch-up for pull) after the sidecar was down."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, TypedDict

from tests.cli.conftest import Cli, PhotoMaker
from tests.cli.test_pull import sha, upload, visible_files
from tests.cli.test_upload import new_job
from tests.support.pocketbase import PocketBaseProcess
from tests.support.sidecar import SidecarFactory
from tests.support.teams import SeededTeam
from tests.support.waiting import wait_for


class TailLine(TypedDict):
    """One line of `fieldsync tail --json`: a hub event."""

    id: str
    type: str
    data: Any


def events(stdout: str) -> list[TailLine]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_tail_follows_and_resumes_after_the_hub_was_down(
    office: Cli,
    team: SeededTeam,
    pocketbase: PocketBaseProcess,
    make_sidecar: SidecarFactory,
    tmp_path: Path,
) -> None:
    sidecar = make_sidecar(pocketbase)
    # Started before the hub is up: it waits with backoff, then connects.
    tail = office.popen("tail", "--json", "--hub-url", sidecar.url, logs=tmp_path / "tail")
    try:
        wait_for(lambda: "reconnecting in" in tail.stderr, timeout=30, what="a retry notice")
        sidecar.start()
        wait_for(lambda: "hub: connected" in tail.stderr, timeout=60, what="tail to connect")

        live = new_job(office, "Seen live")
        wait_for(
            lambda: any(e["data"]["record"]["id"] == live for e in events(tail.stdout)),
            timeout=30,
            what="the live job.created",
        )

        sidecar.stop()
        missed = new_job(office, "Made while the hub was down")
        sidecar.start()
        wait_for(
            lambda: any(e["data"]["record"]["id"] == missed for e in events(tail.stdout)),
            timeout=60,
            what="the missed job.created after the reconnect",
        )
        assert "hub: reconnected after" in tail.stderr
    finally:
        code = tail.stop()
    assert code == 130
    seen = events(tail.stdout)
    ids = [int(e["id"]) for e in seen]
    assert ids == sorted(set(ids))  # in order, none twice
    assert {e["type"] for e in seen} <= {"job.created", "job.updated"}
    assert {e["data"]["team"] for e in seen} == {team.id}
    assert "Traceback" not in tail.stderr


def test_pull_follow_downloads_live_moves_deletions_and_catches_up(
    office: Cli,
    team: SeededTeam,
    pocketbase: PocketBaseProcess,
    make_sidecar: SidecarFactory,
    make_photo: PhotoMaker,
    tmp_path: Path,
) -> None:
    sidecar = make_sidecar(pocketbase)
    sidecar.start()
    job = new_job(office, "Live job")
    before = make_photo("before.jpg")
    upload(office, job, before)

    target = tmp_path / "office"
    follow = office.popen(
        "pull", str(target), "--follow", "--hub-url", sidecar.url, logs=tmp_path / "follow"
    )
    try:
        wait_for(
            lambda: [sha(p) for p in visible_files(target)] == [sha(before)],
            timeout=60,
            what="the first pull",
        )

        live = make_photo("live.jpg")
        upload(office, job, live)
        wait_for(
            lambda: sha(live) in {sha(p) for p in visible_files(target)},
            timeout=30,
            what="the live photo",
        )

        state = json.loads((target / ".fieldsync" / "pull.json").read_text())
        first = next(pid for pid, p in state["photos"].items() if p["sha256"] == sha(before))
        with team.office.client() as client:
            client.delete(f"/api/collections/photos/records/{first}").raise_for_status()
        wait_for(
            lambda: (target / ".deleted").exists() and any((target / ".deleted").rglob("*.jpg")),
            timeout=30,
            what="the deleted photo to move to .deleted",
        )

        sidecar.stop()
        missed = make_photo("missed.jpg")
        upload(office, job, missed)
        sidecar.start()
        wait_for(
            lambda: sha(missed) in {sha(p) for p in visible_files(target)},
            timeout=60,
            what="the photo uploaded while the hub was down",
        )
    finally:
        code = follow.stop()
    assert code == 130
    assert sorted(sha(p) for p in visible_files(target)) == sorted([sha(live), sha(missed)])
    assert list((target / ".fieldsync" / "partial").iterdir()) == []
    assert "Traceback" not in follow.stderr


def test_tail_renews_the_hub_token_before_it_expires(
    office: Cli, pocketbase: PocketBaseProcess, make_sidecar: SidecarFactory, tmp_path: Path
) -> None:
    sidecar = make_sidecar(pocketbase, FIELDSYNC_HUB_TOKEN_TTL_S="60")  # the shortest allowed
    sidecar.start()
    tail = office.popen("tail", "--json", "--hub-url", sidecar.url, logs=tmp_path / "tail")
    try:
        wait_for(lambda: "hub: connected" in tail.stderr, timeout=60, what="tail to connect")
        connected = time.monotonic()
        # Renewed halfway through the token's life, well before the hub would close at 60 s.
        wait_for(lambda: "hub: reconnected" in tail.stderr, timeout=45, what="a renewal")
        assert time.monotonic() - connected < 50
        job = new_job(office, "After the renewal")
        wait_for(
            lambda: any(e["data"]["record"]["id"] == job for e in events(tail.stdout)),
            timeout=30,
            what="an event on the renewed stream",
        )
    finally:
        tail.stop()
    assert "reconnecting in" not in tail.stderr  # renewed, never refused or dropped
