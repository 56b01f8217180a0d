"""The hub cookie is `Secure` when the hub is reached over HTTPS through the front door (a
trusted proxy says so), and a client cannot claim HTTPS for itself; plain local http keeps
working."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.pocketbase import PocketBaseProcess
from tests.support.sidecar import SidecarFactory, SidecarProcess
from tests.support.teams import SeededTeam

TOKEN = "/.well-known/mercure/token"


@pytest.fixture
def sidecar(
    pocketbase: PocketBaseProcess, make_sidecar: SidecarFactory
) -> Iterator[SidecarProcess]:
    sidecar = make_sidecar(pocketbase)
    sidecar.start()
    yield sidecar


def _cookie(sidecar: SidecarProcess, source: str, team: SeededTeam, **headers: str) -> str:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=sidecar.url, transport=transport) as client:
        answer = client.post(TOKEN, headers={"Authorization": team.field.token, **headers})
    answer.raise_for_status()
    return answer.headers["set-cookie"].lower()


def test_secure_behind_the_front_door_only(sidecar: SidecarProcess, team_a: SeededTeam) -> None:
    assert "secure" not in _cookie(sidecar, "127.0.0.1", team_a)
    assert "secure" in _cookie(sidecar, "127.0.0.1", team_a, **{"X-Forwarded-Proto": "https"})
    forged = _cookie(sidecar, "127.0.0.9", team_a, **{"X-Forwarded-Proto": "https"})
    assert "secure" not in forged, "an untrusted client cannot claim https"


def test_secure_whenever_the_public_address_is_https(
    pocketbase: PocketBaseProcess, make_sidecar: SidecarFactory, team_a: SeededTeam
) -> None:
    sidecar = make_sidecar(pocketbase, FIELDSYNC_PUBLIC_URL="https://shop.example:8443")
    sidecar.start()
    assert "secure" in _cookie(sidecar, "127.0.0.1", team_a)
