"""`fieldsync pull`: byte-identical files, safe names, resume after a kill, deletions kept."""

from __future__ import annotations

import hashlib
import json
import os
import signal
from pathlib import Path

from tests.cli.conftest import Cli, PhotoMaker
from tests.cli.test_upload import new_job
from tests.support.teams import SeededTeam
from tests.support.waiting import wait_for


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def visible_files(root: Path) -> list[Path]:
    """Files a person sees in DIR (not the state dir, not .deleted)."""
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and not path.relative_to(root).parts[0].startswith(".")
    )


def upload(cli: Cli, job: str, *files: Path) -> None:
    done = cli("upload", *map(str, files), "--job", job)
    assert done.returncode == 0, done.stderr


def test_upload_then_pull_is_byte_identical_and_rerun_downloads_nothing(
    office: Cli, make_photo: PhotoMaker, tmp_path: Path
) -> None:
    first, second = new_job(office, "Front wheel"), new_job(office, "Rear wheel")
    front = [make_photo(f"front-{n}.jpg", size=300_000) for n in range(3)]
    rear = [make_photo("rear.jpg", size=300_000)]
    upload(office, first, *front)
    upload(office, second, *rear)

    target = tmp_path / "office"
    done = office("pull", str(target))
    assert done.returncode == 0, done.stderr
    assert "4 downloaded" in done.stderr
    by_folder: dict[str, list[str]] = {path.parent.name: [] for path in visible_files(target)}
    for path in visible_files(target):
        by_folder[path.parent.name].append(sha(path))
    assert sorted(by_folder) == [f"Front wheel-{first}", f"Rear wheel-{second}"]
    assert sorted(by_folder[f"Front wheel-{first}"]) == sorted(sha(p) for p in front)
    assert by_folder[f"Rear wheel-{second}"] == [sha(rear[0])]
    assert list((target / ".fieldsync" / "partial").iterdir()) == []

    again = office("pull", str(target))
    assert again.returncode == 0, again.stderr
    assert "0 downloaded, 4 already here" in again.stderr and again.stdout == ""

    only = office("pull", str(tmp_path / "front-only"), "--job", "Front wheel")
    assert only.returncode == 0, only.stderr
    assert len(visible_files(tmp_path / "front-only")) == 3


def test_hostile_titles_land_safely_inside_dir(
    office: Cli, team: SeededTeam, make_photo: PhotoMaker, tmp_path: Path
) -> None:
    titles = ["../../etc", "CON", "nul.txt", 'a/b\\c:d*?"<>|', " . "]
    jobs = {title: new_job(office, title) for title in titles}
    for title, job in jobs.items():
        upload(office, job, make_photo(f"{len(title)}.jpg"))

    target = tmp_path / "deep" / "office"
    done = office("pull", str(target))
    assert done.returncode == 0, done.stderr
    files = visible_files(target)
    assert len(files) == len(titles)
    for path in files:
        assert path.resolve().parent.parent == target.resolve()
    folders = {path.parent.name for path in files}
    assert folders == {
        f"_.._etc-{jobs['../../etc']}",
        f"_CON-{jobs['CON']}",
        f"_nul.txt-{jobs['nul.txt']}",
        f"a_b_c_d______-{jobs[titles[3]]}",
        f"job-{jobs[' . ']}",
    }
    assert not (tmp_path / "etc").exists() and not (tmp_path / "deep" / "etc").exists()


def test_deleted_photos_move_to_dot_deleted(
    office: Cli, team: SeededTeam, make_photo: PhotoMaker, tmp_path: Path
) -> None:
    job = new_job(office, "Cleanup")
    keep, drop = make_photo("keep.jpg"), make_photo("drop.jpg")
    upload(office, job, keep, drop)
    target = tmp_path / "office"
    assert office("pull", str(target)).returncode == 0

    state = json.loads((target / ".fieldsync" / "pull.json").read_text())
    dropped = next(pid for pid, p in state["photos"].items() if p["sha256"] == sha(drop))
    with team.office.client() as client:
        client.delete(f"/api/collections/photos/records/{dropped}").raise_for_status()

    done = office("pull", str(target))
    assert done.returncode == 0, done.stderr
    assert "1 moved to .deleted/" in done.stderr
    assert [sha(p) for p in visible_files(target)] == [sha(keep)]
    kept = [p for p in (target / ".deleted").rglob("*") if p.is_file()]
    assert [sha(p) for p in kept] == [sha(drop)]


def test_killed_pull_resumes_without_partial_files(
    office: Cli, make_photo: PhotoMaker, tmp_path: Path
) -> None:
    job = new_job(office, "Big batch")
    photos = [make_photo(f"big-{n}.jpg", size=2_000_000) for n in range(40)]
    done = office("upload", *map(str, photos), "--job", job, "--parallel", "4", timeout=300)
    assert done.returncode == 0, done.stderr

    target = tmp_path / "office"
    partial = target / ".fieldsync" / "partial"
    running = office.popen("pull", str(target), "--parallel", "1", logs=tmp_path / "run1")

    def mid_download() -> bool:
        try:
            return len(visible_files(target)) >= 3 and any(partial.iterdir())
        except OSError:
            return False

    wait_for(mid_download, timeout=60, interval=0.002, what="a pull in the middle of a download")
    running.process.send_signal(signal.SIGKILL)
    running.process.wait(timeout=10)

    expected = {sha(p) for p in photos}
    survivors = visible_files(target)
    assert 3 <= len(survivors) < len(photos)
    assert all(sha(p) in expected for p in survivors)  # no visible file is partial
    inodes = {p: os.stat(p).st_ino for p in survivors}

    resumed = office("pull", str(target), timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.count("downloaded ") <= len(photos) - len(survivors)
    assert sorted(sha(p) for p in visible_files(target)) == sorted(expected)
    assert {p: os.stat(p).st_ino for p in survivors} == inodes  # not fetched again
    assert list(partial.iterdir()) == []


def test_files_changed_or_put_here_by_people_are_never_overwritten(
    office: Cli, make_photo: PhotoMaker, tmp_path: Path
) -> None:
    job = new_job(office, "Hands off")
    photo = make_photo("mine.jpg")
    upload(office, job, photo)
    target = tmp_path / "office"
    assert office("pull", str(target)).returncode == 0
    [pulled] = visible_files(target)

    pulled.write_bytes(b"edited on the PC")  # the PC's copy wins
    assert office("pull", str(target)).returncode == 0
    assert pulled.read_bytes() == b"edited on the PC"

    (target / ".fieldsync" / "pull.json").unlink()  # state lost: the name is taken by a stranger
    again = office("pull", str(target))
    assert again.returncode == 0, again.stderr
    assert pulled.read_bytes() == b"edited on the PC"
    [other] = [p for p in visible_files(target) if p != pulled]
    assert sha(other) == sha(photo) and other.parent == pulled.parent

    (target / ".fieldsync" / "pull.json").unlink()  # lost again: identical files are adopted
    adopted = office("pull", str(target))
    assert adopted.returncode == 0 and "0 downloaded" in adopted.stderr
