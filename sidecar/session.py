"""The sidecar's superuser session with PocketBase, and its one retry policy.

Every call the sidecar makes to PocketBase goes through `SuperuserSession.call`:

- no answer (connection refused, timeout), a 5xx or a 429: PocketBase is away or overloaded,
  not the caller's fault. The call waits it out with backoff (one log line when PocketBase goes,
  one when it is back, however many calls wait) and tries again, for as long as it takes.
- 401: the token was refused (PocketBase restored from a backup, superuser re-created): log in
  again, then try again.
- any other 4xx: the request itself is wrong (a record gone, a rule refusing it). Retrying
  cannot help, so the SDK's typed error (`NotFound`, `BadRequest`...) reaches the caller as is.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from fieldsync import ApiError, AsyncClient, Backoff, TransportError

from sidecar.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")
Operation = Callable[[AsyncClient], Awaitable[T]]


def is_retryable(error: Exception) -> bool:
    """Whether `error` is a passing fault of PocketBase's (no answer, 5xx, 429)."""
    if isinstance(error, TransportError):
        return True
    return isinstance(error, ApiError) and (error.status >= 500 or error.status == 429)


class Outage:
    """Whether PocketBase answers; waits with backoff while it does not. Shared by every call
    of the process, so an outage is logged once, not once per waiting task."""

    def __init__(self, backoff: Backoff | None = None) -> None:
        self._backoff = backoff or Backoff(initial=0.2, maximum=5.0)
        self._since: float | None = None
        self._attempt = 0

    @property
    def down(self) -> bool:
        return self._since is not None

    async def wait(self, error: Exception) -> None:
        """Note a failed call and sleep before the caller tries again."""
        if self._since is None:
            self._since = time.monotonic()
            log.warning(
                "PocketBase is unavailable; retrying with backoff", extra={"error": str(error)}
            )
        delay = self._backoff.delay(self._attempt, random.random())
        self._attempt += 1
        await asyncio.sleep(delay)

    def ok(self) -> None:
        """Note a successful call."""
        if self._since is not None:
            log.info(
                "PocketBase is back", extra={"down_s": round(time.monotonic() - self._since, 1)}
            )
            self._since = None
            self._attempt = 0


class SuperuserSession:
    """The superuser's client, `login()` and `call()` with the retry policy above."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.client = AsyncClient(settings.pb_url)
        self.outage = Outage()
        self._relogin = asyncio.Lock()

    async def login(self) -> None:
        """Authenticate as the superuser, waiting while PocketBase is unavailable.

        Raises the SDK's `ApiError` if PocketBase refuses the credentials (nothing to wait for).
        """
        while True:
            try:
                await self.client.auth.superuser(
                    self._settings.pb_superuser_email,
                    self._settings.pb_superuser_password.get_secret_value(),
                )
            except (TransportError, ApiError) as exc:
                if not is_retryable(exc):
                    raise
                await self.outage.wait(exc)
                continue
            self.outage.ok()
            log.info("logged in to PocketBase", extra={"url": self._settings.pb_url})
            return

    async def call(self, operation: Operation[T]) -> T:
        """`await operation(client)`, waiting out outages and logging in again on a 401."""
        while True:
            token = self.client.auth_store.token
            try:
                result = await operation(self.client)
            except (TransportError, ApiError) as exc:
                if is_retryable(exc):
                    await self.outage.wait(exc)
                    continue
                if isinstance(exc, ApiError) and exc.status == 401:
                    await self._login_again(token, exc)
                    continue
                raise
            self.outage.ok()
            return result

    async def _login_again(self, refused: str, error: ApiError) -> None:
        """Log in once for all the calls that saw the same token refused."""
        async with self._relogin:
            if self.client.auth_store.token != refused:
                return  # another call logged in meanwhile
            log.warning(
                "PocketBase refused the superuser token; logging in again",
                extra={"error": str(error)},
            )
            await self.login()

    async def aclose(self) -> None:
        await self.client.aclose()
