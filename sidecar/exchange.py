"""`POST /.well-known/mercure/token`: a PocketBase user token in, a short hub token out.

The hub token may subscribe to the user's team topics (`sidecar.events.team_selector`); office
and admin roles also get the subscriptions API. It is returned as JSON and set as the
`mercureAuthorization` cookie, scoped to the hub's path.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fieldsync import ApiError, AsyncClient, AuthStore
from fieldsync.auth_store import token_payload
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sidecar.events import Principal, team_selector
from sidecar.hub.errors import unauthorized
from sidecar.hub.tokens import COOKIE_NAME, HUB_PATH, issue
from sidecar.hub.topics import SUBSCRIPTIONS_SELECTOR

ResolveUser = Callable[[str], Awaitable[Principal | None]]

SUBSCRIPTIONS_ROLES = frozenset({"office", "admin"})
"""Roles whose hub token may read the subscriptions API (for their team)."""

logger = logging.getLogger(__name__)


class PrincipalResolver:
    """Who a PocketBase user token belongs to, asked of PocketBase itself. An invalid, expired
    or non-user token resolves to nobody."""

    def __init__(self, pb_url: str) -> None:
        self._pb_url = pb_url

    async def __call__(self, pb_token: str) -> Principal | None:
        user_id = token_payload(pb_token).get("id")
        if not isinstance(user_id, str) or not user_id:
            return None
        async with AsyncClient(self._pb_url, auth_store=AuthStore(token=pb_token)) as client:
            try:
                user = await client.users.get(user_id)
            except ApiError:
                return None  # PocketBase refused the token, or it is not a team user's
        if not user.team or user.role is None:
            return None
        return Principal(user=user.id, team=user.team, role=user.role.value, name=user.name)


class TokenExchange:
    """Trades a PocketBase user token (resolved by `resolve_user`) for a hub token."""

    def __init__(
        self, key: str, resolve_user: ResolveUser, *, ttl_s: int, cookie_secure: bool
    ) -> None:
        self._key = key
        self._resolve_user = resolve_user
        self._ttl_s = ttl_s
        self._cookie_secure = cookie_secure

    def routes(self) -> list[Route]:
        return [Route(f"{HUB_PATH}/token", self.handle, methods=["POST"], name="mercure_token")]

    async def handle(self, request: Request) -> Response:
        header = request.headers.get("authorization", "").strip()
        pb_token = header.removeprefix("Bearer ").strip()
        principal = await self._resolve_user(pb_token) if pb_token else None
        if principal is None:
            return unauthorized("a valid PocketBase user token is required").response()
        selectors = [team_selector(principal.team)]
        if principal.role in SUBSCRIPTIONS_ROLES:
            selectors.append(SUBSCRIPTIONS_SELECTOR)
        token, expires = issue(
            self._key,
            subject=principal.user,
            subscribe=selectors,
            payload=principal.payload(),
            ttl_s=self._ttl_s,
        )
        logger.info("subscriber token issued", extra={"user": principal.user})
        response = JSONResponse(
            {"token": token, "expires": expires}, headers={"Cache-Control": "no-store"}
        )
        response.set_cookie(
            COOKIE_NAME,
            token,
            max_age=self._ttl_s,
            path=HUB_PATH,
            secure=self._cookie_secure,
            httponly=True,
            samesite="strict",
        )
        return response
