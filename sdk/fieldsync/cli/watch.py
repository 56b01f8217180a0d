"""`fieldsync watch DIR --job JOB`: upload each new photo in a folder once it is complete.

A file is complete when it has stopped changing for `--settle` seconds (its size and mtime
unchanged across the quiet period), so a photo still being copied or written is not sent
half-way. What was uploaded is kept in ``DIR/.fieldsync/watch.json`` (path, size, mtime,
sha256), so a restart sends nothing again; the server's dedup (same bytes, same record id)
backs that up when the state file is lost.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from watchfiles import Change, awatch

from .console import console
from .errors import fail, run
from .lookup import find_job
from .options import DebugOption, UrlOption
from .pull_state import STATE_DIR
from .session import logged_in
from .uploader import Outcome, Uploader

__all__ = ["watch"]

RESCAN_S = 30.0
"""Look over the whole folder this often, besides following its events."""
PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"})
"""What the server accepts; anything else in the folder is left alone."""


def is_candidate(root: Path, path: Path) -> bool:
    """A photo file in `root` that is not hidden, temporary or ours."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    return (
        bool(parts)
        and not any(part.startswith(".") for part in parts)
        and path.suffix.lower() in PHOTO_SUFFIXES
    )


@dataclass(frozen=True)
class Seen:
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Sent:
    size: int
    mtime_ns: int
    sha256: str
    photo: str


def _seen(path: Path) -> Seen | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return Seen(stat.st_size, stat.st_mtime_ns)


class WatchState:
    """``DIR/.fieldsync/watch.json``: the files uploaded from DIR, by relative path."""

    def __init__(self, root: Path, url: str, job: str) -> None:
        self.path = root / STATE_DIR / "watch.json"
        self.url = url
        self.job = job
        self.files: dict[str, Sent] = {}
        try:
            raw: Any = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            fail(f"cannot read {self.path}: {exc} (move it away to start over)")
        if raw.get("url") == url and raw.get("job") == job:
            self.files = {key: Sent(**value) for key, value in raw.get("files", {}).items()}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "url": self.url,
            "job": self.job,
            "files": {key: asdict(value) for key, value in self.files.items()},
        }
        temp = self.path.with_name(f"watch.json.{os.getpid()}.tmp")
        temp.write_text(json.dumps(document, indent=0), encoding="utf-8")
        os.replace(temp, self.path)


class Watcher:
    """Schedules changed files, and uploads each once it has settled."""

    def __init__(self, root: Path, uploader: Uploader, state: WatchState, settle: float) -> None:
        self._root = root
        self._uploader = uploader
        self._state = state
        self._settle = settle
        self._pending: dict[Path, tuple[float, Seen]] = {}
        self._failed: dict[Path, Seen] = {}
        """Files whose upload failed, as they were then (retried once they change)."""

    def touch(self, path: Path) -> None:
        """`path` changed (or was found): look at it again once it has been quiet."""
        seen = _seen(path)
        if seen is None or not path.is_file():
            self._pending.pop(path, None)
            return
        self._pending[path] = (time.monotonic() + self._settle, seen)

    def rescan(self, paths: list[Path]) -> None:
        """Look at `paths` again unless they are pending, or were uploaded (or failed) as they
        are now."""
        for path in paths:
            seen = _seen(path)
            if seen is None or path in self._pending or self._failed.get(path) == seen:
                continue
            sent = self._state.files.get(path.relative_to(self._root).as_posix())
            if sent is None or Seen(sent.size, sent.mtime_ns) != seen:
                self.touch(path)

    def forget(self, path: Path) -> None:
        self._pending.pop(path, None)

    def next_due(self) -> float | None:
        """Seconds until the next file is due (None: nothing pending)."""
        if not self._pending:
            return None
        return max(min(due for due, _ in self._pending.values()) - time.monotonic(), 0.0)

    async def upload_due(self) -> None:
        now = time.monotonic()
        for path, (due, seen) in list(self._pending.items()):
            if due > now:
                continue
            current = _seen(path)
            if current is None:
                self._pending.pop(path, None)
            elif current != seen:
                self._pending[path] = (now + self._settle, current)  # still being written
            else:
                self._pending.pop(path, None)
                await self._upload(path, current)

    async def _upload(self, path: Path, seen: Seen) -> None:
        relative = path.relative_to(self._root).as_posix()
        sent = self._state.files.get(relative)
        if sent is not None and (sent.size, sent.mtime_ns) == (seen.size, seen.mtime_ns):
            return  # uploaded by an earlier run
        result = await self._uploader.upload(path)
        if result.outcome is Outcome.FAILED:
            self._failed[path] = seen
            console.data(f"failed            {relative}: {result.error}")
            return
        assert result.photo is not None
        if _seen(path) != seen:  # changed while we read it: try again once it settles
            self.touch(path)
            return
        self._state.files[relative] = Sent(seen.size, seen.mtime_ns, result.sha256, result.photo.id)
        self._state.save()
        console.data(f"{result.outcome.value:<17} {relative} -> {result.photo.id}")


async def _watch(url: str | None, root: Path, job_ref: str, settle: float) -> None:
    async with logged_in(url) as client:
        job = await find_job(client, job_ref)
        state = WatchState(root, client.base_url, job.id)
        watcher = Watcher(root, Uploader(client, job), state, settle)
        await _loop(root, watcher, job.title)


def _photos_in(root: Path) -> list[Path]:
    return [path for path in sorted(root.rglob("*")) if is_candidate(root, path) and path.is_file()]


async def _loop(root: Path, watcher: Watcher, title: str) -> None:
    """File events are the fast path; a rescan every `RESCAN_S` catches what they miss (the
    moment before the watch is set up, an overflowing event queue, a network share)."""
    changes: asyncio.Queue[tuple[Change, Path]] = asyncio.Queue()

    async def follow() -> None:
        async for batch in awatch(root, watch_filter=lambda _, p: is_candidate(root, Path(p))):
            for change, raw in batch:
                changes.put_nowait((change, Path(raw)))

    follower = asyncio.create_task(follow(), name="watchfiles")
    await asyncio.sleep(0)  # let it set the watch up before the first scan
    next_scan = 0.0
    try:
        while True:
            if follower.done():
                follower.result()  # the watcher died: raise its error
            now = time.monotonic()
            if now >= next_scan:
                watcher.rescan(_photos_in(root))
                if not next_scan:
                    console.info(f"watching {root} for photos of job {title!r} (Ctrl-C stops)")
                next_scan = now + RESCAN_S
            due = watcher.next_due()
            wait = next_scan - now if due is None else min(due, next_scan - now)
            try:
                async with asyncio.timeout(wait):
                    change, path = await changes.get()
            except TimeoutError:
                await watcher.upload_due()
                continue
            if change is Change.deleted:
                watcher.forget(path)
            else:
                watcher.touch(path)
    finally:
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)


def watch(
    directory: Annotated[
        Path,
        typer.Argument(
            metavar="DIR",
            help="The folder to watch.",
            exists=True,
            file_okay=False,
            resolve_path=True,
        ),
    ],
    job: Annotated[str, typer.Option("--job", "-j", help="The job's id or exact title.")],
    settle: Annotated[
        float,
        typer.Option(min=0.2, help="Seconds a file must stay unchanged before it is sent."),
    ] = 2.0,
    url: UrlOption = None,
    debug: DebugOption = False,
) -> None:
    """Upload every photo put into DIR (and its subfolders) to a job, once, when complete.

    Photos already in DIR are uploaded at start unless an earlier run (or anyone) sent them.
    """
    run(_watch(url, directory, job, settle), debug=debug)
