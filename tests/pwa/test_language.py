"""Korean by default, English by the browser's language or the switch; the choice is kept on
the device and saved on the user's record."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.pwa.conftest import Problems, Stack, log_in, office_context, phone_context
from tests.support.teams import SeededTeam


def test_english_browser_gets_english_and_the_switch_is_saved(
    stack: Stack, team: SeededTeam, browser: Browser, problems: Problems
) -> None:
    context = phone_context(browser, problems, "en-US")
    try:
        page = context.new_page()
        page.goto(f"{stack.url}/")
        expect(page.locator("label[for=login-email]")).to_have_text("Email")
        log_in(page, stack.url, "/", team.field)
        expect(page.locator("h1")).to_have_text("My jobs")
        page.select_option("#lang-select", "ko")
        expect(page.locator("h1")).to_have_text("내 작업")
        assert page.evaluate("document.documentElement.lang") == "ko"
        page.reload()
        expect(page.locator("h1")).to_have_text("내 작업")
    finally:
        context.close()
    user = stack.su.get(f"/api/collections/users/records/{team.field.id}").json()
    assert user["lang"] == "ko"
    assert problems.errors == []


def test_the_users_language_follows_them_to_another_device(
    stack: Stack, team: SeededTeam, browser: Browser, problems: Problems
) -> None:
    stack.su.patch(
        f"/api/collections/users/records/{team.office.id}", json={"lang": "en"}
    ).raise_for_status()
    context = office_context(browser, problems, "ko-KR")
    try:
        page = context.new_page()
        page.goto(f"{stack.url}/office/")
        expect(page.locator("label[for=login-email]")).to_have_text("이메일")
        log_in(page, stack.url, "/office/", team.office)
        expect(page.locator("h1")).to_have_text("Job board")
        expect(page.locator("[data-column=in_progress] h2")).to_contain_text("In progress")
    finally:
        context.close()
