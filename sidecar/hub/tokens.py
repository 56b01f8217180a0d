"""Mercure JWTs: finding one in a request, checking it (HS256 only), issuing subscriber ones."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt

from sidecar.hub.templates import TemplateError, compile_template

HUB_PATH = "/.well-known/mercure"
COOKIE_NAME = "mercureAuthorization"
MAX_SELECTORS = 1000
_ALGORITHMS = ["HS256"]
_NAMESPACED_CLAIM = "https://mercure.rocks/"


class TokenError(Exception):
    """A token is malformed, badly signed, expired or carries unusable claims (HTTP 401)."""


@dataclass(frozen=True, slots=True)
class Claims:
    """The `mercure` claim of a valid token, and its expiry (unix seconds) if any."""

    subscribe: tuple[str, ...] | None
    publish: tuple[str, ...] | None
    payload: Any
    expires_at: float | None
    subject: str | None = None
    """The token's `sub` (who it was issued to), if it is a string."""
    issued_at: float | None = None

    def scope(self, claim: str | None) -> str | None:
        """The payload's value for `claim` (see `HubConfig.scope_claim`), if it is a string."""
        if claim is None or not isinstance(self.payload, dict):
            return None
        value = self.payload.get(claim)
        return value if isinstance(value, str) else None


def pick_token(
    authorization: Sequence[str], query: Sequence[str], cookie: str | None
) -> str | None:
    """The token of a request, in Mercure's order: `Authorization: Bearer`, then the
    `authorization` query parameter, then the cookie. None if there is none at all."""
    if authorization:
        if len(authorization) != 1 or not authorization[0].startswith("Bearer "):
            raise TokenError('invalid "Authorization" header')
        return authorization[0][len("Bearer ") :].strip()
    if query:
        if len(query) != 1:
            raise TokenError('invalid "authorization" query parameter')
        return query[0]
    return cookie or None


def decode(token: str, key: str) -> Claims:
    """Check `token` against `key` (HS256 only; `exp` and `nbf` enforced) and read its claims."""
    try:
        claims = jwt.decode(token, key, algorithms=_ALGORITHMS, options={"verify_aud": False})
    except jwt.InvalidTokenError as exc:
        raise TokenError(f"invalid token: {exc}") from exc
    mercure = claims.get("mercure", claims.get(_NAMESPACED_CLAIM))
    if mercure is None:
        mercure = {}
    if not isinstance(mercure, dict):
        raise TokenError('the "mercure" claim must be an object')
    expires, issued, subject = claims.get("exp"), claims.get("iat"), claims.get("sub")
    return Claims(
        subscribe=_selectors(mercure, "subscribe"),
        publish=_selectors(mercure, "publish"),
        payload=mercure.get("payload"),
        expires_at=float(expires) if isinstance(expires, int | float) else None,
        subject=subject if isinstance(subject, str) else None,
        issued_at=float(issued) if isinstance(issued, int | float) else None,
    )


def _selectors(mercure: dict[str, Any], name: str) -> tuple[str, ...] | None:
    value = mercure.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TokenError(f'"mercure.{name}" must be a list of strings')
    if len(value) > MAX_SELECTORS:
        raise TokenError(f'"mercure.{name}" has more than {MAX_SELECTORS} selectors')
    for selector in value:
        try:
            compile_template(selector)
        except TemplateError as exc:
            raise TokenError(f'"mercure.{name}": {exc}') from exc
    return tuple(value)


def issue(
    key: str,
    *,
    subject: str,
    subscribe: Sequence[str],
    payload: Any,
    ttl_s: int,
    now: float | None = None,
) -> tuple[str, int]:
    """A subscriber token and its expiry (unix seconds). `iat` keeps milliseconds, so a token
    issued right after a revocation is told apart from one issued right before."""
    issued = round(time.time() if now is None else now, 3)
    expires = int(issued) + ttl_s
    claims = {
        "sub": subject,
        "iat": issued,
        "exp": expires,
        "mercure": {"subscribe": list(subscribe), "payload": payload},
    }
    return jwt.encode(claims, key, algorithm="HS256"), expires
