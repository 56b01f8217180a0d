"""`fieldsync upload FILE... --job JOB`: progress per file and in total; safe to re-run."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import TaskID

from .console import console
from .errors import fail, run
from .lookup import find_job
from .options import DebugOption, UrlOption
from .session import logged_in
from .uploader import Outcome, Uploaded, Uploader

__all__ = ["upload"]


def _check_files(files: list[Path]) -> None:
    for path in files:
        if not path.exists():
            fail(f"no such file: {path}")
        if not path.is_file():
            fail(f"not a file: {path}")


def _report(result: Uploaded) -> None:
    if result.outcome is Outcome.FAILED:
        console.data(f"failed            {result.path}: {result.error}")
    else:
        assert result.photo is not None
        console.data(f"{result.outcome.value:<17} {result.path} -> {result.photo.id}")


async def _upload(
    url: str | None, files: list[Path], job_ref: str, caption: str | None, parallel: int
) -> list[Uploaded]:
    _check_files(files)
    async with logged_in(url) as client:
        job = await find_job(client, job_ref)
        uploader = Uploader(client, job, caption=caption)
        gate = asyncio.Semaphore(parallel)
        sizes = {path: path.stat().st_size for path in files}
        with console.transfer_progress() as progress:
            total = progress.add_task(f"{len(files)} files", total=sum(sizes.values()))

            async def one(path: Path) -> Uploaded:
                async with gate:
                    task = progress.add_task(path.name, total=sizes[path])
                    sent = [0]

                    def advance(count: int, task: TaskID = task) -> None:
                        sent[0] += count
                        progress.advance(task, count)
                        progress.advance(total, count)

                    result = await uploader.upload(path, advance)
                    # Count skipped and failed files fully in the total; drop the file's bar.
                    progress.advance(total, sizes[path] - sent[0])
                    progress.remove_task(task)
                    _report(result)
                    return result

            return list(await asyncio.gather(*(one(path) for path in files)))


def upload(
    files: Annotated[list[Path], typer.Argument(help="Photos to upload.", show_default=False)],
    job: Annotated[str, typer.Option("--job", "-j", help="The job's id or exact title.")],
    caption: Annotated[str | None, typer.Option(help="A caption for every photo.")] = None,
    parallel: Annotated[int, typer.Option(min=1, max=32, help="Files uploaded at once.")] = 4,
    url: UrlOption = None,
    debug: DebugOption = False,
) -> None:
    """Upload photos to a job. Files already there (same bytes) are not sent again."""
    results = run(_upload(url, files, job, caption, parallel), debug=debug)
    counts = {outcome: sum(r.outcome is outcome for r in results) for outcome in Outcome}
    summary = ", ".join(f"{counts[outcome]} {outcome.value}" for outcome in Outcome)
    if counts[Outcome.FAILED]:
        console.error(f"{counts[Outcome.FAILED]} of {len(results)} files failed ({summary})")
        raise typer.Exit(1)
    console.success(summary)
