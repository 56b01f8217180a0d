"""Fan-out: many subscribers, slow and stuck ones."""

from __future__ import annotations

import asyncio
import socket

import httpx

from tests.sidecar.hub.conftest import (
    DEADLINE_S,
    TEAM_A,
    HubServer,
    make_config,
    serve_hub,
    subscribe,
    take,
    team_token,
)
from tests.support.waiting import wait_until

SUBSCRIBERS = 500
UPDATES = 10


async def test_every_one_of_500_subscribers_gets_every_update(hub_server: HubServer) -> None:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    opened = asyncio.Semaphore(0)
    go = asyncio.Event()

    async def one(client: httpx.AsyncClient) -> list[str]:
        async with subscribe(hub_server, client=client, token_value=team_token(TEAM_A)) as (
            _,
            events,
        ):
            opened.release()
            await go.wait()
            return [event.id for event in await take(events, UPDATES)]

    async with hub_server.client(limits=limits) as client, asyncio.TaskGroup() as tasks:
        readers = [tasks.create_task(one(client)) for _ in range(SUBSCRIBERS)]
        async with asyncio.timeout(DEADLINE_S):
            for _ in range(SUBSCRIBERS):
                await opened.acquire()
        assert hub_server.hub.stats().subscribers == SUBSCRIBERS
        assert hub_server.hub.stats().groups == 1
        sent = [(await hub_server.emit(TEAM_A)).id for _ in range(UPDATES)]
        go.set()
    assert all(reader.result() == sent for reader in readers)


async def _stalled_stream(server: HubServer, receive_buffer: int | None = None) -> socket.socket:
    """A subscriber that reads nothing until told to: a raw socket."""
    sock = socket.socket()
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.setblocking(False)
    host, port = server.url.removeprefix("http://").split(":")
    await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
    request = (
        f"GET /.well-known/mercure?topic=*&authorization={team_token(TEAM_A)} HTTP/1.1\r\n"
        f"Host: {host}\r\n\r\n"
    )
    await asyncio.get_running_loop().sock_sendall(sock, request.encode())
    return sock


async def test_a_stuck_subscriber_is_dropped_and_never_delays_the_others() -> None:
    async with serve_hub(make_config(max_queue=5)) as server:
        stuck = await _stalled_stream(server, receive_buffer=4096)
        async with subscribe(server, token_value=team_token(TEAM_A)) as (_, events):
            await wait_until(lambda: server.hub.stats().subscribers == 2, "the stuck subscriber")
            big = "x" * 200_000  # the kernel's socket buffers take about 4 MB first
            for _ in range(50):
                update = await server.emit(TEAM_A, payload=big)
                (event,) = await take(events, 1)
                assert event.id == update.id
            assert server.hub.stats().dropped_slow == 1
            await wait_until(lambda: server.hub.stats().subscribers == 1, "the drop")
        stuck.close()


async def test_a_slow_reader_catches_up_in_order() -> None:
    async with serve_hub() as server:
        slow = await _stalled_stream(server)
        await wait_until(lambda: server.hub.stats().subscribers == 1, "the slow subscriber")
        async with subscribe(server, token_value=team_token(TEAM_A)) as (_, events):
            # More than the kernel's socket buffers hold: writes to `slow` have to wait.
            sent = []
            for _ in range(40):
                sent.append((await server.emit(TEAM_A, payload="y" * 200_000)).id)
                assert (await take(events, 1))[0].id == sent[-1]
        received = bytearray()
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(DEADLINE_S):
            while received.count(b"id: ") < len(sent):
                received += await loop.sock_recv(slow, 1 << 20)
        slow.close()
    ids = [line[4:].decode() for line in received.split(b"\n") if line.startswith(b"id: ")]
    assert ids == sent
    assert server.hub.stats().dropped_slow == 0
