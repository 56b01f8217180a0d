"""Presence on the dashboard and the phone, in real Chromium with the real hub: people, not
connections; a grace period before someone is shown offline; "last seen"; the phone's sign
that the office is online; another team sees none of it; a sidecar restart leaves no ghost."""

from __future__ import annotations

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.pwa.conftest import Problems, Stack, log_in, phone_context
from tests.support.teams import Member, SeededTeam, make_team

GRACE_MS = 10_000


def _person(page: Page, member: Member) -> str:
    return f".people li[data-user='{member.id}']"


def _open(context: BrowserContext, base: str, path: str) -> Page:
    """Another tab of a context that is logged in already (the login is shared)."""
    page = context.new_page()
    page.goto(f"{base}{path}")
    page.wait_for_selector(".conn[data-state=live]", timeout=30_000)
    return page


def test_people_not_connections_with_a_grace_period_and_last_seen(
    stack: Stack, team: SeededTeam, office: BrowserContext, browser: Browser, problems: Problems
) -> None:
    dashboard = office.new_page()
    log_in(dashboard, stack.url, "/office/", team.office)
    field = phone_context(browser, problems)
    try:
        tabs = [field.new_page()]
        log_in(tabs[0], stack.url, "/", team.field)
        tabs += [_open(field, stack.url, "/") for _ in range(2)]
        person = dashboard.locator(_person(dashboard, team.field))
        expect(person).to_have_attribute("data-online", "true", timeout=15_000)
        expect(person).to_have_count(1)  # three tabs, one person

        # The office is online: the phone shows it.
        expect(tabs[0].get_by_test_id("office-online")).to_be_visible(timeout=15_000)

        for tab in tabs[1:]:
            tab.close()
        tabs[0].reload()  # a drop and a return within seconds (a lift, a tunnel)
        tabs[0].wait_for_selector(".conn[data-state=live]", timeout=30_000)
        expect(person).to_have_attribute("data-online", "true")
        tabs[0].close()
        # Still shown online during the grace period, then offline with "last seen".
        dashboard.wait_for_timeout(2_000)
        expect(person).to_have_attribute("data-online", "true")
        expect(person).to_have_attribute("data-online", "false", timeout=GRACE_MS + 10_000)
    finally:
        field.close()


def test_another_team_sees_nobody_of_this_one(
    stack: Stack, team: SeededTeam, office: BrowserContext, browser: Browser, problems: Problems
) -> None:
    other = make_team(stack.su, "Other shop")
    watcher = office.new_page()
    log_in(watcher, stack.url, "/office/", other.office)
    field = phone_context(browser, problems)
    try:
        first = field.new_page()
        log_in(first, stack.url, "/", team.field)  # team A comes and goes, twice
        first.close()
        _open(field, stack.url, "/").close()
        own = phone_context(browser, problems)
        log_in(own.new_page(), stack.url, "/", other.field)  # B sees this: the list moved
        expect(watcher.locator(_person(watcher, other.field))).to_have_attribute(
            "data-online", "true", timeout=15_000
        )
        users = watcher.locator(".people li").evaluate_all(
            "items => items.map(item => item.dataset.user)"
        )
        assert set(users) <= {other.office.id, other.field.id}, users
        own.close()
    finally:
        field.close()


def test_a_sidecar_restart_leaves_no_ghost_online(
    stack: Stack, team: SeededTeam, office: BrowserContext, browser: Browser, problems: Problems
) -> None:
    dashboard = office.new_page()
    log_in(dashboard, stack.url, "/office/", team.office)
    field = phone_context(browser, problems)
    tab = field.new_page()
    log_in(tab, stack.url, "/", team.field)
    person = dashboard.locator(_person(dashboard, team.field))
    expect(person).to_have_attribute("data-online", "true", timeout=15_000)

    stack.sidecar.stop()
    field.close()  # the phone goes away while the hub is down: its end is never announced
    stack.sidecar.start()
    expect(dashboard.locator(".conn[data-state=live]")).to_be_visible(timeout=45_000)
    expect(dashboard.locator(_person(dashboard, team.office))).to_have_attribute(
        "data-online", "true", timeout=15_000
    )
    expect(person).to_have_attribute("data-online", "false", timeout=GRACE_MS + 15_000)
