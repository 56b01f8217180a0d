"""ThumbnailWorker: real worker processes, concurrent photos, failures that stay contained."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from io import BytesIO
from pathlib import Path
from typing import TypedDict

import pytest
from PIL import Image

from sidecar.thumbs import Thumbnail, ThumbnailError, ThumbnailWorker, WorkerDied
from tests.support.images import encode, exif, jpeg, photo, png_bomb


class Limits(TypedDict):
    """`ThumbnailWorker`'s required settings."""

    long_edge: int
    max_pixels: int
    max_memory_mb: int


LIMITS: Limits = {"long_edge": 480, "max_pixels": 100_000_000, "max_memory_mb": 384}


def heic(width: int, height: int) -> bytes:
    return encode(photo(width, height, noise=4), "HEIF", quality=70)


def listing(root: Path) -> list[str]:
    """Everything under ``root``, spool directory names generalised."""
    return sorted(
        "fieldsync-thumbs-*/" if path.is_dir() else str(path.relative_to(root))
        for path in root.rglob("*")
    )


async def test_photos_render_concurrently_and_a_bad_one_fails_alone(tmp_path: Path) -> None:
    good = [
        jpeg(photo(1600, 1200, seed=i, noise=4), exif=exif(orientation=1 + 5 * (i % 2)))
        for i in range(6)
    ]
    batch = [*good[:3], b"this is not a photo", heic(1200, 900), *good[3:]]

    async with ThumbnailWorker(processes=2, **LIMITS, spool_dir=str(tmp_path)) as worker:
        results = await asyncio.gather(
            *(worker.render(data) for data in batch), return_exceptions=True
        )
        assert listing(tmp_path) == ["fieldsync-thumbs-*/"], "spool files go after each photo"
    assert listing(tmp_path) == [], "the spool goes on close"

    bad = results.pop(3)
    assert isinstance(bad, ThumbnailError)
    assert str(bad) == "not an image (unrecognised format)"
    assert all(isinstance(result, Thumbnail) for result in results), results
    thumbs = [result for result in results if isinstance(result, Thumbnail)]
    assert [(t.width, t.height) for t in thumbs] == [
        (1600, 1200),
        (1200, 1600),
        (1600, 1200),
        (1200, 900),
        (1200, 1600),
        (1600, 1200),
        (1200, 1600),
    ]
    assert [Image.open(BytesIO(t.webp)).size for t in thumbs][:2] == [(480, 360), (360, 480)]
    assert thumbs[3].format == "HEIF"


@pytest.mark.parametrize(
    ("data", "max_pixels", "message"),
    [
        (png_bomb(30000, 30000), 100_000_000, "image too large: more than 100 megapixels"),
        (jpeg(photo(1600, 1200, noise=4)), 1_000_000, "image too large: more than 1 megapixels"),
        (jpeg(photo(3000, 1000, noise=4)), 1_000_000, "image too large: more than 1 megapixels"),
    ],
    ids=["bomb", "pillow-warning-range", "pillow-error-range"],
)
async def test_pixel_limit_holds_in_workers(data: bytes, max_pixels: int, message: str) -> None:
    async with ThumbnailWorker(processes=1, **(LIMITS | {"max_pixels": max_pixels})) as worker:
        with pytest.raises(ThumbnailError) as caught:
            await worker.render(data)

    assert str(caught.value) == message


async def test_a_killed_worker_fails_its_photo_and_the_pool_comes_back() -> None:
    data = jpeg(photo(800, 600, noise=4))
    async with ThumbnailWorker(processes=1, **LIMITS) as worker:
        [child] = multiprocessing.active_children()
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)  # as the kernel's OOM killer would

        with pytest.raises(WorkerDied, match="worker process died"):
            await worker.render(data)
        thumb = await worker.render(data)

    assert (thumb.width, thumb.height) == (800, 600)


async def test_spools_of_dead_sidecars_are_removed_at_start(tmp_path: Path) -> None:
    dead = multiprocessing.get_context("spawn").Process(target=os.getpid)
    dead.start()
    dead.join()
    stale = tmp_path / f"fieldsync-thumbs-{dead.pid}-x1y2z3"
    stale.mkdir()
    (stale / "7.photo").write_bytes(b"left behind")
    running = tmp_path / f"fieldsync-thumbs-{os.getppid()}-a1b2c3"
    running.mkdir()
    unrelated = tmp_path / "fieldsync-thumbs-notes"
    unrelated.mkdir()

    async with ThumbnailWorker(processes=1, **LIMITS, spool_dir=str(tmp_path)):
        assert not stale.exists()
        assert running.exists() and unrelated.exists()


async def test_render_needs_a_started_worker() -> None:
    worker = ThumbnailWorker(processes=1, **LIMITS)
    with pytest.raises(RuntimeError, match="not started"):
        await worker.render(b"")
    await worker.start()
    await worker.close()
    with pytest.raises(RuntimeError, match="not started"):
        await worker.render(b"")
