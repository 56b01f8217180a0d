"""`fieldsync login`, `logout` and `whoami`: the saved login (see `session.py`)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .._async.client import AsyncClient
from ..errors import Unauthorized
from ..models import Superuser, User
from .console import console
from .errors import fail, run
from .options import DebugOption, JsonOption, UrlOption
from .session import SavedLogin, logged_in, login_path, normalize_url

__all__ = ["login", "logout", "whoami"]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, err=True)
    if not password:
        raise typer.BadParameter("no password given", param_hint="'--password-stdin'")
    return password


async def _login(url: str, email: str, password: str, admin: bool) -> str:
    store = SavedLogin(url)
    async with AsyncClient(url, auth_store=store) as client:
        try:
            if admin:
                record: User | Superuser = await client.auth.superuser(email, password)
            else:
                record = await client.auth.with_password(email, password)
        except Unauthorized:
            fail(f"wrong email or password for {email} on {url}")
    kind = "superuser"
    if isinstance(record, User):
        kind = record.role.value if record.role else "user"
    return f"logged in to {url} as {email} ({kind})"


def login(
    url: UrlOption = None,
    email: Annotated[
        str | None, typer.Option("--email", "-e", help="Your login email (prompted if absent).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin's first line.")
    ] = False,
    admin: Annotated[
        bool, typer.Option("--admin", help="Log in as a PocketBase superuser.")
    ] = False,
    debug: DebugOption = False,
) -> None:
    """Log in and keep the token in your config dir (mode 0600); the password is not kept."""
    if url is None:
        saved = SavedLogin.load()
        if saved is None:
            raise typer.BadParameter("which server? pass --url URL or set FIELDSYNC_URL")
        url = saved.url
    server = normalize_url(url)
    if email is None:
        email = typer.prompt("Email", err=True)
    password = _password(password_stdin)
    console.success(run(_login(server, email, password, admin), debug=debug))


def logout() -> None:
    """Forget the saved login."""
    path = login_path()
    if path.exists():
        path.unlink()
        console.success("logged out")
    else:
        console.info("not logged in")


async def _whoami(url: str | None) -> dict[str, object]:
    async with logged_in(url) as client:
        record = await client.auth.refresh()
        info: dict[str, object] = {
            "url": client.base_url,
            "id": record.id,
            "superuser": client.auth.is_superuser,
            "expires": client.auth_store.expires_at,
        }
        if isinstance(record, User):
            team = await client.teams.get(record.team) if record.team else None
            info |= {
                "email": record.email,
                "name": record.name,
                "role": record.role.value if record.role else None,
                "team": record.team,
                "team_name": team.name if team else None,
            }
        elif isinstance(record, Superuser):
            info |= {"email": record.email}
        return info


def whoami(url: UrlOption = None, as_json: JsonOption = False, debug: DebugOption = False) -> None:
    """Who you are logged in as, where (checked with the server)."""
    info = run(_whoami(url), debug=debug)
    if as_json:
        console.json(info)
        return
    if info["superuser"]:
        console.data(f"{info['email']} (superuser) at {info['url']}")
    else:
        console.data(
            f"{info['email']} ({info['role']}, team {info['team_name']} [{info['team']}]) "
            f"at {info['url']}"
        )
