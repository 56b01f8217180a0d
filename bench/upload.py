"""SDK photo upload vs a bare httpx multipart POST, side by side.

    python -m bench.upload [--json] [--rounds 12] [--size-mb 10]

Starts its own PocketBase (temp data dir, the repo's migrations and hooks), seeds a team, then
runs interleaved rounds; each round uploads a fresh photo (unique bytes, read from disk) four
ways, in an order that rotates every round:

- ``sdk``: ``Client.photos.upload(job, path)``: streams the file, hashes it on the way, sends
  sha256 and the derived id after the file.
- ``bare``: ``httpx.Client.post(url, data=fields, files={"file": f})`` on a kept-alive
  connection, with the sha256 computed *before* the clock starts (the strictest baseline).
- ``sdk-async`` / ``bare-async``: the same with `AsyncClient` and `httpx.AsyncClient`.

Reports the median and p90 of each and the SDK/bare ratio of the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from fieldsync import AsyncClient, Client, Job
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.pocketbase import launch  # noqa: E402
from tests.support.teams import make_team  # noqa: E402

METHODS = ["sdk", "bare", "sdk-async", "bare-async"]


def make_photo(directory: Path, size: int, index: int) -> Path:
    """A JPEG of `size` bytes whose bytes are unique (random padding after the image)."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (index % 256, 90, 160)).save(buffer, "JPEG")
    head = buffer.getvalue()
    path = directory / f"photo-{index}.jpg"
    path.write_bytes(head + os.urandom(max(size - len(head), 0)))
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def summarize(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p90_ms": round(p90 * 1000, 2),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
        "min_ms": round(ordered[0] * 1000, 2),
    }


def run(rounds: int, size_mb: float, warmup: int) -> dict[str, Any]:
    size = int(size_mb * 1024 * 1024)
    with tempfile.TemporaryDirectory(prefix="fieldsync-bench-") as tmp:
        workdir = Path(tmp)
        pb = launch(workdir / "pb_data", exempt_loopback=True)
        try:
            with pb.superuser_client() as su:
                team = make_team(su, "Bench")
            return _measure(pb.url, team, workdir, size, rounds, warmup)
        finally:
            pb.cleanup()


def _measure(
    url: str, team: Any, workdir: Path, size: int, rounds: int, warmup: int
) -> dict[str, Any]:
    timings: dict[str, list[float]] = {method: [] for method in METHODS}
    counter = iter(range(10**9))
    loop = asyncio.new_event_loop()

    sdk = Client(url)
    sdk.auth.with_password(team.office.email, team.office.password)
    sdk_async = AsyncClient(url)
    loop.run_until_complete(sdk_async.auth.with_password(team.office.email, team.office.password))
    headers = {"Authorization": sdk.auth.token}
    bare = httpx.Client(base_url=url, headers=headers, timeout=60)
    bare_async = httpx.AsyncClient(base_url=url, headers=headers, timeout=60)
    job = sdk.jobs.create(Job(team=team.id, title="Benchmark job"))
    endpoint = "/api/collections/photos/records"

    def fields(path: Path) -> dict[str, str]:
        return {"team": team.id, "job": job.id, "sha256": sha256_of(path)}

    def sdk_upload(path: Path) -> float:
        started = time.perf_counter()
        photo = sdk.photos.upload(job, path)
        elapsed = time.perf_counter() - started
        assert photo.sha256 and photo.file
        return elapsed

    def bare_upload(path: Path) -> float:
        data = fields(path)
        with path.open("rb") as handle:
            started = time.perf_counter()
            response = bare.post(endpoint, data=data, files={"file": (path.name, handle)})
            elapsed = time.perf_counter() - started
        response.raise_for_status()
        return elapsed

    def sdk_async_upload(path: Path) -> float:
        async def go() -> float:
            started = time.perf_counter()
            photo = await sdk_async.photos.upload(job, path)
            elapsed = time.perf_counter() - started
            assert photo.sha256 and photo.file
            return elapsed

        return loop.run_until_complete(go())

    def bare_async_upload(path: Path) -> float:
        data = fields(path)

        async def go() -> float:
            with path.open("rb") as handle:
                started = time.perf_counter()
                response = await bare_async.post(
                    endpoint, data=data, files={"file": (path.name, handle)}
                )
                elapsed = time.perf_counter() - started
            response.raise_for_status()
            return elapsed

        return loop.run_until_complete(go())

    runners: dict[str, Callable[[Path], float]] = {
        "sdk": sdk_upload,
        "bare": bare_upload,
        "sdk-async": sdk_async_upload,
        "bare-async": bare_async_upload,
    }
    try:
        for round_number in range(warmup + rounds):
            shift = round_number % len(METHODS)
            order = METHODS[shift:] + METHODS[:shift]
            for method in order:
                path = make_photo(workdir, size, next(counter))
                # Read it once so every method starts from the page cache.
                sha256_of(path)
                elapsed = runners[method](path)
                path.unlink()
                if round_number >= warmup:
                    timings[method].append(elapsed)
    finally:
        sdk.close()
        bare.close()
        loop.run_until_complete(sdk_async.aclose())
        loop.run_until_complete(bare_async.aclose())
        loop.close()

    result: dict[str, Any] = {
        "size_bytes": size,
        "rounds": rounds,
        "warmup_rounds": warmup,
        "methods": {method: summarize(samples) for method, samples in timings.items()},
    }
    methods = result["methods"]
    result["ratio_sync"] = round(methods["sdk"]["median_ms"] / methods["bare"]["median_ms"], 3)
    result["ratio_async"] = round(
        methods["sdk-async"]["median_ms"] / methods["bare-async"]["median_ms"], 3
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="SDK photo upload vs bare httpx multipart.")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--size-mb", type=float, default=10.0)
    args = parser.parse_args(argv)

    result = run(args.rounds, args.size_mb, args.warmup)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"upload of {result['size_bytes'] / 2**20:.1f} MiB, {result['rounds']} interleaved rounds"
        f" (+{result['warmup_rounds']} warm-up)"
    )
    print(f"{'method':<12}{'median ms':>11}{'p90 ms':>9}{'mean ms':>9}{'min ms':>9}")
    for method, stats in result["methods"].items():
        print(
            f"{method:<12}{stats['median_ms']:>11.1f}{stats['p90_ms']:>9.1f}"
            f"{stats['mean_ms']:>9.1f}{stats['min_ms']:>9.1f}"
        )
    print(f"sdk/bare (median): sync {result['ratio_sync']:.3f}, async {result['ratio_async']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
