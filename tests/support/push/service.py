"""A push service on loopback standing in for a browser vendor's (RFC 8030), for tests and the
push benchmark: it records every POST and answers as each endpoint is told to.

    service = PushService().start()
    endpoint = service.endpoint()                      # answers 201
    service.program(endpoint, Answer(503, {"Retry-After": "1"}), Answer(201))
    service.program(other, HANG)                       # never answers

`python -m tests.support.push.service --port N` serves it alone (the benchmark runs it in a
process of its own); `GET /_stats?since=T` then says how many POSTs came and when the first
and last did.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.net import free_port
from tests.support.waiting import wait_until


@dataclass(frozen=True)
class Answer:
    status: int = 201
    headers: dict[str, str] = field(default_factory=dict)


HANG = Answer(status=0)
"""Never answer (until the service stops)."""


@dataclass(frozen=True)
class Received:
    """One POST as the push service got it."""

    endpoint: str
    headers: dict[str, str]
    """Lower-cased names."""
    body: bytes
    at: float
    """time.time() on arrival."""
    answered: int
    """The status answered (0: never answered)."""


class PushService:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._received: list[Received] = []
        self._programs: dict[str, deque[Answer]] = {}
        self._changed = threading.Condition()
        self._release: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server = uvicorn.Server(
            uvicorn.Config(
                self.app(),
                host="127.0.0.1",
                port=self.port,
                log_level="warning",
                lifespan="off",
                timeout_graceful_shutdown=1,
            )
        )
        self._thread: threading.Thread | None = None

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/push/{token}", self._push, methods=["POST"]),
                Route("/_stats", self._stats, methods=["GET"]),
            ]
        )

    def serve(self) -> None:
        """Serve in this thread until SIGINT/SIGTERM."""
        self._server.run()

    # --- in a thread (tests) ----------------------------------------------------------------

    def start(self) -> PushService:
        self._thread = threading.Thread(target=self._server.run, name="push-service", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise TimeoutError("the push service did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._loop is not None and self._release is not None:
            self._loop.call_soon_threadsafe(self._release.set)
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)

    # --- what tests use -----------------------------------------------------------------------

    def endpoint(self, *answers: Answer) -> str:
        """A new endpoint URL; it answers `answers` in turn (the last one from then on)."""
        url = f"{self.url}/push/{secrets.token_urlsafe(12)}"
        if answers:
            self.program(url, *answers)
        return url

    def program(self, endpoint: str, *answers: Answer) -> None:
        with self._changed:
            self._programs[endpoint] = deque(answers)

    def received(self, endpoint: str | None = None) -> list[Received]:
        with self._changed:
            return [r for r in self._received if endpoint is None or r.endpoint == endpoint]

    def wait_for(
        self, count: int, endpoint: str | None = None, timeout: float = 10
    ) -> list[Received]:
        """The first `count` POSTs (to `endpoint`), waiting up to `timeout` seconds for them."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                got = [r for r in self._received if endpoint is None or r.endpoint == endpoint]
                if len(got) >= count:
                    return got[:count]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"push service: {len(got)} of {count} POSTs after {timeout} s"
                        + (f" to {endpoint}" if endpoint else "")
                    )
                self._changed.wait(left)

    async def arrivals(
        self, count: int, endpoint: str | None = None, timeout: float = 10
    ) -> list[Received]:
        """`wait_for` for a test's event loop (which must keep running the code under test)."""
        await wait_until(
            lambda: len(self.received(endpoint)) >= count,
            f"{count} POSTs" + (f" to {endpoint}" if endpoint else ""),
            timeout=timeout,
        )
        return self.received(endpoint)[:count]

    # --- the HTTP side --------------------------------------------------------------------------

    def _answer_for(self, endpoint: str) -> Answer:
        with self._changed:
            program = self._programs.get(endpoint)
            if not program:
                return Answer()
            return program.popleft() if len(program) > 1 else program[0]

    async def _push(self, request: Request) -> Response:
        body = await request.body()
        at = time.time()
        endpoint = f"{self.url}{request.url.path}"
        answer = self._answer_for(endpoint)
        received = Received(
            endpoint, {k.lower(): v for k, v in request.headers.items()}, body, at, answer.status
        )
        with self._changed:
            self._received.append(received)
            self._changed.notify_all()
        if answer is HANG or answer.status == 0:
            self._loop = asyncio.get_running_loop()
            if self._release is None:
                self._release = asyncio.Event()
            await self._release.wait()
            return Response(status_code=503)
        return Response(status_code=answer.status, headers=answer.headers)

    async def _stats(self, request: Request) -> Response:
        """`{count, first, last}` of the POSTs received (since `?since=<unix time>`)."""
        since = float(request.query_params.get("since", "0"))
        with self._changed:
            times = [r.at for r in self._received if r.at >= since]
        return JSONResponse(
            {"count": len(times), "first": min(times, default=0.0), "last": max(times, default=0.0)}
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="A loopback push service (prints nothing).")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    PushService(args.port).serve()


if __name__ == "__main__":
    main()
