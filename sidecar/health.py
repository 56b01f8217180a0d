"""`/healthz` and `/metrics` on the sidecar's HTTP port.

`/healthz` answers anyone with a liveness line. Its details (PocketBase up or down, the hub
open or closed, who consumes the outbox, the cursor) and `/metrics` say something of every
team's activity, so they need `Authorization: Bearer <FIELDSYNC_METRICS_TOKEN>`; without a
configured token they are not served at all.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from sidecar.hub.errors import HubError
from sidecar.hub.hub import Hub
from sidecar.metrics import Metrics
from sidecar.session import Outage


def routes(metrics: Metrics, outage: Outage, hub: Hub, token: str | None) -> list[Route]:
    def operator(request: Request) -> bool:
        """Whether the request carries the metrics token."""
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        return token is not None and hmac.compare_digest(given.encode(), token.encode())

    async def healthz(request: Request) -> Response:
        """200 while the service runs; the details for the operator (see the module)."""
        if not operator(request):
            return JSONResponse({"status": "ok"})
        return JSONResponse(
            {
                "status": "ok",
                "pocketbase": "down" if outage.down else "up",
                "hub": "open" if hub.is_open() else "closed",
                "consumer": "holder" if metrics.holds_lease else "standby",
                "cursor": metrics.cursor,
                "queue_depth": metrics.queue_depth,
            }
        )

    async def prometheus(request: Request) -> Response:
        if token is None:
            return HubError(404, "metrics are off: set FIELDSYNC_METRICS_TOKEN").response()
        if not operator(request):
            return HubError(401, "the metrics token is required").response()
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    return [Route("/healthz", healthz), Route("/metrics", prometheus)]
