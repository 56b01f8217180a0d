"""The push routes on the sidecar's HTTP port (the app's CORS applies).

- `GET /push/vapid-public-key` -> `{"publicKey": "<base64url>"}`: the `applicationServerKey`
  a page subscribes with.
- `POST /push/test` with `Authorization: <PocketBase user token>` -> 202 `{"sent", "failed"}`:
  a test notification to the caller's own subscriptions (`fieldsync push test`); 401 for a
  bad token, 429 more often than every `TEST_INTERVAL_S` seconds per user.

Both answer 404 `{"status": 404, "message": "push is not configured"}` while push is off.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from sidecar.push.notifier import PushNotifier

NOT_CONFIGURED = "push is not configured"


def refusal(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"status": status, "message": message},
        status,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def push_routes(notifier: PushNotifier) -> list[Route]:
    async def public_key(request: Request) -> Response:
        key = notifier.public_key
        if key is None:
            return refusal(404, NOT_CONFIGURED)
        return JSONResponse({"publicKey": key}, headers={"Cache-Control": "no-cache"})

    async def test(request: Request) -> Response:
        if notifier.public_key is None:
            return refusal(404, NOT_CONFIGURED)
        token = request.headers.get("authorization", "").strip().removeprefix("Bearer ").strip()
        principal = await notifier.resolve_user(token) if token else None
        if principal is None:
            return refusal(401, "a valid PocketBase user token is required")
        wait = notifier.test_wait(principal.user)
        if wait > 0:
            return refusal(
                429,
                "a test notification was sent a moment ago; try again shortly",
                {"Retry-After": str(math.ceil(wait))},
            )
        sent, failed = await notifier.send_test(principal)
        return JSONResponse({"sent": sent, "failed": failed}, 202)

    return [
        Route("/push/vapid-public-key", public_key, methods=["GET"], name="push_public_key"),
        Route("/push/test", test, methods=["POST"], name="push_test"),
    ]
