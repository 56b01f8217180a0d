"""httpx transports that forward every request to the real PocketBase.

`RecordingTransport` remembers what was sent. `DroppingTransport` can cut the realtime stream
the client is reading, the one failure a real server cannot easily be made to give on cue.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx


class RecordingTransport(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[tuple[str, str]] = []

    @property
    def paths(self) -> list[str]:
        return [path for _, path in self.requests]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class CuttableStream(httpx.AsyncByteStream):
    """A response body that ends (cleanly or with a read error) once `cut()` is called."""

    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self.inner = inner
        self.cut_mode: str | None = None

    def cut(self, clean: bool) -> None:
        self.cut_mode = "clean" if clean else "error"

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = self.inner.__aiter__()
        while True:
            if self.cut_mode == "error":
                raise httpx.ReadError("connection dropped by the test")
            if self.cut_mode == "clean":
                return
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                return
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


class DroppingTransport(RecordingTransport):
    """Real PocketBase; `cut()` ends the realtime streams opened so far.

    `on_subscribe(n)` runs after the n-th successful realtime subscribe POST, before the
    client sees the answer: the moment a reconnected subscription is live again.
    """

    def __init__(self, on_subscribe: Callable[[int], None] | None = None) -> None:
        super().__init__()
        self.on_subscribe = on_subscribe
        self.streams: list[CuttableStream] = []
        self.subscribes = 0

    def cut(self, *, clean: bool = False) -> None:
        for stream in self.streams:
            stream.cut(clean)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if request.url.path != "/api/realtime":
            return response
        if request.method == "GET":
            assert isinstance(response.stream, httpx.AsyncByteStream)
            stream = CuttableStream(response.stream)
            self.streams.append(stream)
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                stream=stream,
                extensions=response.extensions,
            )
        if request.method == "POST" and response.status_code == 204:
            self.subscribes += 1
            if self.on_subscribe is not None:
                self.on_subscribe(self.subscribes)
        return response
