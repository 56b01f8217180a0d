"""Phone to office, live: photos taken on the phone appear on the dashboard with thumbnails,
and a status change on the phone moves the job's card, all without a reload."""

from __future__ import annotations

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from tests.pwa.conftest import Problems, Stack, jpegs, log_in
from tests.support.photos import new_job
from tests.support.teams import SeededTeam


def mark_no_reload(page: Page) -> None:
    page.evaluate("window.__sameDocument = true")


def assert_no_reload(page: Page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"


def photo_rows(su: httpx.Client, job: str) -> list[dict[str, object]]:
    response = su.get(
        "/api/collections/photos/records", params={"filter": f'job = "{job}"', "perPage": 100}
    )
    response.raise_for_status()
    return list(response.json()["items"])


def test_phone_photos_appear_live_on_the_dashboard(
    stack: Stack,
    team: SeededTeam,
    phone: BrowserContext,
    office: BrowserContext,
    problems: Problems,
) -> None:
    job = new_job(team.office, title="Wheel alignment", assignee=team.field.id)
    board = office.new_page()
    log_in(board, stack.url, "/office/#/gallery", team.office)
    expect(board.locator(".gallery-view")).to_be_visible()
    mark_no_reload(board)

    field = phone.new_page()
    log_in(field, stack.url, "/", team.field)
    assert field.evaluate("document.documentElement.lang") == "ko"
    field.click(f"[data-job='{job['id']}']")
    field.fill("#caption", "앞바퀴")
    field.set_input_files("#take-photo", jpegs(3, seed=1))
    expect(field.locator(".upload[data-state=done]")).to_have_count(3, timeout=30_000)

    tiles = board.locator(".tile[data-status=ready] img.thumb")
    expect(tiles).to_have_count(3, timeout=30_000)
    board.wait_for_function(
        "() => [...document.querySelectorAll('.tile img.thumb')]"
        ".every((img) => img.complete && img.naturalWidth > 0)",
        timeout=30_000,
    )
    expect(board.locator(".tile .caption").first).to_have_text("앞바퀴")
    assert_no_reload(board)
    assert len(photo_rows(stack.su, job["id"])) == 3
    assert problems.errors == []


def test_status_change_on_the_phone_moves_the_card(
    stack: Stack,
    team: SeededTeam,
    phone: BrowserContext,
    office: BrowserContext,
    problems: Problems,
) -> None:
    job = new_job(team.office, title="Brake check", assignee=team.field.id)
    board = office.new_page()
    log_in(board, stack.url, "/office/", team.office)
    card = f"[data-job='{job['id']}']"
    expect(board.locator(f"[data-column=new] {card}")).to_be_visible()
    mark_no_reload(board)

    field = phone.new_page()
    log_in(field, stack.url, "/", team.field)
    field.click(card)
    field.click("[data-action=in_progress]")
    expect(board.locator(f"[data-column=in_progress] {card}")).to_be_visible(timeout=15_000)
    field.click("[data-action=done]")
    expect(board.locator(f"[data-column=done] {card}")).to_be_visible(timeout=15_000)
    expect(board.locator(f"[data-column=in_progress] {card}")).to_have_count(0)
    assert_no_reload(board)
    assert problems.errors == []


def test_office_creates_and_assigns_a_job_that_the_phone_gets_live(
    stack: Stack,
    team: SeededTeam,
    phone: BrowserContext,
    office: BrowserContext,
    problems: Problems,
) -> None:
    field = phone.new_page()
    log_in(field, stack.url, "/", team.field)
    expect(field.locator(".empty")).to_be_visible()

    board = office.new_page()
    log_in(board, stack.url, "/office/", team.office)
    board.click("[data-action=new-job]")
    board.fill("#job-title", "Tyre swap, 4 wheels")
    board.fill("#job-customer", "Kim")
    board.select_option("#job-assignee", team.field.id)
    board.click("dialog button[type=submit]")
    expect(board.locator("[data-column=assigned] .job-card")).to_have_text(
        __import__("re").compile("Tyre swap, 4 wheels")
    )
    expect(field.locator(".job-link")).to_contain_text("Tyre swap, 4 wheels", timeout=15_000)

    board.locator("[data-column=assigned] .job-card").click()
    board.fill("#job-title", "Tyre swap, 2 wheels")
    board.click("dialog button[type=submit]")
    expect(field.locator(".job-link")).to_contain_text("Tyre swap, 2 wheels", timeout=15_000)
    assert problems.errors == []
