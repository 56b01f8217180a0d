"""`fieldsync watch`: each new photo uploaded exactly once, never while it is being written,
and nothing again after a restart."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import httpx

from tests.cli.conftest import Cli, PhotoMaker, jpeg_bytes
from tests.cli.test_upload import new_job, photos_of
from tests.support.waiting import wait_for


def uploads_in(stdout: str, name: str) -> int:
    return sum(1 for line in stdout.splitlines() if line.startswith("uploaded") and name in line)


def test_watch_uploads_each_complete_file_once(
    office: Cli, superuser: httpx.Client, make_photo: PhotoMaker, tmp_path: Path
) -> None:
    job = new_job(office, "Watched")
    folder = tmp_path / "camera"
    early = make_photo("early.jpg", directory=folder)  # there before watch starts
    watch = office.popen(
        "watch", str(folder), "--job", job, "--settle", "1.5", logs=tmp_path / "watch1"
    )
    try:
        wait_for(
            lambda: uploads_in(watch.stdout, "early.jpg") == 1,
            timeout=60,
            what="the file already in the folder",
        )

        quick = make_photo("quick.jpg", directory=folder / "sub")
        (folder / ".hidden.jpg").write_bytes(jpeg_bytes(1))
        (folder / "notes.txt").write_text("not a photo")

        slow_bytes = jpeg_bytes(int(time.time()), 400_000)
        slow = folder / "slow.jpg"
        with slow.open("wb") as out:  # 2 s in all, longer than --settle; short gaps
            step = len(slow_bytes) // 10
            for start in range(0, len(slow_bytes), step):
                out.write(slow_bytes[start : start + step])
                out.flush()
                time.sleep(0.2)
        wait_for(
            lambda: uploads_in(watch.stdout, "slow.jpg") == 1,
            timeout=60,
            what="the slowly written file",
        )
        wait_for(
            lambda: uploads_in(watch.stdout, "quick.jpg") == 1,
            timeout=30,
            what="the file in a subfolder",
        )
    finally:
        assert watch.stop() == 130

    stored = sorted(str(p["sha256"]) for p in photos_of(superuser, job))
    expected = sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in (early, quick, slow))
    assert stored == expected  # nothing partial, nothing hidden, nothing else
    assert watch.stdout.count("uploaded") == 3

    restarted = office.popen(
        "watch", str(folder), "--job", job, "--settle", "1.5", logs=tmp_path / "watch2"
    )
    try:
        wait_for(lambda: "watching" in restarted.stderr, timeout=60, what="the restart")
        late = make_photo("late.jpg", directory=folder)
        wait_for(
            lambda: uploads_in(restarted.stdout, "late.jpg") == 1,
            timeout=60,
            what="a file added after the restart",
        )
    finally:
        assert restarted.stop() == 130
    assert restarted.stdout.count("uploaded") == 1  # the earlier files were not sent again
    assert len(photos_of(superuser, job)) == 4
    assert hashlib.sha256(late.read_bytes()).hexdigest() in {
        p["sha256"] for p in photos_of(superuser, job)
    }


def test_watch_of_a_missing_folder_is_a_usage_error(office: Cli, tmp_path: Path) -> None:
    done = office("watch", str(tmp_path / "nope"), "--job", "x")
    assert done.returncode == 2 and "does not exist" in done.stderr
