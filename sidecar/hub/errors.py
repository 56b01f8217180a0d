"""Refusals the hub answers with: JSON `{"status", "message"}`, `WWW-Authenticate` on 401."""

from __future__ import annotations

from starlette.responses import JSONResponse

_REALM = 'Bearer realm="mercure"'


class HubError(Exception):
    """A request the hub refuses; `response()` is what the client gets."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        invalid_token: bool = False,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.invalid_token = invalid_token
        self.retry_after = retry_after

    def response(self) -> JSONResponse:
        headers = {"Cache-Control": "no-store"}
        if self.status == 401:
            error = ', error="invalid_token"' if self.invalid_token else ""
            headers["WWW-Authenticate"] = _REALM + error
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return JSONResponse(
            {"status": self.status, "message": self.message}, self.status, headers=headers
        )


def unauthorized(message: str, *, invalid_token: bool = False) -> HubError:
    return HubError(401, message, invalid_token=invalid_token)


def forbidden(message: str) -> HubError:
    return HubError(403, message)


def bad_request(message: str) -> HubError:
    return HubError(400, message)


def too_many(message: str, retry_after: int) -> HubError:
    return HubError(429, message, retry_after=retry_after)
