"""The sidecar's configuration: one frozen object built from `FIELDSYNC_*` env vars at start.

A missing or bad value fails at start, naming the variable. No other module reads the
environment; tests build `Settings(...)` directly.
"""

from __future__ import annotations

import os
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from sidecar.instance import instance_name


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIELDSYNC_", frozen=True, extra="ignore")

    pb_url: str = "http://127.0.0.1:8090"
    """PocketBase's base URL."""
    pb_superuser_email: str
    pb_superuser_password: SecretStr

    http_host: str = "127.0.0.1"
    http_port: int = Field(8091, ge=1, le=65535)
    public_url: str = ""
    """The address people's browsers use (the HTTPS front door), e.g. https://shop.local:8443.
    When it is https, the hub's cookie is `Secure` whatever the proxy tells."""
    trusted_proxies: str = "127.0.0.1"
    """Addresses whose X-Forwarded-For / X-Forwarded-Proto are believed (the front door);
    comma-separated, as uvicorn's `forwarded_allow_ips`."""
    log_level: str = "INFO"
    metrics_token: SecretStr | None = None
    """Bearer token for `/metrics` and `/healthz` details (off without one)."""

    consumer_name: str = "sidecar"
    """The outbox consumer (cursor + lease) this process competes for."""
    instance: str = Field(default_factory=instance_name)
    """This process's name as a lease holder (`<host>:<pid>:<start time>` lets a restart on
    the same host take over a dead holder's lease at once)."""
    lease_ttl_s: float = Field(10.0, ge=2, le=300)
    """Another host takes over a lapsed lease after this; it is renewed every third of it."""
    poll_interval_s: float = Field(10.0, gt=0)
    """Safety poll of the outbox; PocketBase realtime is the wake-up signal."""
    batch_size: int = Field(100, ge=1, le=500)
    concurrency: int = Field(8, ge=1, le=64)
    """Events handled at once (thumbnails run in the worker pool)."""
    max_attempts: int = Field(5, ge=1)
    """Tries for one event before it is recorded as failed and skipped."""
    outbox_retention_days: float = Field(30.0, gt=0)
    """Events older than this are deleted (hourly); replay reaches back this far."""
    outbox_trim_interval_s: float = Field(3600.0, gt=0)

    thumb_long_edge: int = Field(480, ge=32, le=4096)
    thumb_workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    thumb_max_megapixels: int = Field(100, ge=1)
    thumb_worker_memory_mb: int = Field(384, ge=128)
    """Memory one thumbnail worker may use (MiB), enforced as its data limit (RLIMIT_DATA):
    64 for the worker itself, the rest for decoding a photo. A photo that would need more
    fails with a message saying so (docs/thumbnails.md)."""

    hub_subscriber_key: SecretStr
    hub_publisher_key: SecretStr
    hub_anonymous: bool = False
    """Allow subscribers without a token (they only ever receive public updates)."""
    hub_heartbeat_s: float = Field(15.0, gt=0)
    hub_history_size: int = Field(5000, ge=0)
    hub_token_ttl_s: int = Field(900, ge=60)
    """Lifetime of hub tokens; pages renew them before they expire."""
    hub_token_requests_per_minute: int = Field(30, ge=1)
    """Token exchanges one client address may make per minute (429 past it)."""
    hub_max_queue: int = Field(1000, ge=10)
    hub_max_connections_per_subscriber: int = Field(16, ge=1)
    """Open hub streams one user (token subject) may hold: tabs, phones, scripts."""
    hub_max_connections_per_ip: int = Field(256, ge=1)
    """Open hub streams from one client address (a shop behind one NAT shares it)."""
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    """Comma-separated origins allowed to call the hub from a browser."""

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level

    # --- Web Push
    push_vapid_private_key: SecretStr | None = None
    """Raw base64url P-256 private key (`python -m sidecar.push.vapid` makes one; `run.sh`
    keeps it in `.fieldsync/`). Push is off without it."""
    push_subject: str = "mailto:admin@fieldsync.invalid"
    """The VAPID `sub`, how a push service reaches the operator: `mailto:` or `https:` URL."""
    push_allowed_hosts: Annotated[tuple[str, ...], NoDecode] = (
        "fcm.googleapis.com",
        "updates.push.services.mozilla.com",
        "*.push.apple.com",
        "*.notify.windows.com",
    )
    """Push services endpoints may point at: `host`, `*.domain` (https) or `scheme://host:port`.
    PocketBase reads the same variable when subscriptions are stored."""
    push_concurrency: int = Field(16, ge=1, le=256)
    """Requests to push services at once."""
    push_timeout_s: float = Field(10.0, gt=0, le=120)
    """Per request to a push service, connecting included."""
    push_ttl_s: int = Field(86400, ge=0, le=28 * 86400)
    """How long a push service keeps an undelivered notification (`TTL`); also how long the
    sidecar keeps retrying one."""
    push_max_attempts: int = Field(5, ge=1, le=50)
    """Tries of one notification (429, 5xx, no answer) before it is given up."""
    push_retry_max_s: float = Field(300.0, gt=0, le=86400)
    """Longest wait between tries (a longer `Retry-After` is cut to it)."""
    push_claim_ttl_s: float = Field(30.0, ge=2, le=3600)
    """A sidecar's hold on the deliveries it sends (renewed every third of it); another
    sidecar takes them over when it lapses."""

    @field_validator("push_allowed_hosts", mode="before")
    @classmethod
    def _split_push_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(host.strip() for host in value.split(",") if host.strip())
        return value

    @field_validator("push_allowed_hosts")
    @classmethod
    def _known_push_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from sidecar.push.endpoints import parse_allowed_hosts

        parse_allowed_hosts(value)
        return value

    @field_validator("push_vapid_private_key")
    @classmethod
    def _vapid_key(cls, value: SecretStr | None) -> SecretStr | None:
        from sidecar.push.vapid import private_key

        if value is not None and value.get_secret_value().strip():
            private_key(value.get_secret_value())
            return value
        return None

    @field_validator("push_subject")
    @classmethod
    def _vapid_subject(cls, value: str) -> str:
        from sidecar.push.vapid import check_subject

        return check_subject(value)
