"""The sidecar's superuser session with PocketBase: log in (waiting for it to be up), and log in
again when the token is refused (PocketBase restored from a backup, superuser re-created)."""

from __future__ import annotations

import logging

from fieldsync import AsyncClient, TransportError, Unauthorized

from sidecar.outbox.outage import Outage
from sidecar.settings import Settings

log = logging.getLogger(__name__)


class SuperuserSession:
    def __init__(self, settings: Settings, outage: Outage) -> None:
        self._settings = settings
        self._outage = outage
        self.client = AsyncClient(settings.pb_url)

    async def login(self) -> None:
        """Authenticate as the superuser, retrying while PocketBase is unreachable.

        Raises `Unauthorized` if the credentials are wrong (nothing to wait for then).
        """
        while True:
            try:
                await self.client.auth.superuser(
                    self._settings.pb_superuser_email,
                    self._settings.pb_superuser_password.get_secret_value(),
                )
            except TransportError as exc:
                await self._outage.wait(exc)
                continue
            self._outage.ok()
            log.info("logged in to PocketBase", extra={"url": self._settings.pb_url})
            return

    async def recover(self, error: Unauthorized) -> None:
        """The token was refused mid-run: log in again."""
        log.warning(
            "PocketBase refused the superuser token; logging in again", extra={"error": str(error)}
        )
        await self.login()

    async def aclose(self) -> None:
        await self.client.aclose()
