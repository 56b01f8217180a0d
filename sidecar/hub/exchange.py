"""`POST /.well-known/mercure/token`: a PocketBase user token in, a short subscriber JWT out.

The JWT may subscribe to the user's team topics only (`/teams/<team>/{+rest}`); office and
admin roles also get the subscriptions API. It is returned as JSON and set as the
`mercureAuthorization` cookie, scoped to the hub's path.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sidecar.hub.config import HubConfig
from sidecar.hub.errors import unauthorized
from sidecar.hub.tokens import COOKIE_NAME, Principal, issue

ResolveUser = Callable[[str], Awaitable[Principal | None]]

HUB_PATH = "/.well-known/mercure"

logger = logging.getLogger(__name__)


class TokenEndpoint:
    """Trades a PocketBase user token (resolved by `resolve_user`) for a subscriber JWT."""

    def __init__(self, config: HubConfig, resolve_user: ResolveUser) -> None:
        self._config = config
        self._resolve_user = resolve_user

    async def handle(self, request: Request) -> Response:
        header = request.headers.get("authorization", "").strip()
        pb_token = header.removeprefix("Bearer ").strip()
        principal = await self._resolve_user(pb_token) if pb_token else None
        if principal is None:
            return unauthorized("a valid PocketBase user token is required").response()
        config = self._config
        token, expires = issue(
            principal,
            config.subscriber_key,
            ttl_s=config.token_ttl_s,
            subscriptions=principal.role in config.subscriptions_roles,
        )
        logger.info("subscriber token issued", extra={"user": principal.user})
        response = JSONResponse(
            {"token": token, "expires": expires}, headers={"Cache-Control": "no-store"}
        )
        response.set_cookie(
            COOKIE_NAME,
            token,
            max_age=config.token_ttl_s,
            path=HUB_PATH,
            secure=config.cookie_secure,
            httponly=True,
            samesite="strict",
        )
        return response
