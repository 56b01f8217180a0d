"""PocketBase's data disk fills up in the middle of a busy morning, then space comes back.

The data dir is a small tmpfs in a mount namespace the test makes (`tests/support/small_disk.py`:
root, or unprivileged user namespaces, are needed; otherwise the tests skip saying why). The
disk is filled to the last byte once 30 % of the photos are in (ballast, as another program's
files would) while the sidecar is a little behind, the phones go on and fail, the sidecar does
what it can; then the ballast is deleted and the phones upload what failed again.

The scenario runs once (a module fixture); each test checks one promise of it.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.support import audit
from tests.support.ledger import Ledger
from tests.support.morning import Morning, Outcome, Size, handled
from tests.support.phones import Upload
from tests.support.pocketbase import PocketBaseProcess
from tests.support.small_disk import SmallDisk
from tests.support.stack import Stack

DISK_BASE_MB = 48
DISK_MB_PER_UPLOAD = 5
"""The small disk holds the database and every photo of the morning (1-5 MB each) with room
to spare, so that it fills only when the test fills it."""
FULL_AT = 0.3
"""Of the uploads done when the disk fills."""
FULL_FOR_S = 15.0
"""At most this long the disk stays full after the phones gave up, while the sidecar works."""
SETTLE_S = 20.0
"""After space returns, how long everything may take to catch up."""


@dataclass
class DiskFull:
    morning: Morning
    outcome: Outcome
    failed: list[Upload]
    """Uploads refused while the disk was full (copies, as they were then)."""
    while_full: Ledger
    """PocketBase's state while the disk was full."""


def _play(stack: Stack, disk: SmallDisk, size: Size) -> DiskFull:
    async def fill(morning: Morning) -> None:
        await morning.progress.reached(int(size.uploads * FULL_AT))
        # The sidecar falls behind for a moment (paused, well within its lease), so that it
        # has thumbnails and pushes to write when the disk is full.
        os.kill(stack.sidecar.pid, signal.SIGSTOP)
        try:
            await morning.progress.reached(morning.progress.done + 1)
            await asyncio.to_thread(disk.fill, 0)
        finally:
            os.kill(stack.sidecar.pid, signal.SIGCONT)

    async def scenario() -> DiskFull:
        morning = await Morning.open(stack, size)
        await morning.run(fill)
        failed = [replace(u) for phone in morning.phones for u in phone.uploads if u.error]
        # Space comes back only once the sidecar has had its go at everything (or keeps
        # trying): what it does with a full disk is part of the test.
        await handled(stack.pb, stack.sidecar, FULL_FOR_S)
        while_full = await morning.read()
        disk.unfill()
        url = stack.pb.url
        await asyncio.gather(
            *(phone.retry_failed(url, size.album, morning.progress) for phone in morning.phones)
        )
        outcome = await morning.finish(settle_s=SETTLE_S)
        return DiskFull(morning, outcome, failed, while_full)

    return asyncio.run(scenario())


@pytest.fixture(scope="module")
def disk_full(tmp_path_factory: pytest.TempPathFactory, size: Size) -> Iterator[DiskFull]:
    why = SmallDisk.unavailable()
    if why is not None:
        pytest.skip(why)
    root: Path = tmp_path_factory.mktemp("disk-full")
    disk = SmallDisk.make(
        root / "disk" / "pb_data", DISK_BASE_MB + size.uploads * DISK_MB_PER_UPLOAD
    )
    stack: Stack | None = None
    try:
        pb = PocketBaseProcess(disk.path, env=disk.env())
        stack = Stack.start(root / "stack", pb=pb, data_view=disk.inside())
        played = _play(stack, disk, size)
        print("\n" + played.outcome.table("disk full, then space back"))
        yield played
    finally:
        if stack is not None:
            stack.stop()
        disk.close()


def test_uploads_fail_while_the_disk_is_full(disk_full: DiskFull) -> None:
    assert disk_full.failed, "the disk filled and no upload failed"
    assert all(upload.error_status >= 400 for upload in disk_full.failed)


def test_clients_are_told_the_disk_is_full(disk_full: DiskFull) -> None:
    for upload in disk_full.failed:
        assert upload.error_status in (503, 507), upload.error
        assert "disk" in upload.error.lower() or "space" in upload.error.lower(), upload.error


def test_nothing_is_corrupted_while_full(disk_full: DiskFull) -> None:
    ledger = disk_full.while_full
    assert ledger.integrity == "ok"
    assert audit.storage(ledger) == []
    refused = {upload.sha256 for upload in disk_full.failed}
    assert not refused & {row.sha256 for row in ledger.photos.values()}


def test_retried_uploads_are_not_duplicated(disk_full: DiskFull) -> None:
    outcome = disk_full.outcome
    assert all(upload.photo and not upload.error for upload in outcome.uploads)
    ledger = outcome.ledger
    wanted = {(u.phone, u.sha256) for u in outcome.uploads}
    assert len(ledger.photos) == len(wanted) == len({row.sha256 for row in ledger.photos.values()})
    assert audit.storage(ledger) == []
    assert audit.orphans(ledger) == []


def test_listeners_missed_nothing(disk_full: DiskFull) -> None:
    outcome = disk_full.outcome
    ledger, after = outcome.ledger, outcome.after
    assert audit.outbox(ledger, caught_up=False) == []
    assert audit.hub(ledger, after, outcome.hub_logs, outcome.hub_opened) == []
    assert audit.realtime(ledger, after, outcome.dashboards) == []


def test_every_photo_and_push_catches_up_once_space_returns(disk_full: DiskFull) -> None:
    outcome = disk_full.outcome
    assert outcome.settled, outcome.state
    ledger, after = outcome.ledger, outcome.after
    assert audit.photos(ledger, after, outcome.uploads) == []
    assert audit.pushes(ledger, after, disk_full.morning.shop, outcome.pushes) == []
