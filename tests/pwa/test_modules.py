"""The pages' plain modules, run in Chromium: the photo id agrees with the Python SDK, both
catalogues have the same keys, presence shows people (not connections) with a grace period."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from fieldsync import photo_id
from playwright.sync_api import BrowserContext, Page

from tests.pwa.conftest import Stack


@pytest.fixture
def page(pages: Stack, phone: BrowserContext) -> Iterator[Page]:
    page = phone.new_page()
    page.goto(f"{pages.url}/")
    yield page


@pytest.mark.parametrize(
    ("team", "content"),
    [("abc123def456ghi", b"photo"), ("t" * 15, b""), ("0123456789abcde", bytes(range(256)) * 40)],
)
def test_photo_id_matches_the_python_sdk(page: Page, team: str, content: bytes) -> None:
    sha256 = hashlib.sha256(content).hexdigest()
    got = page.evaluate(
        """async ([team, bytes]) => {
          const m = await import("/js/photo-id.js");
          const sha = await m.sha256Hex(new Uint8Array(bytes));
          return [sha, await m.photoId(team, sha), await m.photoId(team, sha.toUpperCase())];
        }""",
        [team, list(content)],
    )
    assert got == [sha256, photo_id(team, sha256), photo_id(team, sha256)]


def test_catalogues_have_the_same_keys(page: Page) -> None:
    keys = page.evaluate(
        """async () => {
          const ko = (await import("/js/i18n/ko.js")).default;
          const en = (await import("/js/i18n/en.js")).default;
          return [Object.keys(ko).sort(), Object.keys(en).sort()];
        }"""
    )
    assert keys[0] == keys[1]
    assert len(keys[0]) > 50


def test_language_choice(page: Page) -> None:
    picks = page.evaluate(
        """async () => {
          const { pickLanguage } = await import("/js/i18n.js");
          return [
            pickLanguage(null, ["ko-KR", "en-US"]), pickLanguage(null, ["en-GB", "ko"]),
            pickLanguage(null, ["fr-FR"]), pickLanguage("en", ["ko-KR"]), pickLanguage("xx", []),
          ];
        }"""
    )
    assert picks == ["ko", "en", "ko", "en", "ko"]


def test_presence_groups_connections_and_waits_before_offline(page: Page) -> None:
    result = page.evaluate(
        """async () => {
          const { Presence, GRACE_MS } = await import("/js/presence.js");
          const p = new Presence();
          const t0 = Date.parse("2026-11-30T09:00:00Z");
          const sub = (n, user, active, since, until) => ({
            "@context": "https://mercure.rocks/", type: "Subscription", id: `/s/${n}`,
            subscriber: `urn:uuid:${n}`, topic: "/teams/t/{+rest}", active,
            since: new Date(since).toISOString(),
            ...(until ? {until: new Date(until).toISOString()} : {}),
            payload: {
              user, team: "t",
              name: user === "u1" ? "Kim <b>" : "Lee",
              role: user === "u1" ? "office" : "field",
            },
          });
          for (const n of [1, 2, 3]) p.apply(sub(n, "u1", true, t0 + n * 1000));
          p.apply(sub(4, "u2", true, t0));
          const three = p.people(t0 + 5000);
          p.apply(sub(4, "u2", false, t0, t0 + 10000));          // the phone drops
          const during = p.people(t0 + 10000 + GRACE_MS - 1);
          const wait = p.nextChange(t0 + 10000);
          const after = p.people(t0 + 10000 + GRACE_MS + 1);
          p.apply(sub(1, "u1", false, t0, t0 + 20000));         // one tab of three closes
          const tabs = p.people(t0 + 60000);
          const later = p.people(t0 + 10000 + 2 * 3600 * 1000);
          const ignored = p.apply({type: "other"});
          return {three, during, wait, after, tabs, later: later.map((x) => x.user), ignored};
        }"""
    )
    t0 = 1796029200000  # 2026-11-30T09:00:00Z
    assert [(x["user"], x["online"], x["since"]) for x in result["three"]] == [
        ("u1", True, t0 + 1000),
        ("u2", True, t0),
    ]
    assert result["three"][0]["name"] == "Kim <b>"
    assert [x["online"] for x in result["during"]] == [True, True]
    assert 0 < result["wait"] <= 10_050
    u2 = next(x for x in result["after"] if x["user"] == "u2")
    assert u2["online"] is False and u2["lastSeen"] == t0 + 10000
    u1 = next(x for x in result["tabs"] if x["user"] == "u1")
    assert u1["online"] is True and u1["since"] == t0 + 2000
    assert result["later"] == ["u1"]
    assert result["ignored"] is False


def test_hub_token_renewal_and_backoff_timing(page: Page) -> None:
    timing = page.evaluate(
        """async () => {
          const { renewDelay } = await import("/js/live.js");
          const { backoffDelay } = await import("/js/backoff.js");
          const now = 1_000_000_000_000;
          return {
            hour: renewDelay(now / 1000 + 3600, now),
            quarter: renewDelay(now / 1000 + 900, now),
            minute: renewDelay(now / 1000 + 60, now),
            expired: renewDelay(now / 1000 - 5, now),
            low: [1, 2, 3, 10].map((n) => backoffDelay(n, { random: () => 0 })),
            high: [1, 2, 3, 10].map((n) => backoffDelay(n, { random: () => 1 })),
          };
        }"""
    )
    assert timing["hour"] == 3540_000  # a minute before
    assert timing["quarter"] == 840_000  # tokens of 15 minutes, as the hub will issue
    assert timing["minute"] == 48_000  # a fifth of a short lifetime
    assert timing["expired"] == 1000
    assert timing["low"] == [500, 1000, 2000, 10000]
    assert timing["high"] == [1000, 2000, 4000, 20000]
