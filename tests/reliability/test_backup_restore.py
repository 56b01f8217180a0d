"""A backup taken in the middle of a busy morning (PocketBase's backup API), restored into a
fresh PocketBase with a fresh data dir (upload + restore, as when moving to a new machine):
records, files and the outbox agree, and a sidecar on the restored data resumes from the
restored cursor without re-making thumbnails or re-sending pushes that the backup holds.

The scenario runs once (a module fixture); each test checks one promise of it.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import audit
from tests.support.ledger import Ledger
from tests.support.morning import Morning, Outcome, Size, play, settle
from tests.support.pocketbase import PocketBaseProcess
from tests.support.push.service import Received
from tests.support.restore import restore_into, take_backup
from tests.support.shop import Shop
from tests.support.sidecar import SidecarProcess
from tests.support.stack import Stack

BACKUP_AT = 1 / 3
"""Of the uploads done when the backup starts: every phone still has photos to take, so the
backup cannot hold the whole morning."""
BACKUP = "under-load.zip"


@dataclass
class Restored:
    shop: Shop
    outcome: Outcome
    """The original morning, settled."""
    backup: Ledger
    """The restored PocketBase before a sidecar touched it: the backup's contents."""
    resumed: Ledger
    """The same after a sidecar caught up on it."""
    pushes: list[Received]
    """What the push service got from the restored side."""
    handled: int
    """Outbox events the restored side's sidecar handled."""


def _ledger(pb: PocketBaseProcess) -> Ledger:
    with pb.superuser_client() as su:
        return Ledger.read(su, pb.data_dir)


def _restore(stack: Stack, size: Size, root: Path) -> Restored:
    async def backup(morning: Morning) -> None:
        due = morning.progress.reached(int(size.uploads * BACKUP_AT))
        await take_backup(stack.pb, BACKUP, root, when=due)

    morning, outcome = play(stack, size, backup)
    stack.sidecar.stop()  # the original side is done; its lease is free

    fresh = PocketBaseProcess(root / "restored" / "pb_data", env=stack.pb.env)
    fresh.data_dir.mkdir(parents=True)
    fresh.setup()
    fresh.start()
    sidecar: SidecarProcess | None = None
    try:
        restore_into(fresh, root / BACKUP, stack.pb)
        restored = _ledger(fresh)
        pushed_before = len(stack.push.received())
        sidecar = stack.new_sidecar(fresh)
        sidecar.start()
        state = asyncio.run(settle(fresh, sidecar))
        assert state["settled"], state
        metrics = sidecar.metrics()
        handled = sum(
            int(float(n))
            for n in re.findall(r"^fieldsync_events_handled_total\S* (\S+)$", metrics, re.M)
        )
        return Restored(
            morning.shop,
            outcome,
            restored,
            _ledger(fresh),
            stack.push.received()[pushed_before:],
            handled,
        )
    finally:
        if sidecar is not None:
            sidecar.stop()
        fresh.cleanup()


@pytest.fixture(scope="module")
def restored(tmp_path_factory: pytest.TempPathFactory, size: Size) -> Iterator[Restored]:
    root = tmp_path_factory.mktemp("backup")
    stack = Stack.start(root / "original")
    try:
        yield _restore(stack, size, root)
    finally:
        stack.stop()


def test_the_morning_itself_went_well(restored: Restored) -> None:
    outcome = restored.outcome
    assert outcome.settled, outcome.state
    assert audit.photos(outcome.ledger, outcome.after, outcome.uploads) == []
    assert audit.pushes(outcome.ledger, outcome.after, restored.shop, outcome.pushes) == []


def test_the_backup_was_taken_mid_morning(restored: Restored) -> None:
    backup = restored.backup
    assert 0 < len(backup.photos) < len(restored.outcome.ledger.photos)
    assert 0 < backup.cursor <= backup.head


def test_records_and_outbox_of_the_backup_agree(restored: Restored) -> None:
    """Every photo the backup holds has its file, its events and only those; every event of a
    photo has its record; every delivery row has its event."""
    backup = restored.backup
    assert audit.outbox(backup, caught_up=False) == []
    assert audit.storage(backup) == []
    lives: dict[str, list[str]] = {}
    for event in backup.events:
        if event.collection == "photos":
            lives.setdefault(event.record, []).append(event.type)
    for photo in backup.photos.values():
        want = ["photo.created", "photo.ready"] if photo.status == "ready" else ["photo.created"]
        assert lives.pop(photo.id, []) == want, photo
    assert lives == {}, "events of photos the backup does not hold"
    assert {row.event for row in backup.deliveries} <= {event.seq for event in backup.events}


def test_the_backup_holds_no_file_without_its_record(restored: Restored) -> None:
    """PocketBase's backup holds database writes back, not file writes: files of uploads in
    flight are archived without their records. The restored PocketBase sweeps them as it
    starts (pb_hooks/storage.pb.js)."""
    assert audit.orphans(restored.backup) == []


def test_the_sidecar_resumes_from_the_restored_cursor(restored: Restored) -> None:
    assert restored.handled == restored.resumed.head - restored.backup.cursor
    assert audit.outbox(restored.resumed) == []


def test_thumbnails_the_backup_holds_are_not_made_again(restored: Restored) -> None:
    backup, resumed = restored.backup, restored.resumed
    ready = Counter(event.record for event in resumed.events if event.type == "photo.ready")
    for photo in backup.photos.values():
        assert ready[photo.id] == 1, photo
        assert resumed.photos[photo.id].status == "ready"
        if photo.status == "ready":
            assert resumed.photos[photo.id].thumb == photo.thumb
    assert audit.storage(resumed) == []


def test_pushes_the_backup_holds_as_sent_are_not_sent_again(restored: Restored) -> None:
    resumed, after = restored.resumed, restored.outcome.after
    assert audit.pushes_since(restored.backup, resumed, restored.shop, restored.pushes) == []
    wanted = audit.expected_pushes(resumed, after, restored.shop)
    rows = Counter((row.event, row.subscription) for row in resumed.deliveries if row.event > after)
    assert rows == wanted
