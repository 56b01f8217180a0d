"""Both screens in Korean (browser language ko-KR) and English (en-US), saved as PNGs to
docs/screenshots/ for the README; each in its language and without console errors."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.pwa.conftest import (
    SCREENSHOTS,
    Problems,
    Stack,
    jpegs,
    log_in,
    office_context,
    phone_context,
)
from tests.support.photos import new_job, upload
from tests.support.teams import SeededTeam
from tests.support.waiting import wait_for

JOBS = [
    ("타이어 4짝 교체", "김민수", "in_progress"),
    ("휠 얼라인먼트", "박지은", "assigned"),
    ("브레이크 패드 점검", "이서준", "new"),
    ("알루미늄 휠 복원", "최유나", "done"),
    ("펑크 수리", "정하늘", "assigned"),
]
CAPTIONS = ["작업 전", "휠 손상 부위", "작업 후", "", "고객 확인"]
TEXT = {
    "ko": {"phone": "내 작업", "board": "작업 보드", "gallery": "사진"},
    "en": {"phone": "My jobs", "board": "Job board", "gallery": "Photos"},
}


@pytest.fixture
def shop(stack: Stack, team: SeededTeam) -> dict[str, Any]:
    """A small wheel shop's day: jobs in every column, photos on the first one."""
    for member, name in ((team.field, "김현수"), (team.office, "이지영")):
        stack.su.patch(
            f"/api/collections/users/records/{member.id}", json={"name": name}
        ).raise_for_status()
    jobs = []
    for title, customer, status in JOBS:
        job = new_job(team.office, title=title, assignee=team.field.id)
        with team.office.client() as client:
            client.patch(
                f"/api/collections/jobs/records/{job['id']}",
                json={"customer": customer, "status": status, "due": "2026-12-02 12:00:00.000Z"},
            ).raise_for_status()
        jobs.append(job)
    for payload, caption in zip(jpegs(5, seed=21, noise=1), CAPTIONS, strict=True):
        made = upload(team.field, jobs[0]["id"], payload["buffer"])
        if caption:
            with team.field.client() as client:
                client.patch(
                    f"/api/collections/photos/records/{made['id']}", json={"caption": caption}
                ).raise_for_status()

    def ready() -> bool:
        query = {"filter": f'job = "{jobs[0]["id"]}" && status = "ready"'}
        return (
            len(stack.su.get("/api/collections/photos/records", params=query).json()["items"]) == 5
        )

    wait_for(ready, timeout=30, what="thumbnails of the shop's photos")
    return {"jobs": jobs}


def settle(page: Page) -> None:
    """Every image on screen loaded (lazy thumbnails included), no passing message."""
    page.wait_for_function(
        """() => [...document.images].every((img) => {
          const box = img.getBoundingClientRect();
          const onScreen = box.bottom > 0 && box.top < innerHeight;
          return !onScreen || (img.getAttribute("src") && img.complete && img.naturalWidth > 0);
        })""",
        timeout=30_000,
    )
    page.evaluate("document.getElementById('announcer').textContent = ''")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_screenshots(
    stack: Stack,
    team: SeededTeam,
    shop: dict[str, Any],
    browser: Browser,
    problems: Problems,
    lang: str,
) -> None:
    locale = "ko-KR" if lang == "ko" else "en-US"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    office = office_context(browser, problems, locale)
    phone = phone_context(browser, problems, locale)
    try:
        field = phone.new_page()
        log_in(field, stack.url, "/", team.field)
        expect(field.locator("h1")).to_have_text(TEXT[lang]["phone"])
        assert field.evaluate("document.documentElement.lang") == lang
        settle(field)
        field.screenshot(path=str(SCREENSHOTS / f"phone-jobs-{lang}.png"))
        field.click(f"[data-job='{shop['jobs'][0]['id']}']")
        expect(field.locator("[data-photo] img")).to_have_count(5, timeout=30_000)
        field.set_input_files("#pick-photo", jpegs(1, seed=40 + len(lang), noise=1))
        expect(field.locator(".upload[data-state=done]")).to_have_count(1, timeout=30_000)
        settle(field)
        field.screenshot(path=str(SCREENSHOTS / f"phone-job-{lang}.png"), full_page=True)

        board = office.new_page()
        log_in(board, stack.url, "/office/", team.office)
        expect(board.locator("h1")).to_have_text(TEXT[lang]["board"])
        expect(board.locator(".people li")).to_have_count(2, timeout=15_000)
        settle(board)
        board.screenshot(path=str(SCREENSHOTS / f"office-board-{lang}.png"))
        board.click("nav a[href='#/gallery']")
        expect(board.locator(".tile img.thumb")).to_have_count(6, timeout=30_000)
        settle(board)
        board.screenshot(path=str(SCREENSHOTS / f"office-gallery-{lang}.png"))
        board.locator(".tile .thumb-button").first.click()
        settle(board)
        board.screenshot(path=str(SCREENSHOTS / f"office-viewer-{lang}.png"))
    finally:
        office.close()
        phone.close()
    assert problems.errors == []
