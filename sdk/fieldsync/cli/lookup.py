"""Finding what a command names: a job by id or exact title, a user by email."""

from __future__ import annotations

import re

from .._async.client import AsyncClient
from ..errors import NotFound
from ..filters import build_filter
from ..models import Job, User
from .errors import fail

__all__ = ["find_job", "find_user", "my_team"]

_RECORD_ID = re.compile(r"[a-z0-9]{15}")


async def find_job(client: AsyncClient, ref: str) -> Job:
    """The job whose id, or else whose exact title, is `ref` (among the jobs you may see)."""
    if _RECORD_ID.fullmatch(ref):
        try:
            return await client.jobs.get(ref)
        except NotFound:
            pass
    found = await client.jobs.list(1, 2, filter=build_filter("title = {:t}", t=ref))
    if not found.items:
        fail(f"no job {ref!r}: give a job id or its exact title (see `fieldsync jobs list`)")
    if len(found.items) > 1:
        fail(f"several jobs are titled {ref!r}: give the job id instead")
    return found.items[0]


async def find_user(client: AsyncClient, email: str) -> User:
    """The user with this email in your team (PocketBase shows only visible emails)."""
    try:
        return await client.users.first(build_filter("email = {:e}", e=email))
    except NotFound:
        fail(f"no user {email!r} in your team (or their email is not visible to the team)")


def my_team(client: AsyncClient) -> str:
    """The logged-in user's team id; fails for superusers, who belong to none."""
    record = client.auth.record
    if not isinstance(record, User) or not record.team:
        fail("this command works for a team member's login, not a superuser's")
    return record.team
