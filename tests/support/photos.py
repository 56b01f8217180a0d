"""Uploading photos through the real REST API as a team member."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from tests.support.teams import Member


def new_job(office: Member, title: str = "Wheel job", assignee: str = "") -> dict[str, Any]:
    with office.client() as client:
        response = client.post(
            "/api/collections/jobs/records",
            json={"team": office.team, "title": title, "assignee": assignee},
        )
        response.raise_for_status()
        return dict(response.json())


def upload(
    member: Member, job: str, data: bytes, *, name: str = "photo.jpg", mime: str = "image/jpeg"
) -> dict[str, Any]:
    with member.client() as client:
        response = client.post(
            "/api/collections/photos/records",
            data={"team": member.team, "job": job, "sha256": hashlib.sha256(data).hexdigest()},
            files={"file": (name, data, mime)},
        )
        response.raise_for_status()
        return dict(response.json())


def get_photo(su: httpx.Client, photo_id: str) -> dict[str, Any]:
    response = su.get(f"/api/collections/photos/records/{photo_id}")
    response.raise_for_status()
    return dict(response.json())


def read_file(su: httpx.Client, photo: dict[str, Any], field: str) -> bytes:
    token = su.post("/api/files/token").json()["token"]
    response = su.get(f"/api/files/photos/{photo['id']}/{photo[field]}", params={"token": token})
    response.raise_for_status()
    return response.content


def events_for(su: httpx.Client, record: str) -> list[dict[str, Any]]:
    response = su.get(
        "/api/collections/events/records",
        params={"filter": f'record = "{record}"', "sort": "seq", "perPage": 200},
    )
    response.raise_for_status()
    return list(response.json()["items"])
