"""`fieldsync upload`: every file once, re-runs report "already uploaded", failures summed up."""

from __future__ import annotations

import hashlib
import json
import signal
from pathlib import Path
from typing import Any

import httpx

from tests.cli.conftest import Cli, PhotoMaker
from tests.support.teams import SeededTeam
from tests.support.waiting import wait_for


def photos_of(superuser: httpx.Client, job: str) -> list[dict[str, Any]]:
    response = superuser.get(
        "/api/collections/photos/records", params={"filter": f'job = "{job}"', "perPage": 500}
    )
    response.raise_for_status()
    return list(response.json()["items"])


def new_job(cli: Cli, title: str) -> str:
    done = cli("jobs", "create", title, "--json")
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout)["id"])


def test_upload_then_rerun_sends_nothing_again(
    office: Cli, team: SeededTeam, superuser: httpx.Client, make_photo: PhotoMaker
) -> None:
    job = new_job(office, "Tyre swap")
    files = [make_photo(f"wheel-{n}.jpg") for n in range(5)]
    done = office(
        "upload", *map(str, files), "--job", job, "--parallel", "3", "--caption", "before"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("uploaded ") == 5 and "already" not in done.stdout
    stored = photos_of(superuser, job)
    assert sorted(p["sha256"] for p in stored) == sorted(
        hashlib.sha256(f.read_bytes()).hexdigest() for f in files
    )
    assert {p["caption"] for p in stored} == {"before"}

    again = office("upload", *map(str, files), "--job", "Tyre swap")
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("already uploaded") == 5
    assert "0 uploaded, 5 already uploaded, 0 failed" in again.stderr
    assert len(photos_of(superuser, job)) == 5


def test_missing_file_is_one_line_and_sends_nothing(
    office: Cli, superuser: httpx.Client, make_photo: PhotoMaker
) -> None:
    job = new_job(office, "Missing")
    real = make_photo("real.jpg")
    done = office("upload", str(real), str(real.with_name("nope.jpg")), "--job", job)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: no such file: {real.with_name('nope.jpg')}"
    ]
    assert photos_of(superuser, job) == []


def test_a_failed_file_is_summed_up_and_the_rest_uploaded(
    office: Cli, superuser: httpx.Client, make_photo: PhotoMaker
) -> None:
    job = new_job(office, "Mixed")
    good = make_photo("good.jpg")
    text = good.with_name("notes.jpg")
    text.write_text("not an image at all")
    done = office("upload", str(good), str(text), "--job", job)
    assert done.returncode == 1
    assert "failed" in done.stdout and "notes.jpg" in done.stdout
    assert "1 of 2 files failed" in done.stderr
    assert [p["sha256"] for p in photos_of(superuser, job)] == [
        hashlib.sha256(good.read_bytes()).hexdigest()
    ]


def test_unknown_job_is_one_line(office: Cli, make_photo: PhotoMaker) -> None:
    done = office("upload", str(make_photo("x.jpg")), "--job", "no such job")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "no job 'no such job'" in done.stderr


def test_interrupted_upload_is_safe_to_rerun(
    office: Cli, superuser: httpx.Client, make_photo: PhotoMaker, tmp_path: Path
) -> None:
    job = new_job(office, "Interrupted")
    files = [make_photo(f"batch-{n}.jpg", size=1_000_000) for n in range(24)]
    running = office.popen(
        "upload", *map(str, files), "--job", job, "--parallel", "2", logs=tmp_path / "run1"
    )
    wait_for(lambda: "uploaded" in running.stdout, timeout=60, what="the first upload")
    assert running.stop(signal.SIGINT) == 130
    assert "Traceback" not in running.stderr
    first = running.stdout.count("uploaded ")
    assert 0 < first < len(files)

    again = office("upload", *map(str, files), "--job", job, "--parallel", "4")
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("already uploaded") >= first
    stored = photos_of(superuser, job)
    assert sorted(str(p["sha256"]) for p in stored) == sorted(
        hashlib.sha256(f.read_bytes()).hexdigest() for f in files
    )
