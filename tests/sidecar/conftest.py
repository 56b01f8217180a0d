"""A real sidecar process per test module (or per test, for tests that kill it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.pocketbase import PocketBaseProcess
from tests.support.sidecar import SidecarProcess

SidecarFactory = Callable[..., SidecarProcess]


@pytest.fixture
def make_sidecar(tmp_path: Path) -> Iterator[SidecarFactory]:
    """Build (not start) sidecars. They share the consumer `sidecar` (so history is handled
    once per server) unless `consumer` is given; stopped sidecars give their lease up."""
    made: list[SidecarProcess] = []

    def build(pb: PocketBaseProcess, consumer: str | None = None, **env: str) -> SidecarProcess:
        defaults = {"FIELDSYNC_CONSUMER_NAME": consumer or "sidecar", "FIELDSYNC_LEASE_TTL_S": "3"}
        sidecar = SidecarProcess(pb, tmp_path, **{**defaults, **env})
        made.append(sidecar)
        return sidecar

    yield build
    for sidecar in made:
        sidecar.stop()
