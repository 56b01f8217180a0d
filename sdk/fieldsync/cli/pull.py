"""`fieldsync pull DIR [--follow] [--job JOB]`: the office PC's folder of photos.

Every photo of the team lands in ``DIR/<job title>-<job id>/<file name>`` (names made safe by
`safe_names`), streamed to a temp file under ``DIR/.fieldsync/partial/``, checked against its
sha256 and renamed into place, so no partial file is ever visible. `PullState` records what is
there, so a re-run (or a restart after a kill) downloads only what is missing. Photos deleted
on the server move to ``DIR/.deleted/``. With --follow, the hub's live events drive it, and
every (re)connection is followed by a REST catch-up, so nothing missed while away is lost.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress

from .._async.client import AsyncClient
from ..backoff import Backoff
from ..errors import ApiError, FieldsyncError, NotFound, TransportError
from ..filters import build_filter
from ..models import Job, Photo
from .console import console
from .errors import describe, run
from .hub import Connected, HubEvent, HubFeed, describe_wait
from .lookup import find_job, my_team
from .options import DebugOption, HubUrlOption, UrlOption
from .pull_state import DELETED_DIR, PulledPhoto, PullState
from .safe_names import candidate_names, job_folder, safe_component
from .session import logged_in
from .uploader import sha256_file

__all__ = ["Puller", "pull"]

BLOCK_SIZE = 1024 * 1024


@dataclass
class Counts:
    downloaded: int = 0
    present: int = 0
    deleted: int = 0
    failed: int = 0

    def summary(self) -> str:
        return (
            f"{self.downloaded} downloaded, {self.present} already here, "
            f"{self.deleted} moved to {DELETED_DIR}/, {self.failed} failed"
        )


class Puller:
    """Brings `state.root` in line with the server: downloads, moves deleted photos away."""

    def __init__(
        self, client: AsyncClient, state: PullState, job: Job | None, parallel: int
    ) -> None:
        self._client = client
        self._state = state
        self._job = job
        self._gate = asyncio.Semaphore(parallel)
        self._titles: dict[str, str] = {}
        self._used = state.taken()
        """Relative paths of pulled files and of downloads in flight (never given twice)."""
        self.counts = Counts()

    def _filter(self) -> str:
        if self._job is not None:
            return build_filter(
                "team = {:team} && job = {:job}", team=self._state.team, job=self._job.id
            )
        return build_filter("team = {:team}", team=self._state.team)

    def _mine(self, photo: Photo) -> bool:
        return photo.team == self._state.team and (self._job is None or photo.job == self._job.id)

    async def reconcile(self) -> None:
        """Download every photo missing here; move away those gone from the server."""
        jobs = await self._client.jobs.all(
            filter=build_filter("team = {:team}", team=self._state.team), fields="id,title"
        )
        self._titles.update({job.id: job.title for job in jobs})
        photos = await self._client.photos.all(filter=self._filter(), sort="created,id")
        missing = [photo for photo in photos if not self._have(photo)]
        self.counts.present = len(photos) - len(missing)
        listed = {photo.id for photo in photos}
        for photo_id, pulled in list(self._state.photos.items()):
            if photo_id not in listed and (self._job is None or pulled.job == self._job.id):
                self._move_to_deleted(photo_id)
        if missing:
            with console.count_progress() as progress:
                task = progress.add_task("downloading", total=len(missing))
                await asyncio.gather(*(self._fetch(photo, progress, task) for photo in missing))
        self._state.flush()

    async def _fetch(self, photo: Photo, progress: Progress, task: Any) -> None:
        async with self._gate:
            await self.download(photo)
        progress.advance(task)

    def _have(self, photo: Photo) -> bool:
        """Pulled before and still here (a file changed on the PC is left as it is)."""
        pulled = self._state.photos.get(photo.id)
        return pulled is not None and (self._state.root / pulled.path).exists()

    async def apply(self, event: HubEvent) -> None:
        """Act on one live event (photo.* only; others are ignored)."""
        record = event.data.get("record") if isinstance(event.data, dict) else None
        if not isinstance(record, dict) or not event.type.startswith("photo."):
            return
        photo = Photo.model_validate(record)
        if not self._mine(photo):
            return
        if event.type == "photo.deleted":
            self._move_to_deleted(photo.id)
        elif not self._have(photo):
            async with self._gate:
                await self.download(photo.model_copy(update={"collection_name": "photos"}))
        self._state.last_event_id = event.id or self._state.last_event_id
        self._state.changed()

    async def _folder(self, job_id: str) -> str:
        folder = self._state.jobs.get(job_id)
        if folder is None:
            title = self._titles.get(job_id)
            if title is None:
                try:
                    title = (await self._client.jobs.get(job_id, fields="id,title")).title
                except NotFound:
                    title = "job"
            folder = job_folder(title, job_id)
            self._state.jobs[job_id] = folder
        return folder

    async def _place(self, photo: Photo) -> str | None:
        """A free relative path for a new `photo`, reserved for it; None when an identical
        file already sits at one of its names (then it is adopted, not downloaded)."""
        folder = await self._folder(photo.job)
        name = safe_component(photo.file, f"{photo.id}.bin")
        for candidate in candidate_names(name, photo.id):
            relative = f"{folder}/{candidate}"
            if relative in self._used:
                continue
            target = self._state.root / relative
            if not target.exists():
                self._used.add(relative)
                return relative
            if await asyncio.to_thread(sha256_file, target) == photo.sha256:
                self._used.add(relative)
                self._record(photo, relative, target.stat().st_size)
                return None
        raise AssertionError("unreachable: candidate names never run out")

    async def download(self, photo: Photo) -> None:
        """Fetch `photo` into its place: where it was (if its file went missing here) or a new
        free name. A file already in the folder is never overwritten."""
        pulled = self._state.photos.get(photo.id)
        relative = pulled.path if pulled else await self._place(photo)
        if relative is None:
            self.counts.present += 1
            return
        target = self._state.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = self._state.partial_dir / f"{photo.id}.part"
        try:
            size = await self._stream_to(photo, temp)
            os.replace(temp, target)
        except (FieldsyncError, OSError, ValueError) as exc:
            self.counts.failed += 1
            console.error(f"{relative}: {describe(exc)}")
            return
        finally:
            temp.unlink(missing_ok=True)
        self._record(photo, relative, size)
        self.counts.downloaded += 1
        console.data(f"downloaded  {relative}")

    async def _stream_to(self, photo: Photo, temp: Path) -> int:
        """Stream the file into `temp`, hashing it. Each block is hashed and written in a
        thread while the next one arrives, so neither holds up the event loop."""
        digest = hashlib.sha256()
        size = 0
        with temp.open("wb") as out:

            def consume(chunks: list[bytes]) -> None:
                for chunk in chunks:
                    digest.update(chunk)
                    out.write(chunk)

            writing: asyncio.Future[None] | None = None
            block: list[bytes] = []
            pending = 0
            async with self._client.files.stream(photo, "file") as response:
                async for chunk in response.aiter_bytes():
                    block.append(chunk)
                    pending += len(chunk)
                    if pending >= BLOCK_SIZE:
                        if writing is not None:
                            await writing
                        writing = asyncio.ensure_future(asyncio.to_thread(consume, block))
                        size, block, pending = size + pending, [], 0
            if writing is not None:
                await writing
            consume(block)
            size += pending
        if photo.sha256 and digest.hexdigest() != photo.sha256:
            raise ValueError(f"sha256 mismatch (got {digest.hexdigest()[:12]}...): not kept")
        return size

    def _record(self, photo: Photo, relative: str, size: int) -> None:
        self._state.photos[photo.id] = PulledPhoto(relative, photo.sha256, size, photo.job)
        self._state.changed()

    def _move_to_deleted(self, photo_id: str) -> None:
        pulled = self._state.photos.pop(photo_id, None)
        if pulled is None:
            return
        self._used.discard(pulled.path)
        source = self._state.root / pulled.path
        if source.exists():
            folder = (self._state.root / DELETED_DIR / pulled.path).parent
            target = next(
                folder / name
                for name in candidate_names(source.name, photo_id)
                if not (folder / name).exists()
            )
            folder.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
            self.counts.deleted += 1
            moved = target.relative_to(self._state.root).as_posix()
            console.data(f"deleted     {pulled.path} -> {moved}")
        self._state.changed()


async def _follow(puller: Puller, feed: HubFeed) -> None:
    """Apply live events; after every (re)connection catch up over REST. A server that is
    briefly unreachable (restarting, 5xx) is waited for with backoff, not fatal."""
    backoff = Backoff(initial=0.5, maximum=15.0)
    attempt = 0
    async for item in feed:
        while True:
            try:
                if isinstance(item, Connected):
                    await puller.reconcile()  # whatever happened while not connected
                else:
                    await puller.apply(item)
                attempt = 0
                break
            except (TransportError, ApiError) as exc:
                if isinstance(exc, ApiError) and exc.status < 500 and exc.status != 429:
                    raise
                delay = backoff.delay(attempt, random.random())
                attempt += 1
                console.warn(f"{describe(exc)}; trying again in {delay:.1f} s")
                await asyncio.sleep(delay)


async def _pull(
    url: str | None,
    hub_url: str | None,
    root: Path,
    job_ref: str | None,
    follow: bool,
    parallel: int,
) -> Counts:
    async with logged_in(url) as client:
        team = my_team(client)
        job = await find_job(client, job_ref) if job_ref else None
        state = PullState.open(root, client.base_url, team)
        puller = Puller(client, state, job, parallel)
        try:
            await puller.reconcile()
            if follow:
                console.info(f"{puller.counts.summary()}; following live changes (Ctrl-C stops)")
                topic = (
                    f"/teams/{team}/jobs/{job.id}/photos/{{photo}}"
                    if job
                    else f"/teams/{team}/photos/{{photo}}"
                )
                feed = HubFeed(
                    client,
                    hub_url or client.base_url,
                    [topic],
                    last_event_id=state.last_event_id,
                    on_wait=lambda reason, delay: console.warn(describe_wait(reason, delay)),
                )
                await _follow(puller, feed)
        finally:
            state.flush()
        return puller.counts


def pull(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="The folder to fill.")],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep following live changes.")
    ] = False,
    job: Annotated[
        str | None, typer.Option("--job", "-j", help="Only this job (id or exact title).")
    ] = None,
    parallel: Annotated[int, typer.Option(min=1, max=32, help="Downloads at once.")] = 4,
    url: UrlOption = None,
    hub_url: HubUrlOption = None,
    debug: DebugOption = False,
) -> None:
    """Download the team's photos into DIR/<job title>-<job id>/; re-runs fetch only what is new.

    Photos deleted on the server move to DIR/.deleted/. Nothing is ever deleted here.
    """
    counts = run(_pull(url, hub_url, directory, job, follow, parallel), debug=debug)
    if counts.failed:
        console.error(counts.summary())
        raise typer.Exit(1)
    console.success(counts.summary())
