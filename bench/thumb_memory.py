"""Peak memory of a thumbnail worker on the largest photos an upload may hold, before and after.

    python -m bench.thumb_memory [--quick] [--limit-mb N] [--json]

Each photo goes through three long-lived worker processes in turn:

- before: the pipeline as it was until worker memory was bounded (`_before_render`: Pillow
  decodes the whole image, JPEG at draft scale, converts and orients it whole, then resizes);
- after, no limit: `ThumbnailWorker` with a limit too high to refuse anything, i.e. what
  decoding each photo costs now (strips, libheif read in place, memory handed back);
- after, at the limit: `ThumbnailWorker` as the sidecar runs it (FIELDSYNC_THUMB_WORKER_MEMORY_MB),
  refusing from the header what would not fit.

All three are forked from one forkserver that has loaded this module, so they start from the
same footprint. Peak is the worker's VmHWM, reset (/proc/PID/clear_refs) before each photo;
"held" is its VmRSS after the photo, what the next one starts from. Photos are synthetic
(smooth, so they stay far below the 25 MB upload limit at 100 MP); memory depends on pixels
and format, not on content.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import select
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import cache, partial
from io import BytesIO
from typing import Any

from PIL import Image

from bench.report import Section, Table, check, num, text
from sidecar.settings import Settings
from sidecar.thumbs import ThumbnailError, ThumbnailWorker
from tests.support.images import encode, gradient, jpeg, photo, png
from tests.support.processes import peak_rss_kib, rss_kib

NO_LIMIT_MB = 16384
MP = 1_000_000


def _default(name: str) -> int:
    """A setting's default, from `Settings` (its only source)."""
    value = Settings.model_fields[name].default
    assert isinstance(value, int), name
    return value


@cache
def _gradient(width: int, height: int) -> Image.Image:
    return gradient(width, height)


def _heic(width: int, height: int, **params: object) -> bytes:
    return encode(_gradient(width, height), "HEIF", quality=50, **params)


Photo = tuple[str, Callable[[], bytes]]
NORMAL: list[Photo] = [
    ("JPEG 12 MP, phone photo", lambda: jpeg(photo())),
]
HEIC_48: Photo = (
    "HEIC 48 MP, iPhone 'HEIF Max' (512 px tiles)",
    lambda: _heic(8064, 6048, tile_size=512),
)
HEIC_12: Photo = ("HEIC 12 MP", lambda: _heic(4032, 3024))
PNGS: list[Photo] = [
    ("PNG 100 MP RGB", lambda: png(10000, 10000)),
    ("PNG 100 MP RGBA", lambda: png(10000, 10000, mode="RGBA")),
    ("PNG 100 MP RGBA 16-bit", lambda: png(10000, 10000, mode="RGBA", bits=16)),
    ("PNG 100 MP grey 16-bit", lambda: png(10000, 10000, mode="L", bits=16)),
    ("PNG 100 MP palette", lambda: png(10000, 10000, mode="P")),
    ("PNG 100 MP RGB interlaced", lambda: png(10000, 10000, interlace=True)),
    ("PNG 64 MP RGB", lambda: png(9216, 6912)),
]
JPEGS: list[Photo] = [
    ("JPEG 100 MP baseline", lambda: jpeg(_gradient(10000, 10000))),
    ("JPEG 100 MP progressive", lambda: encode(_gradient(10000, 10000), "JPEG", progressive=True)),
    (
        "JPEG 100 MP progressive CMYK 4:4:4",
        lambda: encode(
            _gradient(10000, 10000).convert("CMYK"), "JPEG", progressive=True, subsampling=0
        ),
    ),
]
WEBP_MAX: Photo = (
    "WebP 16383x16383 (largest WebP)",
    lambda: encode(Image.new("RGB", (16383, 16383)), "WEBP", lossless=True, method=0),
)
WEBPS: list[Photo] = [
    ("WebP 100 MP (16383x6103)", lambda: encode(_gradient(16383, 6103), "WEBP", method=0)),
    ("WebP 16 MP", lambda: encode(_gradient(4608, 3456), "WEBP", method=0)),
]
AVIF: Photo = ("AVIF 12 MP", lambda: encode(_gradient(4032, 3024), "AVIF", speed=10))


def photos(quick: bool) -> list[Photo]:
    if quick:
        return [*NORMAL, HEIC_12, *PNGS[:1], PNGS[3], PNGS[4], *JPEGS[1:2], WEBPS[0]]
    return [*NORMAL, HEIC_48, *PNGS, *JPEGS, WEBP_MAX, *WEBPS, AVIF]


# --- before: the previous pipeline, in a process of its own ------------------------------


def _before_init(max_pixels: int, owner: int) -> None:
    """What a worker did at start: exit with ``owner``; the decompression-bomb check, its
    warning an error."""
    owner_fd = os.pidfd_open(owner)
    threading.Thread(target=_exit_with, args=(owner_fd,), daemon=True).start()
    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")


def _exit_with(owner_fd: int) -> None:
    select.select([owner_fd], [], [])
    os._exit(0)


def _before_render(path: str, long_edge: int) -> str:
    """Render the photo at ``path`` as the sidecar did before; return the outcome."""
    with open(path, "rb") as file:
        data = file.read()
    try:
        image: Image.Image = Image.open(BytesIO(data))
        width, height = image.size
        scale = min(1.0, long_edge / max(width, height))
        if scale < 1:
            image.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
        image.load()
        if image.mode.startswith("I"):
            image = image.convert("I").point(lambda value: value / 256).convert("L")
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if image.has_transparency_data else "RGB")
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = image.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)
        image.save(BytesIO(), "WEBP", quality=80, method=2)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return "refused: > 100 MP"
    except MemoryError:
        return "out of memory"
    return "thumbnail"


def _reset_peak(pid: int) -> None:
    """Set `pid`'s VmHWM back to its current VmRSS (Linux 4.0+)."""
    with open(f"/proc/{pid}/clear_refs", "w") as file:
        file.write("5")


# --- measuring -----------------------------------------------------------------------------


@dataclass
class Run:
    outcome: str
    peak_mb: float
    held_mb: float
    seconds: float


def _mb(kib: int) -> float:
    return kib / 1024


def _outcome(error: ThumbnailError) -> str:
    message = str(error)
    if need := re.search(r"needs about ([\d,]+) MB", message):
        return f"refused: needs {need[1]} MB"
    if over := re.search(r"more than (\d+) megapixels", message):
        return f"refused: > {over[1]} MP"
    return message


async def _after(worker: ThumbnailWorker, pid: int, data: bytes) -> Run:
    _reset_peak(pid)
    start = time.perf_counter()
    try:
        await worker.render(data)
        outcome = "thumbnail"
    except ThumbnailError as exc:
        outcome = _outcome(exc)
    seconds = time.perf_counter() - start
    return Run(outcome, _mb(peak_rss_kib(pid)), _mb(rss_kib(pid)), seconds)


async def _before(pool: ProcessPoolExecutor, pid: int, path: str, long_edge: int) -> Run:
    _reset_peak(pid)
    start = time.perf_counter()
    outcome = await asyncio.get_running_loop().run_in_executor(
        pool, _before_render, path, long_edge
    )
    seconds = time.perf_counter() - start
    return Run(outcome, _mb(peak_rss_kib(pid)), _mb(rss_kib(pid)), seconds)


def _spool(directory: str, data: bytes) -> str:
    path = os.path.join(directory, "photo")
    with open(path, "wb") as file:
        file.write(data)
    return path


def _children() -> set[int]:
    return {child.pid for child in multiprocessing.active_children() if child.pid}


async def _started(worker: ThumbnailWorker) -> int:
    """Start ``worker`` (one process) and return that process's pid."""
    known = _children()
    await worker.start()
    [pid] = _children() - known
    return pid


async def measure(quick: bool, limit_mb: int) -> dict[str, Any]:
    long_edge = _default("thumb_long_edge")
    max_pixels = _default("thumb_max_megapixels") * MP
    one_process = partial(ThumbnailWorker, processes=1, long_edge=long_edge, max_pixels=max_pixels)
    capped = one_process(max_memory_mb=limit_mb)
    unbounded = one_process(max_memory_mb=NO_LIMIT_MB)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["sidecar.thumbs.worker", "bench.thumb_memory"])
    rows: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory() as spool,
        ProcessPoolExecutor(
            1, mp_context=context, initializer=_before_init, initargs=(max_pixels, os.getpid())
        ) as pool,
    ):
        before_pid = await asyncio.get_running_loop().run_in_executor(pool, os.getpid)
        capped_pid = await _started(capped)
        unbounded_pid = await _started(unbounded)
        idle = _mb(rss_kib(capped_pid))
        try:
            for name, make in photos(quick):
                data = make()
                path = _spool(spool, data)
                runs = {
                    "before": await _before(pool, before_pid, path, long_edge),
                    "no_limit": await _after(unbounded, unbounded_pid, data),
                    "limit": await _after(capped, capped_pid, data),
                }
                rows.append(
                    {"photo": name, "file_mb": len(data) / MP}
                    | {key: asdict(run) for key, run in runs.items()}
                )
                print(f"# {name}: {[run.outcome for run in runs.values()]}", file=sys.stderr)
        finally:
            await capped.close()
            await unbounded.close()
    return {"limit_mb": limit_mb, "idle_mb": idle, "long_edge": long_edge, "photos": rows}


def section(figures: dict[str, Any]) -> Section:
    limit = figures["limit_mb"]
    rows = []
    for row in figures["photos"]:
        before, free, capped = row["before"], row["no_limit"], row["limit"]
        rows.append(
            [
                row["photo"],
                num(row["file_mb"]),
                num(before["peak_mb"], 0),
                num(before["held_mb"], 0),
                num(free["peak_mb"], 0),
                capped["outcome"],
                num(capped["peak_mb"], 0),
                num(capped["held_mb"], 0),
                f"≤ {limit} {check(capped['peak_mb'] <= limit)}",
            ]
        )
    notes = [
        "before: the pipeline until memory was bounded (whole-image decode, conversion and "
        "orientation, then resize); after: `ThumbnailWorker`, once with a limit too high to "
        f"refuse anything (what decoding costs now) and once at {limit} MB (what the sidecar "
        "does). One long-lived worker process each.",
        "peak: the worker's VmHWM, reset before each photo; held: its VmRSS afterwards, what "
        f"the next photo starts from. An idle worker holds {num(figures['idle_mb'], 0)} MB. "
        f"Thumbnails {figures['long_edge']} px; MB = 2^20 bytes.",
    ]
    table = Table(
        f"Peak memory of one thumbnail worker, MB (limit {limit} MB)",
        [
            "photo",
            "file MB",
            "before: peak",
            "held",
            "after, no limit: peak",
            f"after, {limit} MB: outcome",
            "peak",
            "held",
            "target",
        ],
        rows,
        notes,
    )
    return Section(
        "thumb_memory",
        "Thumbnail worker memory (`python -m bench.thumb_memory`)",
        [table],
        _limits(figures),
        figures,
    )


def _limits(figures: dict[str, Any]) -> str:
    admitted = [row for row in figures["photos"] if row["limit"]["outcome"] == "thumbnail"]
    worst = max(admitted, key=lambda row: row["limit"]["peak_mb"])
    before = max(figures["photos"], key=lambda row: row["before"]["peak_mb"])
    return (
        f"what the decoders hold: Pillow inflates a PNG, WebP or AVIF whole (4 bytes a pixel "
        f"for RGB PNG, about 16 for WebP) and libjpeg keeps every coefficient of a progressive "
        f"JPEG (2 bytes a sample), so the limit refuses those past it from their header. "
        f"Highest peak admitted: {num(worst['limit']['peak_mb'], 0)} MB ({worst['photo']}); "
        f"before, {num(before['before']['peak_mb'], 0)} MB ({before['photo']})."
    )


def run(quick: bool = False) -> Section:
    return section(asyncio.run(measure(quick, _default("thumb_worker_memory_mb"))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, smaller photos")
    parser.add_argument("--limit-mb", type=int, default=None, help="worker limit (the default)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    limit = args.limit_mb or _default("thumb_worker_memory_mb")
    figures = asyncio.run(measure(args.quick, limit))
    print(json.dumps(figures) if args.json else text(section(figures)))


if __name__ == "__main__":
    main()
