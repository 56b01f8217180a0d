"""The facade's lifecycle: token expiry, shutdown, restart over an existing outbox."""

from __future__ import annotations

import asyncio
import time

from tests.sidecar.hub.conftest import (
    DEADLINE_S,
    TEAM_A,
    bearer,
    serve_hub,
    subscribe,
    take,
    team_token,
)
from tests.support.outbox import MemoryOutbox


async def _drain(events: object) -> None:
    """Iterate a stream to its end; fails on a broken stream or a missed deadline."""
    async with asyncio.timeout(DEADLINE_S):
        async for _ in events:  # type: ignore[attr-defined]
            pass


async def test_token_expiry_ends_the_stream() -> None:
    async with serve_hub() as server:
        expiring = team_token(TEAM_A, exp=int(time.time()) + 2)
        async with subscribe(server, token_value=expiring) as (_, events):
            update = await server.emit(TEAM_A)
            assert (await take(events, 1))[0].id == update.id
            await _drain(events)
        assert server.hub.stats().subscribers == 0


async def test_close_ends_every_stream_and_uvicorn_exits_promptly() -> None:
    async with (
        serve_hub() as server,
        subscribe(server, token_value=team_token(TEAM_A)) as (_, first),
        subscribe(server, token_value=team_token(TEAM_A)) as (_, second),
    ):
        await server.hub.close()
        await _drain(first)
        await _drain(second)
        async with server.client() as client:
            refused = await client.get(
                "/.well-known/mercure",
                params={"topic": "*"},
                headers=bearer(team_token(TEAM_A)),
            )
        assert refused.status_code == 503
        server.server.should_exit = True
        async with asyncio.timeout(3):
            await server.serving


async def test_restart_serves_the_log_it_finds() -> None:
    log = MemoryOutbox()
    async with serve_hub(log=log) as before:
        old = [await before.emit(TEAM_A) for _ in range(3)]
    async with serve_hub(log=log) as after:
        async with subscribe(after, token_value=team_token(TEAM_A)) as (_, live):
            new = await after.emit(TEAM_A)
            assert (await take(live, 1))[0].id == new.id
        assert new.seq == old[-1].seq + 1
        async with subscribe(
            after, token_value=team_token(TEAM_A), headers={"Last-Event-ID": old[0].id}
        ) as (_, replay):
            replayed = await take(replay, 3)
    assert [e.id for e in replayed] == [old[1].id, old[2].id, new.id]


async def test_stats() -> None:
    async with (
        serve_hub() as server,
        subscribe(server, token_value=team_token(TEAM_A)) as (_, events),
    ):
        await server.emit(TEAM_A)
        await take(events, 1)
        stats = server.hub.stats()
    assert (stats.subscribers, stats.groups, stats.updates_dispatched) == (1, 1, 1)
    assert stats.dropped_slow == 0
