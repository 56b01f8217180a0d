"""A shop's busy morning, no faults: phones upload as their own users while the office edits
jobs and dashboards listen on the hub and on PocketBase realtime. Nothing is lost or
duplicated anywhere, and the figures are printed."""

from __future__ import annotations

from tests.support.morning import Morning, Size
from tests.support.stack import StackFactory


async def test_busy_morning(make_stack: StackFactory, size: Size) -> None:
    stack = make_stack()
    morning = await Morning.open(stack, size)
    await morning.run()
    outcome = await morning.finish()
    print("\n" + outcome.table(f"busy morning: {size.phones} phones x {size.photos} photos"))

    assert len(outcome.upload_ms) == size.uploads
    assert {name: found for name, found in outcome.audit(morning.shop).items() if found} == {}
    assert sum(editor.edits for editor in morning.editors) > 0
    assert [editor.errors for editor in morning.editors if editor.errors] == []
    assert '"level": "error"' not in stack.sidecar.log()
