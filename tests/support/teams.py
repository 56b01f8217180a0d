"""Teams and users made through the real API as a superuser (what an admin does)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import httpx


@dataclass
class Member:
    id: str
    email: str
    password: str
    role: str
    team: str
    url: str
    _token: str = field(default="", repr=False)

    @property
    def token(self) -> str:
        if not self._token:
            response = httpx.post(
                f"{self.url}/api/collections/users/auth-with-password",
                json={"identity": self.email, "password": self.password},
            )
            response.raise_for_status()
            self._token = response.json()["token"]
        return self._token

    def client(self) -> httpx.Client:
        """An httpx client logged in as this user."""
        return httpx.Client(base_url=self.url, headers={"Authorization": self.token}, timeout=30)


@dataclass
class SeededTeam:
    id: str
    name: str
    field: Member
    office: Member
    admin: Member


def make_user(su: httpx.Client, team_id: str, role: str, tag: str) -> Member:
    email = f"{role}-{tag}@fieldsync.test"
    password = secrets.token_urlsafe(12)
    response = su.post(
        "/api/collections/users/records",
        json={
            "email": email,
            "password": password,
            "passwordConfirm": password,
            "name": f"{role.title()} {tag}",
            "role": role,
            "team": team_id,
        },
    )
    response.raise_for_status()
    return Member(
        response.json()["id"], email, password, role, team_id, str(su.base_url).rstrip("/")
    )


def make_team(su: httpx.Client, name: str) -> SeededTeam:
    team = su.post("/api/collections/teams/records", json={"name": name})
    team.raise_for_status()
    team_id = team.json()["id"]
    tag = f"{name.lower().replace(' ', '-')}-{secrets.token_hex(3)}"
    return SeededTeam(
        id=team_id,
        name=name,
        field=make_user(su, team_id, "field", tag),
        office=make_user(su, team_id, "office", tag),
        admin=make_user(su, team_id, "admin", tag),
    )
