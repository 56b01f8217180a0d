"""Session fixtures: one real PocketBase (the repo's migrations and hooks) and two teams."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import httpx
import pytest

from tests.support.pocketbase import PocketBaseProcess, launch
from tests.support.sidecar import SidecarFactory, SidecarProcess
from tests.support.teams import SeededTeam, make_team


def pytest_sessionstart(session: pytest.Session) -> None:
    """A run stopped with SIGTERM (a CI timeout, `kill`) ends as Ctrl-C does: the fixtures tear
    down, so the PocketBase, sidecar and Caddy processes they started stop with it."""
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"stopped by signal {signum}")


@pytest.fixture(scope="session")
def pocketbase(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PocketBaseProcess]:
    """The session's PocketBase. Loopback is exempt from rate limits here; the rate-limit test
    uses a server of its own."""
    pb = launch(tmp_path_factory.mktemp("pb") / "pb_data", exempt_loopback=True)
    yield pb
    pb.cleanup()


@pytest.fixture(scope="session")
def superuser(pocketbase: PocketBaseProcess) -> Iterator[httpx.Client]:
    with pocketbase.superuser_client() as client:
        yield client


@pytest.fixture(scope="session")
def team_a(superuser: httpx.Client) -> SeededTeam:
    return make_team(superuser, "Team A")


@pytest.fixture(scope="session")
def team_b(superuser: httpx.Client) -> SeededTeam:
    return make_team(superuser, "Team B")


@pytest.fixture
def fresh_pocketbase(tmp_path: Path) -> Iterator[PocketBaseProcess]:
    """A PocketBase of the test's own, for tests that restart it or change its settings."""
    pb = launch(tmp_path / "pb_data")
    yield pb
    pb.cleanup()


@pytest.fixture
def make_sidecar(tmp_path: Path) -> Iterator[SidecarFactory]:
    """Build (not start) real sidecar processes. They share the consumer `sidecar` (so history
    is handled once per server) unless `consumer` is given; stopped sidecars give their lease
    up, and all are stopped at the end of the test."""
    made: list[SidecarProcess] = []

    def build(pb: PocketBaseProcess, consumer: str | None = None, **env: str) -> SidecarProcess:
        defaults = {"FIELDSYNC_CONSUMER_NAME": consumer or "sidecar", "FIELDSYNC_LEASE_TTL_S": "3"}
        sidecar = SidecarProcess(pb, tmp_path, port=None, **{**defaults, **env})
        made.append(sidecar)
        return sidecar

    yield build
    stuck: list[AssertionError] = []
    for sidecar in made:
        try:
            sidecar.stop()
        except AssertionError as exc:  # stop the others all the same
            stuck.append(exc)
    if stuck:
        raise stuck[0]
