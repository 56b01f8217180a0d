"""Serving an ASGI app under uvicorn, with one shutdown hook for long-lived streams.

After start-up, what was built is frozen out of the garbage collector's passes (`gc.freeze`).

uvicorn waits for open connections to finish before it runs the lifespan's shutdown, and SSE
streams never finish by themselves: `on_shutdown` runs as soon as a stop signal arrives (the
hub ends its streams there), then uvicorn shuts down as usual. The sidecar and the hub-only
benchmark both serve through `serve`.
"""

from __future__ import annotations

import asyncio
import gc
import socket
from collections.abc import Callable, Coroutine
from types import FrameType
from typing import Any

import uvicorn

ShutdownHook = Callable[[], Coroutine[Any, Any, None]]


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_shutdown: ShutdownHook) -> None:
        super().__init__(config)
        self._on_shutdown = on_shutdown
        self._loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, sockets: list[object] | None = None) -> None:  # type: ignore[override]
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)  # type: ignore[arg-type]

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        # What start-up built lives as long as the process: keep it out of the garbage
        # collector's full passes, which otherwise stall delivery for 100-300 ms as a crowd
        # of subscribers connects (bench/presence.py).
        gc.collect()
        gc.freeze()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        loop = self._loop
        if loop is not None and not self.should_exit:
            loop.call_soon_threadsafe(lambda: loop.create_task(self._on_shutdown()))
        super().handle_exit(sig, frame)


def serve(config: uvicorn.Config, on_shutdown: ShutdownHook) -> None:
    """Run `config.app` until SIGINT/SIGTERM, calling `on_shutdown` as the stop begins."""
    _Server(config, on_shutdown).run()
