"""`/healthz` and `/metrics` on the sidecar's HTTP port."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from sidecar.hub.hub import Hub
from sidecar.metrics import Metrics
from sidecar.session import Outage


def routes(metrics: Metrics, outage: Outage, hub: Hub) -> list[Route]:
    async def healthz(request: Request) -> Response:
        """200 while the service runs; says whether PocketBase answers, whether the hub takes
        subscribers (while this process holds the outbox consumer) and who consumes the outbox."""
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
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    return [Route("/healthz", healthz), Route("/metrics", prometheus)]
