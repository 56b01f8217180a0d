"""Who the client is logged in as: a PocketBase token and its auth record.

The token's expiry is read from the JWT payload without verifying the signature (only
PocketBase can verify it; the client only needs to know when to refresh). Passwords are never
stored: refreshing uses the token itself (``auth-refresh``). Share one `AuthStore` between
clients to share a login, or subclass it to persist the token (override `save` and `clear`).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

from .models import Record

__all__ = ["AuthStore", "token_expiry", "token_payload"]


def token_payload(token: str) -> dict[str, Any]:
    """The JWT payload of `token` (not verified); ``{}`` if it is not a readable JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    segment = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        payload = json.loads(base64.urlsafe_b64decode(segment))
    except (binascii.Error, ValueError):
        return {}
    return payload if isinstance(payload, dict) else {}


def token_expiry(token: str) -> float | None:
    """The token's ``exp`` (unix seconds), or None if it has none or is unreadable."""
    exp = token_payload(token).get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        return float(exp)
    return None


class AuthStore:
    """The current token and auth record; empty when logged out."""

    def __init__(self, token: str = "", record: Record | None = None) -> None:
        self._token = token
        self._record = record

    @property
    def token(self) -> str:
        """The raw token sent as the ``Authorization`` header ("" when logged out)."""
        return self._token

    @property
    def record(self) -> Record | None:
        """The auth record (`User`, `Superuser`, ...) or None."""
        return self._record

    @property
    def collection(self) -> str:
        """The auth collection's name (``"users"``, ``"_superusers"``) or "" when unknown."""
        return self._record.collection_name if self._record is not None else ""

    @property
    def is_superuser(self) -> bool:
        return self.collection == "_superusers"

    @property
    def expires_at(self) -> float | None:
        """The token's expiry in unix seconds (None: no token, or no ``exp``)."""
        return token_expiry(self._token) if self._token else None

    def is_valid(self, now: float | None = None) -> bool:
        """A token is present, readable and not expired (loosely: the signature is not checked)."""
        if not self._token or not token_payload(self._token):
            return False
        expires_at = self.expires_at
        current = time.time() if now is None else now
        return expires_at is None or expires_at > current

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        """The token expires less than `seconds` from `now` (False if it never expires)."""
        expires_at = self.expires_at
        if expires_at is None:
            return False
        current = time.time() if now is None else now
        return expires_at - current < seconds

    def save(self, token: str, record: Record | None) -> None:
        """Store a new token and auth record (after a login or a refresh)."""
        self._token = token
        self._record = record

    def clear(self) -> None:
        """Log out: forget the token and the record."""
        self._token = ""
        self._record = None

    def __repr__(self) -> str:
        who = f"{self.collection}/{self._record.id}" if self._record is not None else "anonymous"
        return f"AuthStore({who})"
