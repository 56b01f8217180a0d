"""The consumer's persisted cursor and its lease, kept in PocketBase (`consumers` collection).

One process among several holds a consumer: it takes a lease with a deadline and renews it;
only the holder may move the cursor, and only forward (pb_hooks/lib/consumers.js does both in
one transaction, so the lease is also a fence against a holder that lost it).
"""

from __future__ import annotations

from typing import Any

from fieldsync import AsyncClient
from fieldsync.errors import ApiError


class LeaseLost(Exception):
    """Another process holds the consumer now."""


class ConsumerLease:
    def __init__(self, client: AsyncClient, *, name: str, holder: str, ttl_s: float) -> None:
        self._client = client
        self._path = f"/api/fieldsync/consumers/{name}"
        self.holder = holder
        self.ttl_s = ttl_s
        self.held = False

    async def _post(self, suffix: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            answer = await self._client.send(
                "POST", self._path + suffix, json={"holder": self.holder, **body}
            )
        except ApiError as exc:
            if exc.status == 409:
                self.held = False
                raise LeaseLost(exc.message) from exc
            raise
        assert isinstance(answer, dict)
        return answer

    async def acquire(self) -> int:
        """Take or renew the lease; returns the persisted cursor. Raises LeaseLost if held."""
        answer = await self._post("/lease", {"ttl_s": self.ttl_s})
        self.held = True
        return int(answer["cursor"])

    async def advance(self, cursor: int) -> None:
        """Persist `cursor` (everything up to it is handled). Raises LeaseLost."""
        await self._post("/cursor", {"cursor": cursor})

    async def release(self) -> None:
        if self.held:
            self.held = False
            await self._client.send("DELETE", self._path + "/lease", json={"holder": self.holder})
