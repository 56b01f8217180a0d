"""Clients for the SDK tests, logged in as the session's seeded users (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from fieldsync import AsyncClient, Job


@pytest.fixture
async def anonymous(pocketbase: Any) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(pocketbase.url) as client:
        yield client


@pytest.fixture
async def superuser_client(pocketbase: Any) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(pocketbase.url) as client:
        await client.auth.superuser(pocketbase.superuser_email, pocketbase.superuser_password)
        yield client


@pytest.fixture
async def office_a(pocketbase: Any, team_a: Any) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(pocketbase.url) as client:
        await client.auth.with_password(team_a.office.email, team_a.office.password)
        yield client


@pytest.fixture
async def field_a(pocketbase: Any, team_a: Any) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(pocketbase.url) as client:
        await client.auth.with_password(team_a.field.email, team_a.field.password)
        yield client


@pytest.fixture
async def office_b(pocketbase: Any, team_b: Any) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(pocketbase.url) as client:
        await client.auth.with_password(team_b.office.email, team_b.office.password)
        yield client


@pytest.fixture
async def job_a(office_a: AsyncClient, team_a: Any) -> Job:
    return await office_a.jobs.create(Job(team=team_a.id, title="Photograph the meter"))
