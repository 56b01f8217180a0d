"""The push service failing during a busy morning: it answers 500, then does not answer at all
(the sidecar's request times out), then 503 with a Retry-After, and only then takes the
notification. Every notification still goes out exactly once, and nothing else slows down
or is lost meanwhile."""

from __future__ import annotations

import re
from collections import Counter

from tests.support import audit
from tests.support.morning import Morning, Size
from tests.support.push.service import HANG, Answer
from tests.support.stack import StackFactory

OUTAGE = (Answer(500), HANG, Answer(503, {"Retry-After": "1"}), Answer(201))
"""What every endpoint answers in turn (the last from then on)."""


async def test_push_service_timing_out_and_failing(make_stack: StackFactory, size: Size) -> None:
    stack = make_stack(
        sidecar_env={"FIELDSYNC_PUSH_TIMEOUT_S": "1", "FIELDSYNC_PUSH_RETRY_MAX_S": "2"}
    )

    async def outage(morning: Morning) -> None:
        for endpoint in morning.shop.endpoint_of.values():
            stack.push.program(endpoint, *OUTAGE)

    morning = await Morning.open(stack, size)
    await morning.run(outage)
    outcome = await morning.finish()
    print("\n" + outcome.table("push service failing"))

    assert outcome.settled, outcome.state
    ledger, after = outcome.ledger, outcome.after
    answered = Counter(post.answered for post in outcome.pushes)
    reached = {post.endpoint for post in outcome.pushes}
    assert answered[500] == answered[0] == answered[503] == len(reached), answered
    assert audit.pushes(ledger, after, morning.shop, outcome.pushes) == []
    retried = re.search(r"^fieldsync_push_retried_total (\d+)", stack.sidecar.metrics(), re.M)
    assert retried is not None and int(retried[1]) == 3 * len(reached)

    assert audit.outbox(ledger) == []
    assert audit.photos(ledger, after, outcome.uploads) == []
    assert audit.hub(ledger, after, outcome.hub_logs, outcome.hub_opened) == []
    assert audit.realtime(ledger, after, outcome.dashboards) == []
    assert '"level": "error"' not in stack.sidecar.log()
