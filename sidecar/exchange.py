"""`POST /.well-known/mercure/token`: a PocketBase user token in, a short hub token out.

The hub token may subscribe to the user's team topics (`sidecar.events.team_selector`) and
to the subscriptions API (who of the team is online: the dashboard's presence list, the
phone's "office is online" sign); the hub keeps both to the user's team. It is returned as
JSON and set as the `mercureAuthorization` cookie, scoped to the hub's path, `Secure` when the
hub is reached over HTTPS.

Built to face hostile clients:
- what is not shaped like a live auth token of the users collection is refused here, without
  asking PocketBase;
- PocketBase is asked through the sidecar's superuser session (`/api/fieldsync/users/whois`),
  which PocketBase does not rate-limit, so forged tokens cannot spend the budget real users'
  requests need;
- a resolved token is remembered briefly (and forgotten when its user changes);
- each client address has its own budget of exchanges (429 with `Retry-After` past it).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import jwt
from fieldsync import NotFound
from fieldsync.auth_store import token_payload
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sidecar.events import Principal, team_selector
from sidecar.hub.errors import HubError, unauthorized
from sidecar.hub.tokens import COOKIE_NAME, HUB_PATH, issue
from sidecar.hub.topics import SUBSCRIPTIONS_SELECTOR
from sidecar.ratelimit import RateLimiter, retry_after
from sidecar.session import SuperuserSession

USERS_COLLECTION = "_pb_users_auth_"
"""The id PocketBase gives its built-in `users` collection."""
REMEMBER_S = 60.0
"""How long a resolved token is trusted without asking PocketBase again."""
_REMEMBERED = 10_000
_MAX_TOKEN_LENGTH = 4096
_RECORD_ID = re.compile(r"[a-z0-9]{15}")

ResolveUser = Callable[[str], Awaitable[Principal | None]]

logger = logging.getLogger(__name__)


def looks_like_a_user_token(token: str, now: float) -> bool:
    """Whether `token` could be a live PocketBase auth token of the users collection (its
    signature is for PocketBase to check)."""
    if len(token) > _MAX_TOKEN_LENGTH:
        return False
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        return False
    payload = token_payload(token)
    user, expires = payload.get("id"), payload.get("exp")
    return (
        header.get("alg") == "HS256"
        and payload.get("type") == "auth"
        and payload.get("collectionId") == USERS_COLLECTION
        and isinstance(user, str)
        and _RECORD_ID.fullmatch(user) is not None
        and isinstance(expires, int | float)
        and expires > now
    )


class PrincipalResolver:
    """Who a PocketBase user token belongs to: checked locally, then asked of PocketBase with
    the superuser session, and remembered for `REMEMBER_S`. Nobody (None) for a token that is
    invalid, expired, of another collection or of a user without a team and role."""

    def __init__(self, session: SuperuserSession) -> None:
        self._session = session
        self._known: OrderedDict[str, tuple[float, Principal]] = OrderedDict()

    async def __call__(self, pb_token: str) -> Principal | None:
        now = time.time()
        if not looks_like_a_user_token(pb_token, now):
            return None
        key = hashlib.sha256(pb_token.encode()).hexdigest()
        known = self._known.get(key)
        if known is not None and known[0] > now:
            return known[1]
        try:
            found = await self._session.call(
                lambda client: client.send(
                    "POST", "/api/fieldsync/users/whois", json={"token": pb_token}
                )
            )
        except NotFound:
            return None
        if not (isinstance(found, dict) and found.get("team") and found.get("role")):
            return None
        principal = Principal(
            user=str(found["id"]),
            team=str(found["team"]),
            role=str(found["role"]),
            name=str(found.get("name") or ""),
        )
        expires = min(now + REMEMBER_S, float(token_payload(pb_token)["exp"]))
        self._known[key] = (expires, principal)
        if len(self._known) > _REMEMBERED:
            self._known.popitem(last=False)
        return principal

    def forget(self, user: str) -> None:
        """Ask PocketBase again about every token of `user` (its role or team changed)."""
        for key in [k for k, (_, p) in self._known.items() if p.user == user]:
            del self._known[key]


class TokenExchange:
    """Trades a PocketBase user token for a hub token."""

    def __init__(
        self,
        key: str,
        resolve_user: ResolveUser,
        limiter: RateLimiter,
        *,
        ttl_s: int,
        public_https: bool,
    ) -> None:
        self._key = key
        self._resolve_user = resolve_user
        self._limiter = limiter
        self._ttl_s = ttl_s
        self._public_https = public_https

    def routes(self) -> list[Route]:
        return [Route(f"{HUB_PATH}/token", self.handle, methods=["POST"], name="mercure_token")]

    async def handle(self, request: Request) -> Response:
        client = request.client.host if request.client else ""
        wait = self._limiter.hit(client)
        if wait:
            message = "too many token requests from this address"
            return HubError(429, message, retry_after=retry_after(wait)).response()
        header = request.headers.get("authorization", "").strip()
        pb_token = header.removeprefix("Bearer ").strip()
        principal = await self._resolve_user(pb_token) if pb_token else None
        if principal is None:
            return unauthorized("a valid PocketBase user token is required").response()
        token, expires = issue(
            self._key,
            subject=principal.user,
            subscribe=[team_selector(principal.team), SUBSCRIPTIONS_SELECTOR],
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
            secure=self._public_https or request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )
        return response
