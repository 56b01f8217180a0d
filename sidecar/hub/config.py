"""The hub's configuration; the sidecar's settings map `FIELDSYNC_*` variables onto it."""

from __future__ import annotations

from dataclasses import dataclass

_MIN_KEY_BYTES = 32


@dataclass(frozen=True, slots=True, kw_only=True)
class HubConfig:
    """Hub settings. Keys are HS256 secrets of at least 32 bytes."""

    subscriber_key: str
    publisher_key: str
    anonymous: bool = False
    """Let requests without a token subscribe (they only get public updates)."""
    heartbeat_s: float = 15.0
    history_size: int = 10_000
    """Updates kept in memory for replay; older ones are read from the durable log."""
    history_page: int = 500
    """Updates read from the durable log per request while replaying."""
    max_queue: int = 1_000
    """Updates buffered for one subscriber (replaying, or its socket is full) before it is
    dropped; its client reconnects with Last-Event-ID and loses nothing."""
    token_ttl_s: int = 3600
    max_data_bytes: int = 1_000_000
    cookie_secure: bool = True
    subscriptions_roles: frozenset[str] = frozenset({"office", "admin"})
    """Roles whose exchanged token may read the subscriptions API (for their team)."""
    close_timeout_s: float = 5.0
    """How long `Hub.close()` waits for streams to end."""

    def __post_init__(self) -> None:
        for name in ("subscriber_key", "publisher_key"):
            if len(getattr(self, name).encode()) < _MIN_KEY_BYTES:
                raise ValueError(f"{name} must be at least {_MIN_KEY_BYTES} bytes")
        for name in ("heartbeat_s", "history_size", "history_page", "max_queue", "token_ttl_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
