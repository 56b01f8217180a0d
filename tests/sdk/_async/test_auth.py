"""Logging in: users, superusers, wrong passwords, refresh (manual and automatic), logout."""

from __future__ import annotations

from typing import Any

import pytest
from fieldsync import (
    AsyncClient,
    AuthStore,
    Forbidden,
    Role,
    Superuser,
    Unauthorized,
    User,
)

from .transports import RecordingTransport


async def test_password_login_returns_the_typed_user(anonymous: AsyncClient, team_a: Any) -> None:
    user = await anonymous.auth.with_password(team_a.office.email, team_a.office.password)

    assert isinstance(user, User)
    assert user.id == team_a.office.id
    assert user.role is Role.OFFICE
    assert user.team == team_a.id
    assert anonymous.auth.record == user
    assert anonymous.auth.is_valid
    assert not anonymous.auth.is_superuser
    assert anonymous.auth_store.expires_at is not None


async def test_wrong_password_is_unauthorized_with_pocketbase_message(
    anonymous: AsyncClient, team_a: Any
) -> None:
    with pytest.raises(Unauthorized) as caught:
        await anonymous.auth.with_password(team_a.office.email, "not-the-password")

    assert caught.value.message == "Failed to authenticate."
    assert caught.value.url.endswith("/api/collections/users/auth-with-password")
    assert anonymous.auth.record is None
    assert not anonymous.auth.is_valid


async def test_superuser_login_reads_superuser_only_collections(
    anonymous: AsyncClient, pocketbase: Any
) -> None:
    su = await anonymous.auth.superuser(pocketbase.superuser_email, pocketbase.superuser_password)

    assert isinstance(su, Superuser)
    assert su.email == pocketbase.superuser_email
    assert anonymous.auth.is_superuser
    page = await anonymous.events.list(per_page=1)
    assert page.page == 1


async def test_wrong_superuser_password_is_unauthorized(
    anonymous: AsyncClient, pocketbase: Any
) -> None:
    with pytest.raises(Unauthorized):
        await anonymous.auth.superuser(pocketbase.superuser_email, "wrong")


async def test_refresh_keeps_the_login(office_a: AsyncClient, team_a: Any) -> None:
    record = await office_a.auth.refresh()

    assert isinstance(record, User)
    assert record.id == team_a.office.id
    assert office_a.auth.is_valid


async def test_superuser_refresh(superuser_client: AsyncClient) -> None:
    record = await superuser_client.auth.refresh()

    assert isinstance(record, Superuser)
    assert superuser_client.auth.is_superuser


@pytest.mark.parametrize("who", ["user", "superuser"])
async def test_token_close_to_expiry_is_refreshed_before_the_next_request(
    pocketbase: Any, team_a: Any, who: str
) -> None:
    transport = RecordingTransport()
    # A margin longer than any token's life: every request finds the token "about to expire".
    async with AsyncClient(
        pocketbase.url, transport=transport, refresh_margin=10 * 365 * 86400
    ) as client:
        if who == "user":
            await client.auth.with_password(team_a.office.email, team_a.office.password)
            collection = "users"
        else:
            await client.auth.superuser(pocketbase.superuser_email, pocketbase.superuser_password)
            collection = "_superusers"
        transport.requests.clear()

        await client.jobs.list(per_page=1)

    assert transport.paths == [
        f"/api/collections/{collection}/auth-refresh",
        "/api/collections/jobs/records",
    ]


async def test_no_refresh_while_the_token_is_far_from_expiry(pocketbase: Any, team_a: Any) -> None:
    transport = RecordingTransport()
    async with AsyncClient(pocketbase.url, transport=transport) as client:
        await client.auth.with_password(team_a.office.email, team_a.office.password)
        transport.requests.clear()
        await client.jobs.list(per_page=1)

    assert transport.paths == ["/api/collections/jobs/records"]


async def test_clear_logs_out(office_a: AsyncClient) -> None:
    office_a.auth.clear()

    assert office_a.auth.record is None
    assert office_a.auth.token == ""
    # Anonymous: the team rule lets nothing through, and the outbox stays closed.
    assert (await office_a.jobs.list()).items == []
    with pytest.raises(Forbidden):
        await office_a.events.list()


async def test_clients_can_share_one_auth_store(pocketbase: Any, team_a: Any) -> None:
    store = AuthStore()
    async with AsyncClient(pocketbase.url, auth_store=store) as first:
        await first.auth.with_password(team_a.field.email, team_a.field.password)
    async with AsyncClient(pocketbase.url, auth_store=store) as second:
        assert second.auth.record is not None
        assert second.auth.record.id == team_a.field.id
        users = await second.users.list()
    assert {user.team for user in users.items} == {team_a.id}
