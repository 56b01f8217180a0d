"""Render thumbnails in a pool of worker processes, off the event loop.

Decoding is CPU-bound and holds the GIL for much of it, so it runs in processes. They start
with 'forkserver' (never 'fork': the sidecar has threads), from a server that has already
imported Pillow, so a new worker is ready in milliseconds.

Photos reach workers through a spool file, not the executor's pipe: pickling 5 MB through
that one shared pipe took 11 ms a photo and cut pool throughput by a quarter; a file write
and read take about 2.5 ms. A semaphore keeps at most two photos per worker spooled. A
spool directory is named after its process, so one left by a sidecar that died is removed
when the next one starts.

Memory (docs/thumbnails.md): each worker gets ``max_memory_mb``, enforced as its data limit
(``RLIMIT_DATA``), so an allocation past it fails in that worker as a readable
`ThumbnailError` instead of waking the kernel's OOM killer. Photos whose decoding would not
fit are refused from their header (`sidecar.thumbs.memory`). After each photo the worker
hands freed memory back to the system (glibc keeps large freed blocks otherwise: a worker
sat on 400 MB after one big PNG); workers are not recycled, as ``max_tasks_per_child``
deadlocks a busy pool on Python 3.11 (CPython gh-115634).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import itertools
import multiprocessing
import os
import resource
import select
import shutil
import tempfile
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import cache, partial
from io import BytesIO
from types import TracebackType
from typing import Self

from PIL import Image

from sidecar.thumbs.decode import ThumbnailError
from sidecar.thumbs.render import DEFAULT_QUALITY, Thumbnail, make_thumbnail

_SPOOL_PREFIX = "fieldsync-thumbs-"
_RESERVED_MB = 64
"""Of a worker's memory, what is not for decoding: the interpreter, Pillow and libheif
(25 MB idle under ``python -m sidecar``) and the stacks of libheif's threads."""
_TRIM_ABOVE = 128 << 20
"""Resident bytes past which a worker gives freed memory back after a photo."""
_PAGE = os.sysconf("SC_PAGE_SIZE")


class WorkerDied(ThumbnailError):
    """A worker process died while photos were in hand (the OOM killer, a codec crash):
    the photo that caused it, and any others it had, were not rendered."""


class ThumbnailWorker:
    """A process pool running `make_thumbnail`; use ``async with`` or `start`/`close`.

    Each worker may use ``max_memory_mb``, 64 MB of it for itself and the rest for decoding
    a photo; photos that would need more fail with a message saying so. A worker that
    dies (a crash in a codec) fails only the photos it had in hand, as `WorkerDied`; the pool
    is replaced for the next ones.
    """

    def __init__(
        self,
        *,
        processes: int | None = None,
        long_edge: int,
        max_pixels: int,
        max_memory_mb: int,
        quality: int = DEFAULT_QUALITY,
        start_method: str = "forkserver",
        spool_dir: str | None = None,
    ) -> None:
        if max_memory_mb <= _RESERVED_MB:
            raise ValueError(f"max_memory_mb must be more than {_RESERVED_MB}")
        self.processes = processes or os.cpu_count() or 1
        self._max_pixels = max_pixels
        self._max_memory = max_memory_mb << 20
        self._render = partial(
            _render_file,
            long_edge=long_edge,
            quality=quality,
            max_pixels=max_pixels,
            max_memory=(max_memory_mb - _RESERVED_MB) << 20,
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
                raise WorkerDied(
                    "worker process died while rendering (killed, or a codec crashed)"
                ) from exc
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
            initargs=(self._max_pixels, self._max_memory, os.getpid()),
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


def _init_worker(max_pixels: int, max_memory: int, owner: int) -> None:
    """Exit with `owner`; limit this process's data to ``max_memory`` bytes; make Pillow's own
    decompression-bomb check agree with ours, its warning an error.

    Pillow's warnings about damaged EXIF are silenced: uploads have plenty, and stderr is not
    where the sidecar logs.
    """
    try:
        owner_fd = os.pidfd_open(owner)
    except ProcessLookupError:
        os._exit(0)
    threading.Thread(target=_exit_with, args=(owner_fd,), name="owner-watch", daemon=True).start()
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    limit = max_memory if hard == resource.RLIM_INFINITY else min(max_memory, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")


def _exit_with(owner_fd: int) -> None:
    """Block until the owner process ends (its pidfd turns readable), then exit at once."""
    select.select([owner_fd], [], [])
    os._exit(0)


def _render_file(
    path: str, *, long_edge: int, quality: int, max_pixels: int, max_memory: int
) -> Thumbnail:
    try:
        with open(path, "rb") as file:
            data = file.read()
        return make_thumbnail(
            data, long_edge=long_edge, quality=quality, max_pixels=max_pixels, max_memory=max_memory
        )
    finally:
        _release_memory()


def _release_memory() -> None:
    """Return freed heap memory to the system once a worker holds more than `_TRIM_ABOVE`.

    glibc raises its threshold for handing large blocks straight back as they are freed, so
    after one big photo a worker kept about 400 MB it no longer used; ``malloc_trim`` gives
    it back (glibc only; elsewhere nothing is done). Below the mark the 0.5 ms a trim takes
    is not spent.
    """
    trim = _malloc_trim()
    if trim is not None and _resident_bytes() > _TRIM_ABOVE:
        trim(0)


def _resident_bytes() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * _PAGE


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def _warm_up() -> int:
    """Render a tiny JPEG once, so codecs are loaded before the first real photo."""
    out = BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 200)).save(out, "JPEG")
    make_thumbnail(out.getvalue(), long_edge=32, max_pixels=64 * 48, max_memory=16 << 20)
    return os.getpid()
