"""The hub's configuration. The sidecar builds it from its `Settings` (the one place where
settings have defaults); what has a default here is not configurable from outside."""

from __future__ import annotations

from dataclasses import dataclass

_MIN_KEY_BYTES = 32


@dataclass(frozen=True, slots=True, kw_only=True)
class HubConfig:
    """Hub settings. Keys are HS256 secrets of at least 32 bytes."""

    subscriber_key: str
    publisher_key: str
    anonymous: bool
    """Let requests without a token subscribe (they only get public updates)."""
    heartbeat_s: float
    history_size: int
    """Updates kept in memory for replay; older ones are read from the durable log."""
    max_queue: int
    """Updates buffered for one subscriber (replaying, or its socket is full) before it is
    dropped; its client reconnects with Last-Event-ID and loses nothing."""
    max_connections_per_subscriber: int
    """Open streams one token subject (`sub`) may hold at once; 429 past it."""
    max_connections_per_ip: int
    """Open streams one client address may hold at once; 429 past it."""
    scope_claim: str | None = None
    """A key of the subscriber token's `mercure.payload` that partitions subscribers (fieldsync:
    the team). A subscriber with a scope sees only its scope in the subscriptions API."""
    max_topics: int = 50
    """`topic` parameters in one subscribe request."""
    max_template_length: int = 256
    """Characters of one URI template a subscriber asks for (exact topics may have 1,024)."""
    max_template_expressions: int = 8
    """`{...}` expressions in one URI template a subscriber asks for."""
    history_page: int = 500
    """Updates read from the durable log per request while replaying."""
    max_data_bytes: int = 1_000_000
    close_timeout_s: float = 5.0
    """How long `Hub.close()` waits for streams to end."""

    def __post_init__(self) -> None:
        for name in ("subscriber_key", "publisher_key"):
            if len(getattr(self, name).encode()) < _MIN_KEY_BYTES:
                raise ValueError(f"{name} must be at least {_MIN_KEY_BYTES} bytes")
        for name in (
            "heartbeat_s",
            "history_size",
            "history_page",
            "max_queue",
            "max_connections_per_subscriber",
            "max_connections_per_ip",
            "max_topics",
            "max_template_length",
            "max_template_expressions",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
