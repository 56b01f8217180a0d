"""A shop's people, set up through the real API: teams with an office user, a team admin and
field workers (the phones), one job per phone assigned to it, and a Web Push subscription
(real browser keys, on the loopback push service) for every one of them.

    shop = Shop.open(su, push_service, teams=5, phones=50)
    shop.teams[0].phones[3]          # a Member; shop.job_of[member.id] is its job's id
    shop.endpoint_of[member.id]      # its push endpoint; shop.browsers[endpoint] decrypts
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import httpx

from tests.support.push import SUBSCRIPTIONS
from tests.support.push.browser import Browser
from tests.support.push.service import PushService
from tests.support.sse import HUB
from tests.support.teams import Member, make_team, make_user

JOBS = "/api/collections/jobs/records"


@dataclass
class ShopTeam:
    id: str
    name: str
    office: Member
    admin: Member
    phones: list[Member]

    @property
    def members(self) -> list[Member]:
        return [self.office, self.admin, *self.phones]

    @property
    def office_roles(self) -> list[Member]:
        """Who is told about every new photo and status change of the team."""
        return [self.office, self.admin]


@dataclass
class Shop:
    teams: list[ShopTeam]
    job_of: dict[str, str] = field(default_factory=dict)
    """Phone (user id) -> the job assigned to it."""
    endpoint_of: dict[str, str] = field(default_factory=dict)
    """User id -> its push endpoint."""
    subscription_of: dict[str, str] = field(default_factory=dict)
    """User id -> its push_subscriptions record id."""
    browsers: dict[str, Browser] = field(default_factory=dict)
    """Endpoint -> the browser keys that decrypt what arrives there."""

    @classmethod
    def open(cls, su: httpx.Client, push: PushService, *, teams: int, phones: int) -> Shop:
        """`teams` teams sharing `phones` field workers (round-robin), each with its job and
        a push subscription for everyone."""
        made = []
        for index in range(teams):
            seeded = make_team(su, f"Shop {index + 1}")
            made.append(
                ShopTeam(seeded.id, seeded.name, seeded.office, seeded.admin, [seeded.field])
            )
        for index in range(teams, phones):
            owner = made[index % teams]
            tag = f"phone{index}-{secrets.token_hex(3)}"
            owner.phones.append(make_user(su, owner.id, "field", tag))
        shop = cls(made)
        for team in made:
            with team.office.client() as office:
                for phone in team.phones:
                    response = office.post(
                        JOBS,
                        json={
                            "team": team.id,
                            "title": f"Wheels of {phone.email.split('@')[0]}",
                            "assignee": phone.id,
                        },
                    )
                    response.raise_for_status()
                    shop.job_of[phone.id] = response.json()["id"]
            for member in team.members:
                shop._subscribe(member, push)
        return shop

    def _subscribe(self, member: Member, push: PushService) -> None:
        endpoint = push.endpoint()
        browser = Browser()
        with member.client() as client:
            response = client.post(SUBSCRIPTIONS, json=browser.subscription(member.id, endpoint))
            response.raise_for_status()
        self.endpoint_of[member.id] = endpoint
        self.subscription_of[member.id] = response.json()["id"]
        self.browsers[endpoint] = browser

    @property
    def phones(self) -> list[Member]:
        return [phone for team in self.teams for phone in team.phones]

    def team_of(self, user: str) -> ShopTeam:
        return next(team for team in self.teams if user in {m.id for m in team.members})

    def hub_tokens(self, sidecar_url: str) -> dict[str, list[str]]:
        """Team id -> hub tokens of its office user and admin, from the token exchange."""
        tokens: dict[str, list[str]] = {}
        with httpx.Client(base_url=sidecar_url, timeout=10) as hub:
            for team in self.teams:
                for member in team.office_roles:
                    response = hub.post(f"{HUB}/token", headers={"Authorization": member.token})
                    response.raise_for_status()
                    tokens.setdefault(team.id, []).append(response.json()["token"])
        return tokens
