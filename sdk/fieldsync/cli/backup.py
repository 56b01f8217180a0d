"""`fieldsync backup create|list|download|restore`: PocketBase's backups (superusers only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .._async.client import AsyncClient
from ..models import Backup
from .console import console
from .errors import fail, run
from .options import DebugOption, JsonOption, UrlOption
from .session import logged_in

__all__ = ["app"]

app = typer.Typer(
    help="Server backups through PocketBase's backup API (log in with --admin).",
    no_args_is_help=True,
)


def _superuser(client: AsyncClient) -> None:
    if not client.auth.is_superuser:
        fail("backups need a superuser login: run `fieldsync login --admin`")


def _document(backup: Backup) -> dict[str, object]:
    return backup.model_dump(mode="json")


async def _create(url: str | None, name: str | None) -> Backup:
    async with logged_in(url) as client:
        _superuser(client)
        before = {backup.key for backup in await client.backups.list()}
        await client.backups.create(name)
        made = [backup for backup in await client.backups.list() if backup.key not in before]
        if not made:
            fail("PocketBase reported no new backup")
        return made[0]


@app.command()
def create(
    name: Annotated[
        str | None, typer.Argument(help="File name, [a-z0-9_-]+.zip (default: the time).")
    ] = None,
    as_json: JsonOption = False,
    url: UrlOption = None,
    debug: DebugOption = False,
) -> None:
    """Make a backup of the whole server now."""
    backup = run(_create(url, name), debug=debug)
    if as_json:
        console.json(_document(backup))
    else:
        console.data(backup.key)
        console.success(f"backup {backup.key} made ({backup.size:,} bytes)")


async def _list(url: str | None) -> list[Backup]:
    async with logged_in(url) as client:
        _superuser(client)
        return await client.backups.list()


@app.command("list")
def list_backups(
    as_json: JsonOption = False, url: UrlOption = None, debug: DebugOption = False
) -> None:
    """The server's backups, newest first."""
    backups = run(_list(url), debug=debug)
    if as_json:
        console.json([_document(backup) for backup in backups])
        return
    table = Table(box=None, header_style="bold")
    for column, justify in (("name", "left"), ("size", "right"), ("modified", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for backup in backups:
        modified = backup.modified.strftime("%Y-%m-%d %H:%M:%S UTC") if backup.modified else ""
        table.add_row(backup.key, f"{backup.size:,}", modified)
    console.table(table)


async def _download(url: str | None, name: str, target: Path) -> Path:
    async with logged_in(url) as client:
        _superuser(client)
        return await client.backups.download(name, target)


@app.command()
def download(
    name: Annotated[str, typer.Argument(help="The backup's name (see `backup list`).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to save it (default: ./NAME).")
    ] = None,
    url: UrlOption = None,
    debug: DebugOption = False,
) -> None:
    """Save a backup to this computer (written whole or not at all)."""
    target = output or Path(Path(name).name)
    if target.is_dir():
        target = target / Path(name).name
    saved = run(_download(url, name, target), debug=debug)
    console.success(f"saved {saved} ({saved.stat().st_size:,} bytes)")


async def _restore(url: str | None, name: str) -> None:
    async with logged_in(url) as client:
        _superuser(client)
        await client.backups.restore(name)


@app.command()
def restore(
    name: Annotated[str, typer.Argument(help="The backup to restore.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    url: UrlOption = None,
    debug: DebugOption = False,
) -> None:
    """Replace ALL the server's data with a backup; PocketBase restarts to load it."""
    if not yes:
        typer.confirm(
            f"Replace all data on the server with {name}? Changes since then are lost.",
            abort=True,
            err=True,
        )
    run(_restore(url, name), debug=debug)
    console.success(f"restoring {name}: the server restarts with it in a moment")
