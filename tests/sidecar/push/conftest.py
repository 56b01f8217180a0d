"""The push tests' fixtures (`fixtures.py`) and an in-process `PushNotifier` against the push
PocketBase, fed the real outbox events by `Outbox.play()` as the consumer would."""

# ruff: noqa: F401, F811 (pytest fixtures imported from tests/sidecar/push/fixtures.py)

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from fieldsync import AsyncClient, Event

from sidecar.exchange import PrincipalResolver
from sidecar.push import PushConfig, PushNotifier
from sidecar.session import SuperuserSession
from sidecar.settings import Settings
from tests.sidecar.push.fixtures import (
    allowed_hosts,
    crew,
    other_crew,
    push_pb,
    push_service,
    push_su,
    start_push_sidecar,
    vapid_key,
)
from tests.support.pocketbase import PocketBaseProcess
from tests.support.sidecar import PUBLISHER_KEY, SUBSCRIBER_KEY


def push_settings(pb: PocketBaseProcess, key: str, **overrides: Any) -> Settings:
    return Settings(
        pb_url=pb.url,
        pb_superuser_email=pb.superuser_email,
        pb_superuser_password=pb.superuser_password,
        hub_subscriber_key=SUBSCRIBER_KEY,
        hub_publisher_key=PUBLISHER_KEY,
        push_vapid_private_key=key,
        **overrides,
    )


class Outbox:
    """Plays the outbox to notifiers in seq order, as the consumer does."""

    def __init__(self, session: SuperuserSession, after: int) -> None:
        self.session = session
        self.position = after

    async def new_events(self) -> list[Event]:
        events = await self.session.call(
            lambda client: client.events.all(filter=f"seq > {self.position}", sort="seq")
        )
        if events:
            self.position = events[-1].seq
        return events

    async def play(self, notifier: PushNotifier) -> list[Event]:
        """Hand every event since the last call to `notifier`; returns them."""
        events = await self.new_events()
        for event in events:
            await notifier.handle(event)
        return events


NotifierFactory = Callable[..., Any]


@pytest.fixture
async def make_notifier(
    push_pb: PocketBaseProcess, vapid_key: str, allowed_hosts: str
) -> AsyncIterator[NotifierFactory]:
    """Start in-process notifiers (settings overridable); all closed at the end."""
    started: list[tuple[PushNotifier, SuperuserSession]] = []

    async def build(**overrides: Any) -> PushNotifier:
        overrides.setdefault("push_allowed_hosts", allowed_hosts)
        settings = push_settings(push_pb, vapid_key, **overrides)
        session = SuperuserSession(settings)
        await session.login()
        notifier = PushNotifier(
            PushConfig.from_settings(settings), session, PrincipalResolver(session)
        )
        await notifier.start()
        started.append((notifier, session))
        return notifier

    yield build
    for notifier, _ in started:
        await notifier.close()
    if started:  # what a test left pending must not be taken over by the next test's notifier
        await _drop_pending(started[0][1])
    for _, session in started:
        await session.aclose()


async def _drop_pending(session: SuperuserSession) -> None:
    async def drop(client: AsyncClient) -> None:
        rows = client.records("push_deliveries")
        for row in await rows.all(filter='status = "pending"'):
            await rows.delete(row)

    await session.call(drop)


@pytest.fixture
async def notifier(make_notifier: NotifierFactory) -> PushNotifier:
    result: PushNotifier = await make_notifier()
    return result


@pytest.fixture
async def outbox(push_pb: PocketBaseProcess) -> AsyncIterator[Outbox]:
    settings = push_settings(push_pb, "")
    session = SuperuserSession(settings)
    await session.login()
    newest = await session.call(lambda client: client.events.list(1, 1, sort="-seq"))
    yield Outbox(session, newest.items[0].seq if newest.items else 0)
    await session.aclose()
