"""`python -m sidecar`: settings from the environment, JSON logs, the app under uvicorn."""

from __future__ import annotations

import asyncio
import sys
from types import FrameType

import uvicorn
from pydantic import ValidationError
from starlette.applications import Starlette

from sidecar import logs
from sidecar.app import create_app
from sidecar.settings import Settings


class Server(uvicorn.Server):
    """Ends the hub's streams as soon as shutdown begins: uvicorn waits for open connections
    before it runs the lifespan shutdown, and SSE streams never end by themselves."""

    def __init__(self, config: uvicorn.Config, app: Starlette) -> None:
        super().__init__(config)
        self._app = app
        self._loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, sockets: list[object] | None = None) -> None:  # type: ignore[override]
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)  # type: ignore[arg-type]

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._loop is not None and not self.should_exit:
            hub = self._app.state.hub
            self._loop.call_soon_threadsafe(
                lambda: self._loop and self._loop.create_task(hub.close())
            )
        super().handle_exit(sig, frame)


def main() -> None:
    try:
        settings = Settings()  # filled from FIELDSYNC_* env vars
    except ValidationError as exc:
        for error in exc.errors():
            name = "FIELDSYNC_" + "_".join(str(part) for part in error["loc"]).upper()
            print(f"sidecar: {name}: {error['msg']}", file=sys.stderr)
        sys.exit(2)
    logs.configure(settings.log_level)
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=10,
        backlog=4096,
    )
    Server(config, app).run()


if __name__ == "__main__":
    main()
