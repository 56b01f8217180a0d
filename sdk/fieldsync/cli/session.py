"""The saved login: a token file in the user's config dir, and clients built from it.

``login.json`` (mode 0600, in ``typer.get_app_dir("fieldsync")``) holds the server URL, the
PocketBase token, the auth record and whether it is a superuser; never a password. Each
command starts from it, refreshes the token through the SDK (``auth-refresh``) at most once an
hour, and writes every new token back, so a login stays alive as long as it is used.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import typer

from .._async.client import AsyncClient
from ..auth_store import AuthStore
from ..errors import Unauthorized
from ..models import AUTH_MODELS, Record
from .errors import fail

__all__ = ["SavedLogin", "config_dir", "logged_in", "login_path", "normalize_url"]

REFRESH_EVERY_S = 3600.0
"""Refresh the saved token when it was last refreshed longer ago than this."""


def config_dir() -> Path:
    return Path(typer.get_app_dir("fieldsync"))


def login_path() -> Path:
    return config_dir() / "login.json"


def normalize_url(url: str) -> str:
    """`url` without a trailing slash; a usage error (exit 2) if it is not http(s)."""
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise typer.BadParameter(f"{url!r} is not an http:// or https:// URL", param_hint="'--url'")
    return url


def _write_private(path: Path, text: str) -> None:
    """Write `path` atomically, readable by its owner only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


class SavedLogin(AuthStore):
    """An `AuthStore` that keeps itself in the token file: every `save` writes it."""

    def __init__(self, url: str, token: str = "", record: Record | None = None) -> None:
        super().__init__(token, record)
        self.url = url
        self.refreshed_at = time.time()

    @classmethod
    def load(cls) -> SavedLogin | None:
        """The saved login, or None if there is none (or the file is unreadable)."""
        try:
            raw: Any = json.loads(login_path().read_text(encoding="utf-8"))
            collection = "_superusers" if raw["superuser"] else "users"
            record = AUTH_MODELS[collection].model_validate(raw["record"])
            login = cls(str(raw["url"]), str(raw["token"]), record)
            login.refreshed_at = float(raw.get("refreshed_at", 0))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return login

    def save(self, token: str, record: Record | None) -> None:
        super().save(token, record)
        self.refreshed_at = time.time()
        if self.record is None:
            return
        document = {
            "url": self.url,
            "token": self.token,
            "superuser": self.is_superuser,
            "record": self.record.model_dump(mode="json", by_alias=True, exclude={"expand"}),
            "refreshed_at": self.refreshed_at,
        }
        _write_private(login_path(), json.dumps(document, indent=1))

    def clear(self) -> None:
        super().clear()
        login_path().unlink(missing_ok=True)


@asynccontextmanager
async def logged_in(url: str | None) -> AsyncIterator[AsyncClient]:
    """A client with the saved login (refreshed if due); fails with one line if there is none.

    `url` (``--url``/``FIELDSYNC_URL``), when given, must be the server of the saved login.
    """
    login = SavedLogin.load()
    if login is None or not login.token:
        fail("not logged in: run `fieldsync login --url URL` first")
    if url is not None and normalize_url(url) != login.url:
        fail(f"logged in to {login.url}, not {normalize_url(url)}: run `fieldsync login` again")
    if not login.is_valid():
        fail(f"the login to {login.url} has expired: run `fieldsync login` again")
    async with AsyncClient(login.url, auth_store=login) as client:
        if time.time() - login.refreshed_at > REFRESH_EVERY_S:
            try:
                await client.auth.refresh()
            except Unauthorized:
                fail(f"the login to {login.url} is no longer valid: run `fieldsync login` again")
        yield client
