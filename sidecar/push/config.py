"""Web Push settings, parsed once: the VAPID key, the allowlist and the sending limits."""

from __future__ import annotations

from dataclasses import dataclass

from sidecar.push.endpoints import AllowedHost, parse_allowed_hosts
from sidecar.push.vapid import VapidKey
from sidecar.settings import Settings


@dataclass(frozen=True)
class PushConfig:
    vapid: VapidKey
    allowed_hosts: tuple[AllowedHost, ...]
    holder: str
    """This process's name as the holder of the deliveries it claims."""
    concurrency: int = 16
    timeout_s: float = 10.0
    ttl_s: int = 86400
    max_attempts: int = 5
    retry_max_s: float = 300.0
    claim_ttl_s: float = 30.0
    max_held: int = 10_000
    """Deliveries one process keeps in memory; more wait in PocketBase until there is room."""

    @classmethod
    def from_settings(cls, settings: Settings) -> PushConfig | None:
        """The configuration, or None when push is off (no VAPID key)."""
        if settings.push_vapid_private_key is None:
            return None
        return cls(
            vapid=VapidKey(
                settings.push_vapid_private_key.get_secret_value(), settings.push_subject
            ),
            allowed_hosts=parse_allowed_hosts(settings.push_allowed_hosts),
            holder=f"{settings.instance}/push",
            concurrency=settings.push_concurrency,
            timeout_s=settings.push_timeout_s,
            ttl_s=settings.push_ttl_s,
            max_attempts=settings.push_max_attempts,
            retry_max_s=settings.push_retry_max_s,
            claim_ttl_s=settings.push_claim_ttl_s,
        )
