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
    log_level: str = "INFO"

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

    thumb_long_edge: int = Field(480, ge=32, le=4096)
    thumb_workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    thumb_max_megapixels: int = Field(100, ge=1)

    hub_subscriber_key: SecretStr
    hub_publisher_key: SecretStr
    hub_anonymous: bool = False
    """Allow subscribers without a token (they only ever receive public updates)."""
    hub_heartbeat_s: float = Field(15.0, gt=0)
    hub_history_size: int = Field(5000, ge=0)
    hub_token_ttl_s: int = Field(3600, ge=60)
    hub_max_queue: int = Field(1000, ge=10)
    hub_cookie_secure: bool = False
    """Mark the `mercureAuthorization` cookie Secure (turn on behind HTTPS)."""
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
