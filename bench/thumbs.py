"""Thumbnail throughput: plain Pillow vs `make_thumbnail` vs `ThumbnailWorker`, side by side.

    python -m bench.thumbs [--photos N] [--rounds R] [--json]

One synthetic 12 MP JPEG (4000x3000, about 5 MB at quality 92, with EXIF and GPS) is turned
into a 480 px WebP. Each round runs the three contenders back to back, in a rotating order,
so drift on a noisy machine hits them alike; figures are medians over rounds, speedups the
median of per-round ratios against the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from io import BytesIO
from typing import Any, TypedDict

from PIL import Image

from sidecar.settings import Settings
from sidecar.thumbs import ThumbnailWorker, make_thumbnail
from sidecar.thumbs.decode import decode
from tests.support.images import exif, jpeg, photo
from tests.support.processes import cpu_seconds as process_cpu_seconds


class Limits(TypedDict):
    """The size limits `make_thumbnail`, `decode` and `ThumbnailWorker` share."""

    long_edge: int
    max_pixels: int


# The sidecar's defaults; Settings is their only source.
LIMITS: Limits = {
    "long_edge": Settings.model_fields["thumb_long_edge"].default,
    "max_pixels": Settings.model_fields["thumb_max_megapixels"].default * 1_000_000,
}
WORKER_MB = Settings.model_fields["thumb_worker_memory_mb"].default

LABELS = {
    "baseline": "(a) Pillow thumbnail(), 1 process",
    "make_thumbnail": "(b) make_thumbnail, 1 process",
    "worker": "(c) ThumbnailWorker, pool",
}


def baseline(data: bytes) -> bytes:
    """What one writes without thinking: Pillow's thumbnail() and its default WebP."""
    image = Image.open(BytesIO(data))
    image.thumbnail((480, 480))
    out = BytesIO()
    image.save(out, "WEBP")
    return out.getvalue()


def sequential(render: Callable[[bytes], object], data: bytes, count: int) -> tuple[float, float]:
    """Photos per second, and CPU ms per photo, for ``count`` photos one after another here."""
    cpu, start = time.process_time(), time.perf_counter()
    for _ in range(count):
        render(data)
    elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    return count / elapsed, used * 1000 / count


def cpu_seconds(pids: list[int]) -> float:
    """CPU time used so far by this process and by ``pids``."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime + sum(process_cpu_seconds(pid) for pid in pids)


async def pooled(worker: ThumbnailWorker, data: bytes, count: int) -> tuple[float, float]:
    """Photos per second, and CPU ms per photo (all processes), for ``count`` photos at once."""
    pids = [child.pid for child in multiprocessing.active_children() if child.pid]
    cpu, start = cpu_seconds(pids), time.perf_counter()
    await asyncio.gather(*(worker.render(data) for _ in range(count)))
    elapsed, used = time.perf_counter() - start, cpu_seconds(pids) - cpu
    return count / elapsed, used * 1000 / count


def _read(path: str) -> int:
    with open(path, "rb") as file:
        return len(file.read())


def _spool(directory: str, data: bytes) -> str:
    path = os.path.join(directory, "photo")
    with open(path, "wb") as file:
        file.write(data)
    return path


async def transfer_ms(data: bytes, repeat: int = 15) -> dict[str, float]:
    """Extra ms, over an empty call, to get ``data`` into a worker: pickled down the executor's
    pipe, or written to a spool file the worker reads (what `ThumbnailWorker` does)."""
    loop = asyncio.get_running_loop()
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(1, mp_context=context) as pool, tempfile.TemporaryDirectory() as spool:

        async def median_ms(call: Callable[[], Awaitable[object]]) -> float:
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                await call()
                times.append(time.perf_counter() - start)
            return statistics.median(times) * 1000

        async def by_file() -> int:
            path = _spool(spool, data)
            try:
                return await loop.run_in_executor(pool, _read, path)
            finally:
                os.unlink(path)

        await loop.run_in_executor(pool, len, b"")
        empty = await median_ms(lambda: loop.run_in_executor(pool, len, b""))
        pipe = await median_ms(lambda: loop.run_in_executor(pool, len, data))
        spooled = await median_ms(by_file)
    return {"pipe": round(pipe - empty, 2), "spool": round(spooled - empty, 2)}


def decode_ms(data: bytes, repeat: int = 10) -> float:
    """Median ms of our decode alone: open and a 1/8-scale libjpeg decode, mostly Huffman."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        decode(data, **LIMITS, max_memory=WORKER_MB << 20)
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 1)


async def run(photos: int, rounds: int, batch: int, processes: int | None) -> dict[str, Any]:
    data = jpeg(photo(), exif=exif(orientation=1, taken="2025:06:01 09:30:00", gps=True))
    rates: dict[str, list[float]] = {name: [] for name in LABELS}
    cpu: dict[str, list[float]] = {name: [] for name in LABELS}
    ours = partial(make_thumbnail, **LIMITS, max_memory=WORKER_MB << 20)
    async with ThumbnailWorker(processes=processes, **LIMITS, max_memory_mb=WORKER_MB) as worker:
        await pooled(worker, data, worker.processes * 2)  # page in code and buffers
        for render in (baseline, ours):
            render(data)
        for index in range(rounds):
            names = list(LABELS)[index % 3 :] + list(LABELS)[: index % 3]
            for name in names:
                if name == "worker":
                    rate, cpu_ms = await pooled(worker, data, photos)
                else:
                    render = baseline if name == "baseline" else ours
                    rate, cpu_ms = sequential(render, data, batch)
                rates[name].append(rate)
                cpu[name].append(cpu_ms)
        pool_size = worker.processes
    result: dict[str, Any] = {
        "photo": {"bytes": len(data), "width": 4000, "height": 3000},
        "cpus": os.cpu_count(),
        "processes": pool_size,
        "rounds": rounds,
        "decode_ms": decode_ms(data),
        "transfer_ms": await transfer_ms(data),
    }
    for name, values in rates.items():
        ratios = [value / base for value, base in zip(values, rates["baseline"], strict=True)]
        rate = statistics.median(values)
        result[name] = {
            "photos_per_s": round(rate, 1),
            "ms_per_photo": round(1000 / rate, 1),
            "speedup": round(statistics.median(ratios), 2),
            "cpu_ms_per_photo": round(statistics.median(cpu[name]), 1),
        }
    cpus, pool_cpu = result["cpus"] or 1, result["worker"]["cpu_ms_per_photo"]
    result["ceiling"] = {
        "photos_per_s": round(cpus * 1000 / pool_cpu, 1),
        "speedup": round(result["baseline"]["cpu_ms_per_photo"] * cpus / pool_cpu, 2),
    }
    return result


def table(result: dict[str, Any]) -> str:
    source, transfer, ceiling = result["photo"], result["transfer_ms"], result["ceiling"]
    lines = [
        f"{source['width']}x{source['height']} JPEG, {source['bytes'] / 1e6:.1f} MB -> 480 px "
        f"WebP; {result['cpus']} CPUs, pool of {result['processes']}, "
        f"median of {result['rounds']} rounds",
        f"{'':34}{'photos/s':>10}{'ms/photo':>10}{'speedup':>9}{'CPU ms/photo':>14}",
    ]
    for name, label in LABELS.items():
        row = result[name]
        lines.append(
            f"{label:34}{row['photos_per_s']:>10.1f}{row['ms_per_photo']:>10.1f}"
            f"{row['speedup']:>8.2f}x{row['cpu_ms_per_photo']:>14.1f}"
        )
    lines += [
        f"ceiling if {result['cpus']} CPUs were idle (from CPU ms, less sensitive to other load): "
        f"{ceiling['photos_per_s']:.1f} photos/s, {ceiling['speedup']:.2f}x the baseline",
        f"decode alone (1/8-scale libjpeg, mostly Huffman): {result['decode_ms']:.1f} ms/photo",
        f"getting 5 MB into a worker: {transfer['pipe']:.1f} ms pickled through the pipe, "
        f"{transfer['spool']:.1f} ms via a spool file",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Thumbnail throughput, side by side.")
    parser.add_argument("--photos", type=int, default=48, help="photos per pooled round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--batch", type=int, default=8, help="photos per sequential round")
    parser.add_argument("--processes", type=int, default=None, help="pool size (all CPUs)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = asyncio.run(run(args.photos, args.rounds, args.batch, args.processes))
    print(json.dumps(result) if args.json else table(result))


if __name__ == "__main__":
    main()
