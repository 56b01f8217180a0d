"""`kill -9` of the sidecar in the middle of a busy morning, then a restart: it catches up from
its persisted cursor, and nothing is handled twice in effect (one thumbnail per photo, each
push once, every hub stream gets the gap replayed once).

The scenario runs once (a module fixture); each test checks one promise of it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from sidecar.push.dispatch import FLUSH_DELAY_S
from tests.support import audit
from tests.support.morning import Morning, Outcome, Size, play
from tests.support.push.service import Received
from tests.support.stack import Stack

KILL_AT = 0.35
"""Of the uploads done when the sidecar is killed."""


@dataclass
class Crash:
    morning: Morning
    outcome: Outcome
    killed_at: float
    """time.time() of the kill."""

    def unsettled_pushes(self) -> list[Received]:
        """Pushes sent in the moment before the kill whose outcome the killed sidecar may not
        have written back yet (it writes outcomes back every FLUSH_DELAY_S): these may go out
        again, and the notification's tag makes the device show it once (docs/events.md)."""
        window = FLUSH_DELAY_S + 1.0
        return [
            post
            for post in self.outcome.pushes
            if self.killed_at - window <= post.at <= self.killed_at and 200 <= post.answered < 300
        ]


@pytest.fixture(scope="module")
def crash(tmp_path_factory: pytest.TempPathFactory, size: Size) -> Iterator[Crash]:
    stack = Stack.start(tmp_path_factory.mktemp("sidecar-crash"))
    seen: dict[str, float] = {}

    async def kill_sidecar(morning: Morning) -> None:
        await morning.progress.reached(int(size.uploads * KILL_AT))
        seen["killed"] = time.time()
        await asyncio.to_thread(stack.sidecar.kill)
        await asyncio.to_thread(stack.sidecar.start)

    try:
        morning, outcome = play(stack, size, kill_sidecar)
        print("\n" + outcome.table("sidecar killed mid-morning"))
        yield Crash(morning, outcome, seen["killed"])
    finally:
        stack.stop()


def test_catch_up_is_complete(crash: Crash) -> None:
    assert crash.outcome.settled, crash.outcome.state
    ledger = crash.outcome.ledger
    assert audit.outbox(ledger) == []
    assert audit.photos(ledger, crash.outcome.after, crash.outcome.uploads) == []
    assert audit.storage(ledger) == []
    assert audit.orphans(ledger) == []


def test_each_push_goes_out_once(crash: Crash) -> None:
    outcome = crash.outcome
    problems = audit.pushes(
        outcome.ledger,
        outcome.after,
        crash.morning.shop,
        outcome.pushes,
        may_repeat=crash.unsettled_pushes(),
    )
    assert problems == []


def test_hub_streams_get_the_gap_replayed_once(crash: Crash) -> None:
    outcome = crash.outcome
    assert all(log.reconnects >= 1 for log in outcome.hub_logs)
    assert audit.hub(outcome.ledger, outcome.after, outcome.hub_logs, outcome.hub_opened) == []


def test_realtime_dashboards_did_not_notice(crash: Crash) -> None:
    outcome = crash.outcome
    assert audit.realtime(outcome.ledger, outcome.after, outcome.dashboards) == []


def test_no_error_in_the_sidecar_log(crash: Crash) -> None:
    assert '"level": "error"' not in crash.morning.stack.sidecar.log()
