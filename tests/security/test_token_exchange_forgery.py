"""Attack on the hub's token exchange: forged PocketBase tokens from many addresses must never
make a real user's exchange fail, with PocketBase's default rate limits on (600 API requests
per 10 s per IP, which the sidecar's lookups used to share with every real user)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from sidecar.exchange import USERS_COLLECTION
from tests.support.pocketbase import PocketBaseProcess
from tests.support.sidecar import SidecarProcess, own_stack
from tests.support.teams import SeededTeam

TOKEN_PATH = "/.well-known/mercure/token"
ATTACKERS = 40
PER_ATTACKER = 40  # 1,600 forged lookups in all: well past PocketBase's 600 per 10 s


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[tuple[PocketBaseProcess, SidecarProcess, SeededTeam]]:
    """PocketBase with its default rate limits (loopback not exempt) and a sidecar."""
    with own_stack(tmp_path, "Victims", exempt_loopback=False) as stack:
        yield stack


def _forged() -> str:
    """Shaped exactly like a live PocketBase user token, signed with a guess."""
    payload = {
        "id": secrets.token_hex(8)[:15],
        "type": "auth",
        "collectionId": USERS_COLLECTION,
        "exp": int(time.time()) + 3600,
        "refreshable": True,
    }
    return jwt.encode(payload, secrets.token_hex(16), algorithm="HS256")


async def _attack(url: str, source: str) -> Counter[int]:
    transport = httpx.AsyncHTTPTransport(local_address=source)
    statuses: Counter[int] = Counter()
    async with httpx.AsyncClient(base_url=url, transport=transport, timeout=10) as client:
        for _ in range(PER_ATTACKER):
            answer = await client.post(TOKEN_PATH, headers={"Authorization": _forged()})
            statuses[answer.status_code] += 1
    return statuses


async def test_forged_tokens_from_many_addresses_never_lock_a_real_user_out(
    limited: tuple[PocketBaseProcess, SidecarProcess, SeededTeam],
) -> None:
    _, sidecar, team = limited
    real_token = team.office.token  # logged in before the attack
    sources = [f"127.0.0.{n}" for n in range(2, 2 + ATTACKERS)]
    started = time.monotonic()
    results = await asyncio.gather(*(_attack(sidecar.url, source) for source in sources))
    statuses = sum(results, Counter[int]())
    assert statuses[200] == 0, "a forged token was accepted"
    assert set(statuses) <= {401, 429}, statuses
    assert statuses[401] > 600, "the forged lookups went past PocketBase's per-IP budget"
    async with httpx.AsyncClient(base_url=sidecar.url, timeout=10) as client:
        answer = await client.post(TOKEN_PATH, headers={"Authorization": real_token})
    assert answer.status_code == 200, answer.text
    assert time.monotonic() - started < 60


async def test_one_address_gets_its_own_budget_and_a_retry_after(
    limited: tuple[PocketBaseProcess, SidecarProcess, SeededTeam],
) -> None:
    _, sidecar, team = limited
    statuses = await _attack(sidecar.url, "127.0.0.250")
    assert statuses[401] == 30 and statuses[429] == PER_ATTACKER - 30  # FIELDSYNC default
    async with httpx.AsyncClient(base_url=sidecar.url, timeout=10) as client:
        answer = await client.post(TOKEN_PATH, headers={"Authorization": team.field.token})
    assert answer.status_code == 200, "another address is not held to that budget"
