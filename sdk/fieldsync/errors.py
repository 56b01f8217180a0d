"""Errors the fieldsync SDK raises.

Everything the SDK raises on purpose derives from `FieldsyncError`::

    FieldsyncError                 catch this to catch everything below
    ├── TransportError             no response came: connect refused, timeout, connection dropped
    ├── SubscriptionTimeout        a realtime subscription saw no event within its `max_idle`
    │                              (also a builtin `TimeoutError`)
    └── ApiError                   PocketBase answered with an error: .status .message .data .url
        ├── BadRequest             400: validation failed; .data maps field -> {code, message}
        ├── Unauthorized           401, and wrong credentials (PocketBase answers those with 400)
        ├── Forbidden              403: e.g. a superuser-only collection
        ├── NotFound               404: missing, or hidden by an API rule
        └── TooManyRequests        429: a PocketBase rate limit

httpx's own exceptions never escape: `_async/transport.py` maps them once, in the context
manager `map_httpx_errors`. This module only describes errors; it does no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ApiError",
    "BadRequest",
    "FieldsyncError",
    "Forbidden",
    "NotFound",
    "SubscriptionTimeout",
    "TooManyRequests",
    "TransportError",
    "Unauthorized",
    "api_error",
]


class FieldsyncError(Exception):
    """Root of every error the SDK raises."""


class TransportError(FieldsyncError):
    """No response came from PocketBase (connect refused, timeout, connection dropped).

    The httpx exception is kept as `__cause__`; `url` is the request's URL.
    """

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.url = url


class SubscriptionTimeout(FieldsyncError, TimeoutError):
    """A realtime subscription delivered no event within its `max_idle` seconds."""


class ApiError(FieldsyncError):
    """PocketBase answered with an error status.

    Attributes:
        status: the HTTP status code.
        message: PocketBase's human-readable message, e.g. ``"Failed to create record."``.
        data: PocketBase's per-field details, e.g.
            ``{"id": {"code": "validation_not_unique", "message": "Value must be unique."}}``.
        url: the request's URL.
    """

    def __init__(
        self,
        status: int,
        message: str,
        data: Mapping[str, Any] | None = None,
        url: str = "",
    ) -> None:
        super().__init__(f"{status}: {message}" if message else str(status))
        self.status = status
        self.message = message
        self.data: dict[str, Any] = dict(data or {})
        self.url = url

    @property
    def field_codes(self) -> dict[str, str]:
        """Field name -> PocketBase error code, e.g. ``{"id": "validation_not_unique"}``."""
        codes: dict[str, str] = {}
        for name, detail in self.data.items():
            if isinstance(detail, Mapping) and isinstance(detail.get("code"), str):
                codes[name] = detail["code"]
        return codes

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, message={self.message!r}, "
            f"data={self.data!r}, url={self.url!r})"
        )


class BadRequest(ApiError):
    """400: the request was invalid; `data` says which fields and why."""


class Unauthorized(ApiError):
    """401: missing or invalid auth; also raised for wrong credentials."""


class Forbidden(ApiError):
    """403: authenticated, but not allowed (e.g. a superuser-only collection)."""


class NotFound(ApiError):
    """404: the record does not exist, or an API rule hides it from you."""


class TooManyRequests(ApiError):
    """429: a PocketBase rate limit was hit."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    429: TooManyRequests,
}


def api_error(status: int, body: object, url: str = "") -> ApiError:
    """The `ApiError` subclass for `status`, filled from PocketBase's JSON error `body`.

    PocketBase errors look like ``{"status": 400, "message": "...", "data": {...}}``; any other
    body (HTML from a proxy, empty) still gives an error with a generic message.
    """
    message = ""
    data: Mapping[str, Any] = {}
    if isinstance(body, Mapping):
        raw_message = body.get("message")
        if isinstance(raw_message, str):
            message = raw_message
        raw_data = body.get("data")
        if isinstance(raw_data, Mapping):
            data = raw_data
    if not message:
        message = f"HTTP {status}"
    return _BY_STATUS.get(status, ApiError)(status, message, data, url)
