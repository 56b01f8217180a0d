"""Mercure JWTs: finding one in a request, checking it (HS256 only), issuing subscriber ones."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt

from sidecar.hub.templates import TemplateError, compile_template
from sidecar.hub.topics import SUBSCRIPTIONS_SELECTOR, team_selector

COOKIE_NAME = "mercureAuthorization"
MAX_SELECTORS = 1000
_ALGORITHMS = ["HS256"]
_NAMESPACED_CLAIM = "https://mercure.rocks/"


class TokenError(Exception):
    """A token is malformed, badly signed, expired or carries unusable claims (HTTP 401)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """A PocketBase user as the token exchange sees it."""

    user: str
    team: str
    role: str


@dataclass(frozen=True, slots=True)
class Claims:
    """The `mercure` claim of a valid token, and its expiry (unix seconds) if any."""

    subscribe: tuple[str, ...] | None
    publish: tuple[str, ...] | None
    payload: Any
    expires_at: float | None

    @property
    def team(self) -> str | None:
        """The team of the payload, if the token has one."""
        payload = self.payload
        team = payload.get("team") if isinstance(payload, dict) else None
        return team if isinstance(team, str) else None


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
    expires = claims.get("exp")
    return Claims(
        subscribe=_selectors(mercure, "subscribe"),
        publish=_selectors(mercure, "publish"),
        payload=mercure.get("payload"),
        expires_at=float(expires) if isinstance(expires, int | float) else None,
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


def subscriber_selectors(principal: Principal, *, subscriptions: bool) -> list[str]:
    """What `principal` may subscribe to: its team's topics, plus the subscriptions API."""
    selectors = [team_selector(principal.team)]
    if subscriptions:
        selectors.append(SUBSCRIPTIONS_SELECTOR)
    return selectors


def issue(
    principal: Principal, key: str, *, ttl_s: int, subscriptions: bool, now: float | None = None
) -> tuple[str, int]:
    """A subscriber token for `principal` and its expiry (unix seconds)."""
    issued = int(time.time() if now is None else now)
    expires = issued + ttl_s
    claims = {
        "sub": principal.user,
        "iat": issued,
        "exp": expires,
        "mercure": {
            "subscribe": subscriber_selectors(principal, subscriptions=subscriptions),
            "payload": {"user": principal.user, "team": principal.team, "role": principal.role},
        },
    }
    return jwt.encode(claims, key, algorithm="HS256"), expires
