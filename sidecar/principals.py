"""Who a PocketBase user token belongs to, asked of PocketBase itself (for the hub's token
exchange). An invalid, expired or non-user token resolves to nobody."""

from __future__ import annotations

from fieldsync import ApiError, AsyncClient, AuthStore
from fieldsync.auth_store import token_payload

from sidecar.hub.tokens import Principal


class PrincipalResolver:
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
        return Principal(user=user.id, team=user.team, role=user.role.value)
