"""The sidecar stalls in the middle of a busy morning (frozen past its consumer lease, as a long
pause of the process or the machine does), and meanwhile another holder takes the lease for
a moment. When it goes on, it must notice, stand by, take the lease again once it is free and
catch up from the persisted cursor: nothing lost, handled twice in effect, or left waiting."""

from __future__ import annotations

import asyncio
import os
import signal

from tests.support import audit
from tests.support.morning import Morning, Size
from tests.support.stack import SIDECAR_ENV, Stack, StackFactory
from tests.support.waiting import wait_until

STALL_AT = 0.3
"""Of the uploads done when the sidecar freezes."""
LEASE_TTL_S = float(SIDECAR_ENV["FIELDSYNC_LEASE_TTL_S"])
LEASE = "/api/fieldsync/consumers/sidecar/lease"
INTRUDER = {"holder": "another sidecar"}
SETTLE_S = 60.0


def _lease(stack: Stack, method: str) -> None:
    with stack.su() as su:
        su.request(method, LEASE, json=INTRUDER).raise_for_status()


async def test_sidecar_stalled_past_its_lease_catches_up(
    make_stack: StackFactory, size: Size
) -> None:
    stack = make_stack()

    async def stall(morning: Morning) -> None:
        await morning.progress.reached(int(size.uploads * STALL_AT))
        os.kill(stack.sidecar.pid, signal.SIGSTOP)
        try:
            await asyncio.sleep(LEASE_TTL_S + 0.5)  # the stall itself: a length, not an event
            await asyncio.to_thread(_lease, stack, "POST")
        finally:
            os.kill(stack.sidecar.pid, signal.SIGCONT)
        try:
            await wait_until(
                lambda: "lost the outbox consumer lease" in stack.sidecar.log(),
                "the sidecar to notice its lease is gone",
                timeout=3 * LEASE_TTL_S,
                interval=0.1,
            )
        finally:
            await asyncio.to_thread(_lease, stack, "DELETE")

    morning = await Morning.open(stack, size)
    try:
        await morning.run(stall)
    finally:
        outcome = await morning.finish(settle_s=SETTLE_S)

    assert outcome.settled, outcome.state
    ledger, after = outcome.ledger, outcome.after
    assert audit.outbox(ledger) == []
    assert audit.photos(ledger, after, outcome.uploads) == []
    assert audit.storage(ledger) == []
    assert audit.hub(ledger, after, outcome.hub_logs, outcome.hub_opened) == []
    assert audit.pushes(ledger, after, morning.shop, outcome.pushes) == []
