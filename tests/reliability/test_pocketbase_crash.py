"""`kill -9` of PocketBase in the middle of a busy morning, at the worst moment (while it writes
a photo's file, before the record commits), then a restart: phones retry what failed, and
nothing is half-written, duplicated or lost.

The scenario runs once (a module fixture); each test checks one promise of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support import audit
from tests.support.morning import Morning, Outcome, Size, play
from tests.support.stack import Stack

KILL_AT = 0.25
GIVE_UP_AT = 0.6
"""Of the uploads done: PocketBase is killed between these two, at the moment it has written
a photo's file and not its record if one comes, otherwise at the second."""


@dataclass
class Crash:
    morning: Morning
    outcome: Outcome
    in_flight: int
    """Uploads under way when PocketBase was killed."""


@pytest.fixture(scope="module")
def crash(tmp_path_factory: pytest.TempPathFactory, size: Size) -> Iterator[Crash]:
    stack = Stack.start(tmp_path_factory.mktemp("pocketbase-crash"))
    seen: dict[str, Any] = {}

    async def kill_pocketbase(morning: Morning) -> None:
        await morning.progress.reached(int(size.uploads * KILL_AT))
        seen["in flight"] = morning.progress.in_flight
        give_up = morning.progress.reached(int(size.uploads * GIVE_UP_AT))
        await stack.kill_pocketbase_mid_write(give_up)
        await asyncio.to_thread(stack.pb.start)

    try:
        morning, outcome = play(stack, size, kill_pocketbase)
        print("\n" + outcome.table("PocketBase killed mid-uploads"))
        yield Crash(morning, outcome, seen["in flight"])
    finally:
        stack.stop()


def test_uploads_in_flight_were_retried_without_duplicates(crash: Crash) -> None:
    assert crash.outcome.settled, crash.outcome.state
    uploads = crash.outcome.uploads
    assert crash.in_flight > 0
    assert any(upload.attempts > 1 for upload in uploads), "the kill hit no upload"
    assert all(upload.photo for upload in uploads)
    assert audit.photos(crash.outcome.ledger, crash.outcome.after, uploads) == []


def test_no_half_written_record_and_every_record_has_its_file(crash: Crash) -> None:
    assert audit.outbox(crash.outcome.ledger) == []
    assert audit.storage(crash.outcome.ledger) == []


def test_no_orphan_file_in_storage(crash: Crash) -> None:
    """PocketBase writes an upload's file before its record commits; the file of the one it was
    writing when killed is swept as it starts again (pb_hooks/storage.pb.js)."""
    assert audit.orphans(crash.outcome.ledger) == []


def test_listeners_and_pushes_are_complete(crash: Crash) -> None:
    outcome, morning = crash.outcome, crash.morning
    assert audit.hub(outcome.ledger, outcome.after, outcome.hub_logs, outcome.hub_opened) == []
    assert audit.pushes(outcome.ledger, outcome.after, morning.shop, outcome.pushes) == []
    # PocketBase replays nothing to its realtime clients after a restart: only the team
    # boundary is checked there, and that they came back.
    assert audit.realtime(outcome.ledger, outcome.after, outcome.dashboards, complete=False) == []
    assert all(board.connects >= 2 for board in outcome.dashboards)
