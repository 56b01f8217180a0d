"""The dashboard outlives its hub: while the sidecar restarts it shows that it is reconnecting,
then catches up, so photos uploaded meanwhile appear (with thumbnails) without a reload."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, expect

from tests.pwa.conftest import Problems, Stack, jpegs, log_in
from tests.support.photos import new_job, upload
from tests.support.teams import SeededTeam


def test_dashboard_survives_a_sidecar_restart(
    stack: Stack, team: SeededTeam, office: BrowserContext, problems: Problems
) -> None:
    job = new_job(team.office, title="During the restart", assignee=team.field.id)
    page = office.new_page()
    log_in(page, stack.url, "/office/#/gallery", team.office)
    page.evaluate("window.__sameDocument = true")

    stack.sidecar.stop()
    expect(page.locator(".conn[data-state=waiting]")).to_be_visible(timeout=15_000)
    made = [upload(team.field, job["id"], payload["buffer"]) for payload in jpegs(2, seed=3)]
    stack.sidecar.start()

    expect(page.locator(".conn[data-state=live]")).to_be_visible(timeout=45_000)
    for photo in made:
        expect(
            page.locator(f".tile[data-photo='{photo['id']}'][data-status=ready] img.thumb")
        ).to_be_visible(timeout=30_000)
    assert page.evaluate("window.__sameDocument === true")
    # While the hub was away the browser logged its refused connections, and its 503s until
    # the new sidecar held the outbox lease (the page retries both); nothing else.
    expected = ("ERR_CONNECTION_REFUSED", "status of 503 (Service Unavailable)")
    assert [e for e in problems.errors if not any(x in e for x in expected)] == []
