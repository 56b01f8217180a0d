"""A worker's memory: the largest photos it accepts stay under its limit, larger ones fail
with the reason, and the memory goes back afterwards. Peaks are the worker process's own
(VmHWM in /proc/PID/status)."""

from __future__ import annotations

import multiprocessing
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sidecar.thumbs import ThumbnailError, ThumbnailWorker
from tests.sidecar.thumbs.test_worker import Limits
from tests.support.images import encode, gradient, jpeg, photo, png
from tests.support.processes import peak_rss_kib, rss_kib

ROOT = Path(__file__).resolve().parents[3]
MB = 1 << 20
LIMIT_MB = 384  # the default of FIELDSYNC_THUMB_WORKER_MEMORY_MB
TRIM_MARK = 128 * MB  # a worker holding more after a photo gives the rest back


def limits(max_memory_mb: int) -> Limits:
    return {"long_edge": 480, "max_pixels": 100_000_000, "max_memory_mb": max_memory_mb}


def worker_pid() -> int:
    """The pid of the pool's only worker process."""
    [child] = multiprocessing.active_children()
    assert child.pid is not None
    return child.pid


def data_limit(pid: int) -> int:
    """The soft RLIMIT_DATA of process ``pid``, in bytes."""
    table = Path(f"/proc/{pid}/limits").read_text().splitlines()
    [line] = [line for line in table if line.startswith("Max data size")]
    return int(line.split()[3])


# The largest photo of each kind a worker of LIMIT MB accepts: its estimate within 5 % of
# the budget (LIMIT - 64 MB), or the 100 MP pixel limit reached first (16-bit grey and
# palette PNG, baseline JPEG). Progressive JPEG and HEIC are checked under smaller limits,
# so that the photos are quick to make; docs/thumbnails.md has them at the default.
LARGEST: list[tuple[str, int, Callable[[], bytes]]] = [
    ("png-rgb-64mp", LIMIT_MB, lambda: png(9216, 6912)),
    ("png-rgba-16bit-62mp", LIMIT_MB, lambda: png(9088, 6816, mode="RGBA", bits=16)),
    ("png-grey-16bit-100mp", LIMIT_MB, lambda: png(11520, 8640, mode="L", bits=16)),
    ("png-palette-100mp", LIMIT_MB, lambda: png(11520, 8640, mode="P")),
    ("png-interlaced-64mp", LIMIT_MB, lambda: png(9216, 6912, interlace=True)),
    ("jpeg-baseline-100mp", LIMIT_MB, lambda: jpeg(gradient(11520, 8640))),
    ("webp-16mp", LIMIT_MB, lambda: encode(gradient(4608, 3456), "WEBP", method=0)),
    (
        "jpeg-progressive-27mp",
        160,
        lambda: encode(gradient(6016, 4512), "JPEG", quality=90, progressive=True),
    ),
    ("heic-6mp", 128, lambda: encode(gradient(2880, 2160), "HEIF", quality=30)),
]


@pytest.mark.parametrize(
    ("max_memory_mb", "make"),
    [case[1:] for case in LARGEST],
    ids=[case[0] for case in LARGEST],
)
async def test_the_largest_photos_allowed_stay_under_the_limit(
    max_memory_mb: int, make: Callable[[], bytes]
) -> None:
    data = make()
    async with ThumbnailWorker(processes=1, **limits(max_memory_mb)) as worker:
        thumb = await worker.render(data)
        pid = worker_pid()
        peak, held = peak_rss_kib(pid) * 1024, rss_kib(pid) * 1024

    assert max(thumb.width, thumb.height) >= 2400
    assert peak <= max_memory_mb * MB, f"peak {peak / MB:.0f} MB"
    assert held <= TRIM_MARK, "what the photo needed went back to the system"


@pytest.mark.parametrize(
    ("make", "described"),
    [
        (lambda: png(9472, 7104), "a 9472x7104 PNG"),
        (lambda: png(10000, 10000, mode="RGBA", bits=16), "a 10000x10000 PNG"),
        (lambda: encode(gradient(16383, 6100), "WEBP", method=0), "a 16383x6100 WEBP"),
    ],
    ids=["png-just-past", "png-16bit-100mp", "webp-100mp"],
)
async def test_a_photo_past_the_limit_fails_with_why_and_the_worker_goes_on(
    make: Callable[[], bytes], described: str
) -> None:
    data = make()
    async with ThumbnailWorker(processes=1, **limits(LIMIT_MB)) as worker:
        with pytest.raises(ThumbnailError) as caught:
            await worker.render(data)
        pid = worker_pid()
        peak = peak_rss_kib(pid) * 1024
        thumb = await worker.render(jpeg(photo(1600, 1200, noise=4)))
        assert worker_pid() == pid, "the same worker rendered the next photo"

    assert re.fullmatch(
        rf"image too large: {described} needs about [\d,]+ MB of memory to decode, "
        rf"more than the {LIMIT_MB - 64} MB allowed",
        str(caught.value),
    ), str(caught.value)
    assert peak < 100 * MB, "refused from its header, before decoding"
    assert (thumb.width, thumb.height) == (1600, 1200)


async def test_each_worker_runs_under_its_data_limit() -> None:
    async with ThumbnailWorker(processes=1, **limits(200)):
        soft_limit = data_limit(worker_pid())

    assert soft_limit == 200 * MB


def test_an_allocation_past_the_data_limit_is_a_readable_error() -> None:
    """What the worker's data limit does to a photo the estimate let through."""
    code = (
        "import resource\n"
        "from sidecar.thumbs import ThumbnailError, make_thumbnail\n"
        "from tests.support.images import png\n"
        "data = png(10000, 10000)\n"
        "resource.setrlimit(resource.RLIMIT_DATA, (200 << 20, resource.RLIM_INFINITY))\n"
        "try:\n"
        "    make_thumbnail(data, long_edge=480, max_pixels=10**8, max_memory=1 << 30)\n"
        "except ThumbnailError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )

    assert done.stdout.strip() == (
        "image too large: making its thumbnail needs more memory than the 1,024 MB allowed"
    ), done.stderr[-2000:]
