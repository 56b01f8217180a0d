"""The office gallery with more photos than one page: pages load as you scroll (none twice),
thumbnails only near the screen, filters by job and date, live arrivals respect the filter."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from playwright.sync_api import BrowserContext, expect

from tests.pwa.conftest import Problems, Stack, log_in
from tests.support.images import jpeg, photo
from tests.support.photos import new_job, upload
from tests.support.teams import SeededTeam

PHOTOS = 130  # more than two pages of 60


def test_gallery_pages_filters_and_live_arrivals(
    stack: Stack, team: SeededTeam, office: BrowserContext, problems: Problems
) -> None:
    many = new_job(team.office, title="Many photos", assignee=team.field.id)
    other = new_job(team.office, title="Other job", assignee=team.field.id)
    small = jpeg(photo(96, 72, seed=2), quality=70)
    with ThreadPoolExecutor(4) as pool:
        list(
            pool.map(
                lambda i: upload(team.field, many["id"], small + i.to_bytes(4, "big")),
                range(PHOTOS),
            )
        )
    upload(team.field, other["id"], small + b"other")

    page = office.new_page()
    log_in(page, stack.url, "/office/#/gallery", team.office)
    tiles = page.locator(".tile")
    expect(tiles.first).to_be_visible()
    expect(page.locator(".gallery-view [role=status]")).to_have_text("")  # not loading
    first = tiles.count()
    assert first in (60, 120)  # the pages near the screen, not all of them
    fetched = page.locator(".tile img[src]").count()
    assert 0 < fetched < first  # thumbnails only near the screen

    while (loaded := tiles.count()) < PHOTOS + 1:
        page.locator(".sentinel").scroll_into_view_if_needed()  # the end of the list
        expect(tiles).not_to_have_count(loaded)
    expect(tiles).to_have_count(PHOTOS + 1)
    ids = page.eval_on_selector_all(".tile", "(els) => els.map((el) => el.dataset.photo)")
    assert len(set(ids)) == PHOTOS + 1

    page.select_option("#filter-job", other["id"])
    expect(tiles).to_have_count(1)
    upload(team.field, many["id"], small + b"live, other job")
    fresh = upload(team.field, other["id"], small + b"live, this job")
    expect(page.locator(f".tile[data-photo='{fresh['id']}']")).to_be_visible(timeout=15_000)
    expect(tiles).to_have_count(2)
    assert page.locator(".tile").first.get_attribute("data-photo") == fresh["id"]

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    page.fill("#filter-from", tomorrow)
    expect(tiles).to_have_count(0)
    page.fill("#filter-from", "")
    page.select_option("#filter-job", "")
    expect(page.locator(".gallery-view [role=status]")).to_have_text("")
    assert tiles.count() in (60, 120)
    assert problems.errors == []
