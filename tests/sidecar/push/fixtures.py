"""Fixtures for the Web Push tests (imported by `tests/sidecar/push/conftest.py` and the
attacker-side tests in `tests/security/`): a loopback push service, a PocketBase that allows
it as a push service, fresh teams there, and helpers to store subscriptions as users."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from sidecar.push.vapid import new_private_key
from tests.support.pocketbase import PocketBaseProcess, launch
from tests.support.push import PRODUCTION_HOSTS, SUBSCRIPTIONS, skip_history, vapid_public_key
from tests.support.push.browser import Browser
from tests.support.push.service import PushService
from tests.support.sidecar import SidecarProcess
from tests.support.teams import Member, SeededTeam, make_team, make_user


@pytest.fixture(scope="session")
def push_service() -> Iterator[PushService]:
    service = PushService().start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def allowed_hosts(push_service: PushService) -> str:
    """The production list widened to the loopback push service (http, its port only)."""
    return f"{PRODUCTION_HOSTS},{push_service.url}"


@pytest.fixture(scope="session")
def push_pb(
    tmp_path_factory: pytest.TempPathFactory, allowed_hosts: str
) -> Iterator[PocketBaseProcess]:
    """A PocketBase whose push allowlist includes the loopback push service."""
    pb = launch(
        tmp_path_factory.mktemp("push-pb") / "pb_data",
        exempt_loopback=True,
        env={"FIELDSYNC_PUSH_ALLOWED_HOSTS": allowed_hosts},
    )
    yield pb
    pb.cleanup()


@pytest.fixture(scope="session")
def push_su(push_pb: PocketBaseProcess) -> Iterator[httpx.Client]:
    with push_pb.superuser_client() as client:
        yield client


@pytest.fixture(scope="session")
def vapid_key() -> str:
    return new_private_key()


@dataclass
class Crew:
    """A fresh team on the push PocketBase, a second field worker, and their browsers."""

    team: SeededTeam
    field2: Member
    su: httpx.Client
    service: PushService
    browsers: dict[str, Browser] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.team.id

    def set_lang(self, member: Member, lang: str) -> None:
        self.su.patch(
            f"/api/collections/users/records/{member.id}", json={"lang": lang}
        ).raise_for_status()

    def subscribe(self, member: Member, *answers: object) -> str:
        """Store a new subscription of `member` (as that user) with an endpoint on the loopback
        push service answering `answers`; returns the endpoint."""
        endpoint = self.service.endpoint(*answers)  # type: ignore[arg-type]
        browser = Browser()
        with member.client() as client:
            response = client.post(SUBSCRIPTIONS, json=browser.subscription(member.id, endpoint))
        assert response.status_code == 200, response.text
        self.browsers[endpoint] = browser
        return endpoint

    def subscription_exists(self, endpoint: str) -> bool:
        response = self.su.get(
            SUBSCRIPTIONS, params={"filter": f'endpoint = "{endpoint}"', "perPage": 1}
        )
        response.raise_for_status()
        return bool(response.json()["items"])


def new_crew(su: httpx.Client, service: PushService, name: str = "Crew") -> Crew:
    team = make_team(su, f"{name} {secrets.token_hex(2)}")
    field2 = make_user(su, team.id, "field", f"second-{secrets.token_hex(3)}")
    return Crew(team, field2, su, service)


@pytest.fixture
def crew(push_su: httpx.Client, push_service: PushService) -> Crew:
    return new_crew(push_su, push_service, "Crew")


@pytest.fixture
def other_crew(push_su: httpx.Client, push_service: PushService) -> Crew:
    return new_crew(push_su, push_service, "Other")


StartSidecar = Callable[..., SidecarProcess]


@pytest.fixture
def start_push_sidecar(
    push_pb: PocketBaseProcess,
    push_su: httpx.Client,
    make_sidecar: Callable[..., SidecarProcess],
    vapid_key: str,
    allowed_hosts: str,
) -> StartSidecar:
    """Start real sidecars with push on (sharing one consumer that starts at the outbox head)."""
    consumer = f"push-{secrets.token_hex(3)}"
    skip_history(push_su, consumer)

    def start(**env: str) -> SidecarProcess:
        sidecar = make_sidecar(
            push_pb,
            consumer,
            FIELDSYNC_PUSH_VAPID_PRIVATE_KEY=vapid_key,
            FIELDSYNC_PUSH_ALLOWED_HOSTS=allowed_hosts,
            FIELDSYNC_PUSH_CLAIM_TTL_S="3",
            **env,
        )
        sidecar.start()
        vapid_public_key(sidecar)
        return sidecar

    return start
