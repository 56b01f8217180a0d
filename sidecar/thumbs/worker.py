"""Render thumbnails in a pool of worker processes, off the event loop.

Decoding is CPU-bound and holds the GIL for much of it, so it runs in processes. They start
with 'forkserver' (never 'fork': the sidecar has threads), from a server that has already
imported Pillow, so a new worker is ready in milliseconds.

Photos reach workers through a spool file, not the executor's pipe: pickling 5 MB through
that one shared pipe took 11 ms a photo and cut pool throughput by a quarter; a file write
and read take about 2.5 ms. A semaphore keeps at most two photos per worker spooled. A
spool directory is named after its process, so one left by a sidecar that died is removed
when the next one starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
import os
import select
import shutil
import tempfile
import threading
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from io import BytesIO
from types import TracebackType
from typing import Self

from PIL import Image

from sidecar.thumbs.decode import DEFAULT_MAX_PIXELS, ThumbnailError
from sidecar.thumbs.render import DEFAULT_LONG_EDGE, DEFAULT_QUALITY, Thumbnail, make_thumbnail

_SPOOL_PREFIX = "fieldsync-thumbs-"


class WorkerDied(ThumbnailError):
    """A worker process died while photos were in hand (the OOM killer, a codec crash):
    the photo that caused it, and any others it had, were not rendered."""


class ThumbnailWorker:
    """A process pool running `make_thumbnail`; use ``async with`` or `start`/`close`.

    A worker that dies (the kernel's OOM killer, a crash in a codec) fails only the photos
    it had in hand, as `ThumbnailError`; the pool is replaced for the next ones.
    """

    def __init__(
        self,
        *,
        processes: int | None = None,
        long_edge: int = DEFAULT_LONG_EDGE,
        quality: int = DEFAULT_QUALITY,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        start_method: str = "forkserver",
        spool_dir: str | None = None,
    ) -> None:
        self.processes = processes or os.cpu_count() or 1
        self._max_pixels = max_pixels
        self._render = partial(
            _render_file, long_edge=long_edge, quality=quality, max_pixels=max_pixels
        )
        self._context = multiprocessing.get_context(start_method)
        self._spool_root = spool_dir
        self._spool = ""
        self._names = itertools.count()
        self._slots = asyncio.Semaphore(self.processes * 2)
        self._pool: ProcessPoolExecutor | None = None

    async def start(self) -> None:
        """Start every worker and wait until each has rendered a first, tiny image."""
        if self._pool is not None:
            return
        if self._context.get_start_method() == "forkserver":
            self._context.set_forkserver_preload([__name__])
        _remove_stale_spools(self._spool_root or tempfile.gettempdir())
        self._spool = tempfile.mkdtemp(
            prefix=f"{_SPOOL_PREFIX}{os.getpid()}-", dir=self._spool_root
        )
        self._pool = pool = self._new_pool()
        loop = asyncio.get_running_loop()
        try:
            await asyncio.gather(
                *(loop.run_in_executor(pool, _warm_up) for _ in range(self.processes))
            )
        except BaseException:
            await self.close()
            raise

    async def render(self, data: bytes) -> Thumbnail:
        """Render ``data`` in a worker process; raise `ThumbnailError` if it cannot be done."""
        pool = self._pool
        if pool is None:
            raise RuntimeError("ThumbnailWorker is not started")
        async with self._slots:
            path = self._write_spool(data)
            try:
                return await asyncio.get_running_loop().run_in_executor(pool, self._render, path)
            except BrokenProcessPool as exc:
                if self._pool is pool:
                    pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = self._new_pool()
                raise WorkerDied("worker process died while rendering (out of memory?)") from exc
            finally:
                os.unlink(path)

    async def close(self) -> None:
        """Stop the workers, dropping queued photos and waiting for those in hand."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
            shutil.rmtree(self._spool, ignore_errors=True)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _write_spool(self, data: bytes) -> str:
        """Write ``data`` to a new spool file; about 1 ms for 5 MB, less than a thread hop."""
        path = os.path.join(self._spool, f"{next(self._names)}.photo")
        try:
            with open(path, "xb") as file:
                file.write(data)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise
        return path

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.processes,
            mp_context=self._context,
            initializer=_init_worker,
            initargs=(self._max_pixels, os.getpid()),
        )


def _remove_stale_spools(root: str) -> None:
    """Remove spool directories whose process is gone (it died without `close`)."""
    for entry in os.scandir(root):
        pid = entry.name.removeprefix(_SPOOL_PREFIX).partition("-")[0]
        if entry.name.startswith(_SPOOL_PREFIX) and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _init_worker(max_pixels: int, owner: int) -> None:
    """Exit with `owner`; make Pillow's own decompression-bomb check agree with ours, its
    warning an error.

    Pillow's warnings about damaged EXIF are silenced: uploads have plenty, and stderr is not
    where the sidecar logs.
    """
    try:
        owner_fd = os.pidfd_open(owner)
    except ProcessLookupError:
        os._exit(0)
    threading.Thread(target=_exit_with, args=(owner_fd,), name="owner-watch", daemon=True).start()
    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")


def _exit_with(owner_fd: int) -> None:
    """Block until the owner process ends (its pidfd turns readable), then exit at once."""
    select.select([owner_fd], [], [])
    os._exit(0)


def _render_file(path: str, *, long_edge: int, quality: int, max_pixels: int) -> Thumbnail:
    with open(path, "rb") as file:
        data = file.read()
    return make_thumbnail(data, long_edge=long_edge, quality=quality, max_pixels=max_pixels)


def _warm_up() -> int:
    """Render a tiny JPEG once, so codecs are loaded before the first real photo."""
    out = BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 200)).save(out, "JPEG")
    make_thumbnail(out.getvalue(), long_edge=32)
    return os.getpid()
