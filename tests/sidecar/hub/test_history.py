"""Replay after a disconnect: Last-Event-ID, lastEventID, earliest, unknown and trimmed ids."""

from __future__ import annotations

import asyncio

import pytest

from sidecar.hub import Page, Update, UpdateDraft
from tests.sidecar.hub.conftest import (
    DEADLINE_S,
    TEAM_A,
    TEAM_B,
    HubServer,
    make_config,
    serve_hub,
    subscribe,
    take,
    team_token,
)
from tests.support.outbox import MemoryOutbox


async def _emit_a(server: HubServer, count: int) -> list[Update]:
    return [await server.emit(TEAM_A) for _ in range(count)]


@pytest.mark.parametrize("history_size", [1000, 2], ids=["from memory", "from the log"])
@pytest.mark.parametrize("how", ["header", "query"])
async def test_replays_exactly_the_missed_updates(how: str, history_size: int) -> None:
    async with serve_hub(make_config(history_size=history_size)) as server:
        async with subscribe(server, token_value=team_token(TEAM_A)) as (_, events):
            seen = await _emit_a(server, 2)
            assert [e.id for e in await take(events, 2)] == [u.id for u in seen]
        missed = await _emit_a(server, 3)
        await server.emit(TEAM_B)
        last = seen[-1].id
        headers = {"Last-Event-ID": last} if how == "header" else None
        params = {"lastEventID": last} if how == "query" else None
        async with subscribe(
            server, token_value=team_token(TEAM_A), headers=headers, params=params
        ) as (response, ev):
            assert response.headers["last-event-id"] == last
            replayed = await take(ev, 3)
            live = await server.emit(TEAM_A)
            (after,) = await take(ev, 1)
    assert [e.id for e in replayed] == [u.id for u in missed]
    assert after.id == live.id


async def test_earliest_replays_everything_available(hub_server: HubServer) -> None:
    mine = await _emit_a(hub_server, 2)
    await hub_server.emit(TEAM_B)
    mine += await _emit_a(hub_server, 1)
    async with subscribe(
        hub_server, token_value=team_token(TEAM_A), params={"lastEventID": "earliest"}
    ) as (response, events):
        assert response.headers["last-event-id"] == "earliest"
        replayed = await take(events, 3)
    assert [e.id for e in replayed] == [u.id for u in mine]


async def test_unknown_id_replays_nothing_and_names_the_newest_visible(
    hub_server: HubServer,
) -> None:
    newest_a = (await _emit_a(hub_server, 2))[-1]
    await hub_server.emit(TEAM_B)
    async with subscribe(
        hub_server, token_value=team_token(TEAM_A), headers={"Last-Event-ID": "no-such-id"}
    ) as (response, events):
        assert response.headers["last-event-id"] == newest_a.id
        live = await hub_server.emit(TEAM_A)
        (event,) = await take(events, 1)
    assert event.id == live.id


async def test_unknown_id_with_nothing_visible_says_earliest(hub_server: HubServer) -> None:
    await hub_server.emit(TEAM_B)
    async with subscribe(
        hub_server, token_value=team_token(TEAM_A), headers={"Last-Event-ID": "no-such-id"}
    ) as (response, _):
        assert response.headers["last-event-id"] == "earliest"


async def test_trimmed_history_replays_what_is_left_and_says_earliest() -> None:
    log = MemoryOutbox()
    async with serve_hub(make_config(history_size=2), log) as server:
        updates = await _emit_a(server, 6)
        log.trim(keep=3)
        async with subscribe(
            server, token_value=team_token(TEAM_A), headers={"Last-Event-ID": updates[0].id}
        ) as (response, events):
            assert response.headers["last-event-id"] == "earliest"
            replayed = await take(events, 3)
    assert [e.id for e in replayed] == [u.id for u in updates[3:]]


async def test_publisher_ids_resume_too(hub_server: HubServer) -> None:
    ids = ["urn:uuid:first", "urn:uuid:second"]
    for event_id in ids:
        await hub_server.append(_draft(event_id))
    async with subscribe(
        hub_server, token_value=team_token(TEAM_A), headers={"Last-Event-ID": ids[0]}
    ) as (_, events):
        (event,) = await take(events, 1)
    assert event.id == ids[1]


def _draft(event_id: str) -> UpdateDraft:
    return UpdateDraft(topics=(f"/teams/{TEAM_A}/chat",), data=event_id, private=True, id=event_id)


class SlowLog(MemoryOutbox):
    """Reads take a loop turn per update, so live updates pile up during a replay."""

    async def read_after(self, seq: int, limit: int) -> Page:
        page = await super().read_after(seq, limit)
        for _ in page.updates:
            await asyncio.sleep(0)
        return page


async def test_no_gap_and_no_duplicate_at_the_seam_while_updates_flow() -> None:
    config = make_config(history_size=5, history_page=7)
    async with serve_hub(config, SlowLog()) as server:
        first = await server.emit(TEAM_A)
        total = 300

        async def publish() -> None:
            for _ in range(total):
                await server.emit(TEAM_A)
                await asyncio.sleep(0)

        publisher = asyncio.create_task(publish())
        while len(server.published) < 60:
            await asyncio.sleep(0)
        async with subscribe(
            server, token_value=team_token(TEAM_A), headers={"Last-Event-ID": first.id}
        ) as (_, events):
            received = await take(events, total)
        await asyncio.wait_for(publisher, DEADLINE_S)
    expected = [str(seq) for seq in range(first.seq + 1, first.seq + 1 + total)]
    assert [e.id for e in received] == expected


async def test_the_answer_to_a_sequence_id_does_not_tell_the_head(hub_server: HubServer) -> None:
    """Whether seq N was handed out yet is other teams' activity: a number below the newest and
    one beyond it get the same kind of answer (the id echoed, nothing else replayed)."""
    await hub_server.emit(TEAM_B)
    head = (await hub_server.emit(TEAM_B)).seq
    for asked in (head - 1, head + 5):
        async with subscribe(
            hub_server, token_value=team_token(TEAM_A), headers={"Last-Event-ID": str(asked)}
        ) as (response, events):
            assert response.headers["last-event-id"] == str(asked)
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):
                    await anext(events)
