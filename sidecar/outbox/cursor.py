"""The consumer's persisted cursor and its lease, kept in PocketBase (`consumers` collection).

One process among several holds a consumer: it takes a lease with a deadline and renews it
every third of it; only the holder may move the cursor, and only forward
(pb_hooks/lib/consumers.js does each in one transaction, so the lease is also a fence against a
holder that lost it).

A holder's name is `<host>:<pid>:<process start time>` (`sidecar.instance`). A process
restarted on the same host (after `kill -9`, a crash) sees that the holder named in the lease
is a process of its own host that no longer exists, and takes the lease over at once instead
of waiting for its deadline; the server grants it only if that holder still holds it, so two
processes never both win.
"""

from __future__ import annotations

from typing import Any

from fieldsync import ApiError

from sidecar.instance import is_gone
from sidecar.session import SuperuserSession


class LeaseLost(Exception):
    """Another process holds the consumer now."""

    def __init__(self, message: str, holder: str = "") -> None:
        super().__init__(message)
        self.holder = holder


class ConsumerLease:
    def __init__(self, session: SuperuserSession, *, name: str, holder: str, ttl_s: float) -> None:
        self._session = session
        self._path = f"/api/fieldsync/consumers/{name}"
        self.holder = holder
        self.ttl_s = ttl_s
        self.held = False

    async def _post(self, suffix: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            answer = await self._session.call(
                lambda client: client.send(
                    "POST", self._path + suffix, json={"holder": self.holder, **body}
                )
            )
        except ApiError as exc:
            if exc.status == 409:
                self.held = False
                current = exc.data.get("holder") if isinstance(exc.data, dict) else None
                raise LeaseLost(exc.message, current if isinstance(current, str) else "") from exc
            raise
        assert isinstance(answer, dict)
        return answer

    async def acquire(self) -> int:
        """Take or renew the lease; returns the persisted cursor. Raises LeaseLost if another
        live process holds it (a dead holder of this host is replaced at once)."""
        try:
            answer = await self._post("/lease", {"ttl_s": self.ttl_s})
        except LeaseLost as lost:
            if not lost.holder or not is_gone(lost.holder):
                raise
            answer = await self._post("/lease", {"ttl_s": self.ttl_s, "replace": lost.holder})
        self.held = True
        return int(answer["cursor"])

    async def advance(self, cursor: int) -> None:
        """Persist `cursor` (everything up to it is handled). Raises LeaseLost."""
        await self._post("/cursor", {"cursor": cursor})

    async def release(self) -> None:
        if self.held:
            self.held = False
            await self._session.call(
                lambda client: client.send(
                    "DELETE", self._path + "/lease", json={"holder": self.holder}
                )
            )
