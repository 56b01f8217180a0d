"""Outbox retention: events older than `FIELDSYNC_OUTBOX_RETENTION_DAYS` are deleted, hourly.

Subscribers asking to replay from before what is kept get Mercure's answer (`Last-Event-ID:
earliest` and all that is left). PocketBase's route never deletes the newest event or one a
consumer has not handled (pb_hooks/lib/retention.js).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sidecar.outbox.log import OutboxLog

log = logging.getLogger(__name__)

BATCH = 5000
"""Events deleted per request (one short transaction each)."""


async def trim_once(outbox: OutboxLog, keep_days: float) -> int:
    """Delete every event older than `keep_days`, a batch at a time; how many went."""
    before = datetime.now(UTC) - timedelta(days=keep_days)
    total = 0
    while True:
        deleted = await outbox.trim(before, BATCH)
        total += deleted
        if deleted < BATCH:
            break
    if total:
        log.info("outbox trimmed", extra={"deleted": total, "before": before.isoformat()})
    return total


async def keep_trimming(outbox: OutboxLog, keep_days: float, every_s: float) -> None:
    """Trim now and every `every_s` seconds, for as long as it runs. A failed round is logged
    and tried again next time (outages are waited out inside `trim`)."""
    while True:
        try:
            await trim_once(outbox, keep_days)
        except Exception:
            log.exception("outbox retention failed; trying again later")
        await asyncio.sleep(every_s)
