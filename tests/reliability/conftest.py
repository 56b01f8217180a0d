"""The reliability campaign's fixtures: the whole system per test (`make_stack`), and the size
of the load.

Sizes: the default is a reduced morning that exercises every check in seconds; with
`FIELDSYNC_LOAD=full` every test here runs the issue's full morning (50 phones x 20 photos,
500 hub and 20 PocketBase realtime dashboards; about 10 minutes and 3 GB of photos per test,
and the disk-full test's small disk is then a 5 GB tmpfs, in memory). The 10-minute soak runs
only with `FIELDSYNC_SOAK=1` (its length: `FIELDSYNC_SOAK_S`, default 600).
`python -m bench.reliability` runs the full morning and the soak and prints their figures.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.morning import FULL, MORNING, Size
from tests.support.stack import Stack, StackFactory


@pytest.fixture(scope="session")
def size() -> Size:
    return FULL if os.environ.get("FIELDSYNC_LOAD") == "full" else MORNING


@pytest.fixture
def make_stack(tmp_path: Path) -> Iterator[StackFactory]:
    """Start whole systems (`Stack.start(tmp_path / name, **options)`); all stopped at the end."""
    made: list[Stack] = []

    def start(name: str = "stack", **options: Any) -> Stack:
        stack = Stack.start(tmp_path / name, **options)
        made.append(stack)
        return stack

    yield start
    for stack in made:
        stack.stop()
