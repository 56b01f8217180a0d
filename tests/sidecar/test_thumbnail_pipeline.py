"""Photos uploaded through PocketBase get thumbnails from the real sidecar process."""

from __future__ import annotations

import json
import re
from functools import partial
from io import BytesIO
from typing import Any

import httpx
import pillow_heif
import pytest
from PIL import Image

from tests.support.images import exif, jpeg, photo
from tests.support.photos import get_photo, new_job, read_file, upload
from tests.support.pocketbase import PocketBaseProcess
from tests.support.sidecar import SidecarFactory, SidecarProcess
from tests.support.teams import SeededTeam
from tests.support.waiting import wait_for


@pytest.fixture
def sidecar(pocketbase: PocketBaseProcess, make_sidecar: SidecarFactory) -> SidecarProcess:
    sidecar = make_sidecar(pocketbase)
    sidecar.start()
    return sidecar


def finished(su: httpx.Client, photo_id: str) -> dict[str, Any]:
    """The photo record once processed; while processing, an empty (falsy) dict."""
    record = get_photo(su, photo_id)
    return record if record["status"] != "processing" else {}


def marked(width: int, height: int, seed: int) -> Image.Image:
    """A photo with a red top-left corner, to check orientation after rotation."""
    image = photo(width, height, seed=seed, noise=4)
    image.paste((255, 0, 0), (0, 0, width // 4, height // 4))
    return image


@pytest.mark.parametrize(
    ("orientation", "corner"),
    [(1, (0, 0)), (3, (1, 1)), (6, (1, 0)), (8, (0, 1))],
)
def test_jpeg_oriented_sized_and_stripped(
    sidecar: SidecarProcess,
    superuser: httpx.Client,
    team_a: SeededTeam,
    orientation: int,
    corner: tuple[int, int],
) -> None:
    job = new_job(team_a.office)
    data = jpeg(
        marked(1600, 1200, seed=orientation),
        exif=exif(orientation=orientation, taken="2026:05:04 09:08:07", offset="+09:00", gps=True),
    )
    created = upload(team_a.field, job["id"], data)

    done = wait_for(lambda: finished(superuser, created["id"]), what="thumbnail")
    assert done["status"] == "ready", done["error"]
    rotated = orientation in (6, 8)
    assert (done["width"], done["height"]) == ((1200, 1600) if rotated else (1600, 1200))
    assert done["taken_at"] == "2026-05-04 00:08:07.000Z"

    thumb = Image.open(BytesIO(read_file(superuser, done, "thumb")))
    assert thumb.format == "WEBP"
    assert max(thumb.size) == 480
    assert thumb.size == ((360, 480) if rotated else (480, 360))
    assert not thumb.getexif() and "exif" not in thumb.info and "xmp" not in thumb.info
    x = 5 if corner[0] == 0 else thumb.width - 6
    y = 5 if corner[1] == 0 else thumb.height - 6
    r, g, b = thumb.convert("RGB").getpixel((x, y))  # type: ignore[misc]
    assert r > 200 and g < 60 and b < 60, f"red corner expected at {corner}"


def test_png_and_heic(sidecar: SidecarProcess, superuser: httpx.Client, team_a: SeededTeam) -> None:
    job = new_job(team_a.office)
    png = BytesIO()
    Image.new("RGBA", (900, 300), (0, 128, 255, 128)).save(png, "PNG")
    heic = BytesIO()
    pillow_heif.from_pillow(photo(1200, 900, seed=7, noise=4)).save(heic, quality=70)

    first = upload(team_a.field, job["id"], png.getvalue(), name="a.png", mime="image/png")
    second = upload(team_a.field, job["id"], heic.getvalue(), name="b.heic", mime="image/heic")

    for created, size, thumb_size in (
        (first, (900, 300), (480, 160)),
        (second, (1200, 900), (480, 360)),
    ):
        done = wait_for(partial(finished, superuser, created["id"]), what="thumbnail")
        assert done["status"] == "ready", done["error"]
        assert (done["width"], done["height"]) == size
        assert Image.open(BytesIO(read_file(superuser, done, "thumb"))).size == thumb_size


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 40, "corrupt"),
        (jpeg(photo(800, 600, seed=3))[:4000], "truncated"),
    ],
    ids=["garbage", "truncated"],
)
def test_bad_files_fail_readably_and_service_stays_healthy(
    sidecar: SidecarProcess, superuser: httpx.Client, team_a: SeededTeam, data: bytes, message: str
) -> None:
    job = new_job(team_a.office)
    created = upload(team_a.field, job["id"], data)

    done = wait_for(lambda: finished(superuser, created["id"]), what="failure")
    assert done["status"] == "failed"
    assert message in done["error"]
    assert not done["thumb"]
    assert read_file(superuser, done, "file") == data, "the original is kept"
    assert sidecar.health()["status"] == "ok"
    good = upload(team_a.field, job["id"], jpeg(photo(640, 480, seed=99)))
    assert wait_for(lambda: finished(superuser, good["id"]))["status"] == "ready"


def test_decompression_bomb_fails(
    sidecar: SidecarProcess, superuser: httpx.Client, team_a: SeededTeam
) -> None:
    job = new_job(team_a.office)
    bomb = BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, "PNG")  # 400 MP in a few KB
    created = upload(team_a.field, job["id"], bomb.getvalue(), name="bomb.png", mime="image/png")

    done = wait_for(lambda: finished(superuser, created["id"]), what="failure")
    assert done["status"] == "failed"
    assert "too large" in done["error"]
    assert sidecar.health()["status"] == "ok"


def test_json_log_line_per_event_and_metrics(
    sidecar: SidecarProcess, superuser: httpx.Client, team_a: SeededTeam
) -> None:
    job = new_job(team_a.office)
    created = upload(team_a.field, job["id"], jpeg(photo(320, 240, seed=11)))
    wait_for(lambda: finished(superuser, created["id"]), what="thumbnail")

    def handled_line() -> dict[str, Any]:
        for line in sidecar.log().splitlines():
            entry = json.loads(line)
            if entry.get("msg") == "event handled" and entry.get("record") == created["id"]:
                return dict(entry)
        return {}

    entry = wait_for(handled_line, what="the log line")
    assert entry["event"] == "photo.created"
    assert isinstance(entry["seq"], int) and isinstance(entry["lag_ms"], float)
    metrics = sidecar.metrics()
    ready = re.search(r'^fieldsync_thumbnails_total\{result="ready"\} (\d+)', metrics, re.M)
    assert ready and int(ready[1]) >= 1
    for name in ("events_handled_total", "lag_seconds", "queue_depth", "events_failed_total"):
        assert f"fieldsync_{name}" in metrics
    assert sidecar.health()["consumer"] == "holder"
