from __future__ import annotations

import asyncio

import pytest

from sidecar.hub._eager import run_eagerly


async def test_finishes_on_the_spot_without_suspending() -> None:
    done: list[int] = []

    async def quick() -> None:
        done.append(1)

    assert run_eagerly(quick()) is None
    assert done == [1]


async def test_hands_back_the_rest_when_it_suspends() -> None:
    gate = asyncio.get_running_loop().create_future()
    steps: list[str] = []

    async def slow() -> None:
        steps.append("before")
        steps.append(await gate)

    rest = run_eagerly(slow())
    assert rest is not None
    assert steps == ["before"]
    task = asyncio.ensure_future(rest)
    gate.set_result("after")
    await asyncio.wait_for(task, 1)
    assert steps == ["before", "after"]


async def test_cancelling_the_rest_reaches_the_coroutine() -> None:
    cleaned: list[bool] = []

    async def waits_forever() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cleaned.append(True)

    rest = run_eagerly(waits_forever())
    assert rest is not None
    task = asyncio.ensure_future(rest)
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned == [True]
