"""Storage sweep (pb_hooks/storage.pb.js, lib/storage.js): files no record points to go once
they are older than the grace period; a record's own files and young files stay."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx

from tests.support.images import jpeg, photo
from tests.support.photos import new_job, upload
from tests.support.pocketbase import PocketBaseProcess
from tests.support.teams import SeededTeam

SWEEP = "/api/fieldsync/storage/sweep"
HOUR_AGO = time.time() - 3600


def _stray(folder: Path, name: str, *, old: bool = True) -> Path:
    """A file left in storage as a crash leaves one (old enough to be swept, unless not `old`)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"half an upload")
    if old:
        os.utime(path, (HOUR_AGO, HOUR_AGO))
    return path


def test_files_of_no_record_and_extra_files_go_a_records_own_stay(
    pocketbase: PocketBaseProcess, superuser: httpx.Client, team_a: SeededTeam
) -> None:
    job = new_job(team_a.office)
    kept = upload(team_a.field, job["id"], jpeg(photo(seed=31)))
    storage = pocketbase.data_dir / "storage" / kept["collectionId"]
    own = storage / kept["id"] / kept["file"]
    os.utime(own, (HOUR_AGO, HOUR_AGO))
    of_no_record = _stray(storage / "nosuchrecord123", "a_crash.jpg")
    extra = _stray(storage / kept["id"], "thumb_cut_short.webp")
    young = _stray(storage / "uploadinflight1", "in_flight.jpg", old=False)

    swept = superuser.post(SWEEP, json={"older_than_s": 600})

    assert swept.status_code == 200 and swept.json()["deleted"] >= 2, swept.text
    assert own.exists(), "a record's own file stays"
    assert not of_no_record.exists() and not extra.exists()
    assert young.exists(), "a file younger than the grace period may be an upload in flight"
    young.unlink()


def test_a_restart_sweeps_at_once(fresh_pocketbase: PocketBaseProcess) -> None:
    """Before it takes requests no upload is in flight: a restart after a crash takes even a
    young file of no record away."""
    with fresh_pocketbase.superuser_client() as su:
        photos = su.get("/api/collections/photos").json()["id"]
    stray = _stray(
        fresh_pocketbase.data_dir / "storage" / photos / "crashedupload1", "a.jpg", old=False
    )
    fresh_pocketbase.kill()
    fresh_pocketbase.start()
    assert not stray.exists()
