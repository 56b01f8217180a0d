"""Fixtures for the PocketBase rule, outbox, input and settings tests.

Clients per role (`field_a`, `office_b`, `anonymous`, ...), factories that write through the real
API (`make_job`, `make_photo`) and `outbox`, a superuser's view of the `events` collection.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.support.pocketbase import PocketBaseProcess
from tests.support.teams import Member, SeededTeam

Record = dict[str, Any]


@functools.cache
def _tiny_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def jpeg_bytes(padding: int = 0) -> bytes:
    """A valid JPEG, unique on every call (random bytes after the end marker), `padding` bytes
    longer than the smallest one."""
    return _tiny_jpeg() + os.urandom(16) + b"\0" * padding


def webp_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 30, 200)).save(buffer, "WEBP")
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def unique(prefix: str) -> str:
    """A marker for titles, names and endpoints, so a test finds only what it wrote."""
    return f"{prefix}-{secrets.token_hex(4)}"


def assert_pb_error(response: httpx.Response, status: int, message: str | None = None) -> Record:
    """PocketBase's error shape: JSON `{status, message, data}` with the given status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body: Record = response.json()
    assert body["status"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["data"], dict)
    if message is not None:
        assert body["message"] == message, body
    return body


def assert_field_error(response: httpx.Response, field: str, code: str) -> Record:
    """A 400 validation error naming `field` with PocketBase's error `code`."""
    body = assert_pb_error(response, 400)
    assert field in body["data"], body
    assert body["data"][field]["code"] == code, body
    assert body["data"][field]["message"], body
    return body


# --- clients per role ----------------------------------------------------------------------


def _client(member: Member) -> Iterator[httpx.Client]:
    with member.client() as client:
        yield client


@pytest.fixture(scope="session")
def anonymous(pocketbase: PocketBaseProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=pocketbase.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def field_a(team_a: SeededTeam) -> Iterator[httpx.Client]:
    yield from _client(team_a.field)


@pytest.fixture(scope="session")
def office_a(team_a: SeededTeam) -> Iterator[httpx.Client]:
    yield from _client(team_a.office)


@pytest.fixture(scope="session")
def admin_a(team_a: SeededTeam) -> Iterator[httpx.Client]:
    yield from _client(team_a.admin)


@pytest.fixture(scope="session")
def field_b(team_b: SeededTeam) -> Iterator[httpx.Client]:
    yield from _client(team_b.field)


@pytest.fixture(scope="session")
def office_b(team_b: SeededTeam) -> Iterator[httpx.Client]:
    yield from _client(team_b.office)


@pytest.fixture(scope="session")
def admin_b(team_b: SeededTeam) -> Iterator[httpx.Client]:
    yield from _client(team_b.admin)


# --- records -------------------------------------------------------------------------------


class Records:
    """A superuser's read of one collection: what is really stored, whatever the rules say."""

    def __init__(self, superuser: httpx.Client) -> None:
        self._su = superuser

    def get(self, collection: str, record_id: str) -> Record | None:
        response = self._su.get(f"/api/collections/{collection}/records/{record_id}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        record: Record = response.json()
        return record

    def count(self, collection: str, filter: str = "") -> int:
        response = self._su.get(
            f"/api/collections/{collection}/records",
            params={"filter": filter, "perPage": 1, "fields": "id"},
        )
        response.raise_for_status()
        return int(response.json()["totalItems"])


@pytest.fixture(scope="session")
def records(superuser: httpx.Client) -> Records:
    return Records(superuser)


@pytest.fixture(scope="session")
def make_job(superuser: httpx.Client) -> Callable[..., Record]:
    """`make_job(team_id, client=superuser, **fields)`: a job created through the API."""

    def make(team: str, client: httpx.Client | None = None, **fields: Any) -> Record:
        body = {"team": team, "title": unique("job"), **fields}
        response = (client or superuser).post("/api/collections/jobs/records", json=body)
        assert response.status_code == 200, response.text
        record: Record = response.json()
        return record

    return make


def post_photo(
    client: httpx.Client,
    team: str,
    job: str,
    content: bytes | None = None,
    *,
    filename: str | None = "photo.jpg",
    files: dict[str, Any] | None = None,
    **fields: Any,
) -> httpx.Response:
    """A multipart photo upload; `sha256` defaults to the content's digest, a field given as
    None is left out, and `filename=None` sends no file."""
    content = jpeg_bytes() if content is None else content
    data = {"team": team, "job": job, "sha256": sha256(content), **fields}
    data = {key: str(value) for key, value in data.items() if value is not None}
    upload = dict(files or {})
    if filename is not None:
        upload["file"] = (filename, content, "image/jpeg")
    return client.post("/api/collections/photos/records", data=data, files=upload or None)


@pytest.fixture(scope="session")
def make_photo(superuser: httpx.Client) -> Callable[..., Record]:
    """`make_photo(team_id, job_id, client=superuser, **fields)`: a stored photo."""

    def make(team: str, job: str, client: httpx.Client | None = None, **fields: Any) -> Record:
        response = post_photo(client or superuser, team, job, **fields)
        assert response.status_code == 200, response.text
        record: Record = response.json()
        return record

    return make


# --- the outbox ----------------------------------------------------------------------------


class Outbox:
    """The `events` collection as the sidecar reads it: by sequence number."""

    def __init__(self, superuser: httpx.Client) -> None:
        self._su = superuser

    def last_seq(self) -> int:
        response = self._su.get(
            "/api/collections/events/records", params={"sort": "-seq", "perPage": 1}
        )
        response.raise_for_status()
        items = response.json()["items"]
        return int(items[0]["seq"]) if items else 0

    def since(self, seq: int) -> list[Record]:
        """Every event after `seq`, in sequence order."""
        events: list[Record] = []
        page = 1
        while True:
            response = self._su.get(
                "/api/collections/events/records",
                params={"filter": f"seq > {seq}", "sort": "seq", "perPage": 500, "page": page},
            )
            response.raise_for_status()
            body = response.json()
            events.extend(body["items"])
            if page >= body["totalPages"]:
                return events
            page += 1

    def for_record(self, record_id: str) -> list[Record]:
        response = self._su.get(
            "/api/collections/events/records",
            params={"filter": f'record = "{record_id}"', "sort": "seq", "perPage": 500},
        )
        response.raise_for_status()
        items: list[Record] = response.json()["items"]
        return items


@pytest.fixture(scope="session")
def outbox(superuser: httpx.Client) -> Outbox:
    return Outbox(superuser)


# --- shared by the rule tests ---------------------------------------------------------------

CREATE_REFUSED = "Failed to create record."
NOT_FOUND = "The requested resource wasn't found."
SUPERUSERS_ONLY = "Only superusers can perform this action."

JOBS = "/api/collections/jobs/records"
PHOTOS = "/api/collections/photos/records"
USERS = "/api/collections/users/records"
TEAMS = "/api/collections/teams/records"
PUSH = "/api/collections/push_subscriptions/records"

MakeJob = Callable[..., Record]
MakePhoto = Callable[..., Record]


def ids(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}
