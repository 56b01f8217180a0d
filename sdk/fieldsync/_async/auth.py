"""Logging in and out (`client.auth`): password, superuser, refresh, clear."""

from __future__ import annotations

from typing import Any

from ..auth_store import AuthStore
from ..errors import BadRequest, Unauthorized
from ..models import Record, Superuser, User
from .transport import AsyncTransport

__all__ = ["AsyncAuthService"]


class AsyncAuthService:
    """The client's login. The token and record live in `store`; passwords are never kept.

    While a record is stored, a token that expires within the client's `refresh_margin` is
    refreshed (``auth-refresh``) before the next request, for users and superusers alike.
    """

    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport

    @property
    def store(self) -> AuthStore:
        return self._transport.auth_store

    @property
    def token(self) -> str:
        return self.store.token

    @property
    def record(self) -> Record | None:
        """The logged-in `User` or `Superuser` (None when anonymous)."""
        return self.store.record

    @property
    def is_valid(self) -> bool:
        """A token is stored and has not expired (loosely: not verified)."""
        return self.store.is_valid()

    @property
    def is_superuser(self) -> bool:
        return self.store.is_superuser

    async def _with_password(self, collection: str, identity: str, password: str) -> Any:
        try:
            body = await self._transport.request(
                "POST",
                f"/api/collections/{collection}/auth-with-password",
                json={"identity": identity, "password": password},
                auth=False,
            )
        except BadRequest as exc:
            if exc.data:  # a malformed request (e.g. blank identity): keep it a BadRequest
                raise
            # PocketBase answers wrong credentials with a bare 400 "Failed to authenticate."
            raise Unauthorized(exc.status, exc.message, exc.data, exc.url) from exc
        return body

    async def with_password(self, email: str, password: str) -> User:
        """Log in as a user (the ``users`` collection); `Unauthorized` if the password is wrong."""
        body = await self._with_password("users", email, password)
        record = self._transport.save_auth("users", body)
        assert isinstance(record, User)
        return record

    async def superuser(self, email: str, password: str) -> Superuser:
        """Log in as a superuser (``_superusers``); `Unauthorized` if the password is wrong."""
        body = await self._with_password("_superusers", email, password)
        record = self._transport.save_auth("_superusers", body)
        assert isinstance(record, Superuser)
        return record

    async def refresh(self) -> Record:
        """Get a fresh token for the current login now (`Unauthorized` once it has expired)."""
        return await self._transport.refresh_auth()

    def clear(self) -> None:
        """Log out (locally: PocketBase tokens are stateless)."""
        self.store.clear()
