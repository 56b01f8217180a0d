"""The phone without a network: the app shell opens from the service worker, photos wait in
IndexedDB across a closed page and are each uploaded exactly once when the network is back."""

from __future__ import annotations

import httpx
from playwright.sync_api import BrowserContext, FilePayload, Page, expect

from tests.pwa.conftest import Problems, Stack, jpegs, log_in
from tests.support.photos import events_for, new_job
from tests.support.teams import SeededTeam


def wait_for_worker(page: Page) -> None:
    """Until the service worker controls the page (the shell is cached by then)."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)


def test_app_shell_opens_offline_after_the_first_visit(pages: Stack, phone: BrowserContext) -> None:
    page = phone.new_page()
    page.goto(f"{pages.url}/")
    expect(page.locator("#login-email")).to_be_visible()
    wait_for_worker(page)
    page.close()

    phone.set_offline(True)
    page = phone.new_page()
    page.goto(f"{pages.url}/")
    expect(page.locator("#login-email")).to_be_visible()
    expect(page.locator("label[for=login-email]")).to_have_text("이메일")
    page.reload()
    expect(page.locator("#login-email")).to_be_visible()


def test_photos_taken_offline_upload_once_after_the_page_was_closed(
    stack: Stack, team: SeededTeam, phone: BrowserContext, problems: Problems
) -> None:
    job = new_job(team.office, title="Offline job", assignee=team.field.id)
    page = phone.new_page()
    log_in(page, stack.url, "/", team.field)
    wait_for_worker(page)
    page.click(f"[data-job='{job['id']}']")
    expect(page.locator("h1")).to_have_text("Offline job")

    phone.set_offline(True)
    expect(page.locator(".conn[data-state=offline]")).to_be_visible()
    page.set_input_files("#take-photo", jpegs(2, seed=7))
    expect(page.locator(".upload[data-state=waiting]")).to_have_count(2)
    page.close()

    page = phone.new_page()  # reopened while still offline: from the shell and IndexedDB
    page.goto(f"{stack.url}/#/jobs/{job['id']}")
    expect(page.locator("h1")).to_have_text("Offline job")
    expect(page.locator(".upload[data-state=waiting]")).to_have_count(2)
    problems.errors.clear()  # offline fetches of the API fail, as they should

    phone.set_offline(False)
    expect(page.locator(".upload[data-state=done]")).to_have_count(2, timeout=30_000)
    photos = stack.su.get(
        "/api/collections/photos/records", params={"filter": f'job = "{job["id"]}"'}
    ).json()["items"]
    assert len(photos) == 2
    for photo in photos:
        created = [e for e in events_for(stack.su, photo["id"]) if e["type"] == "photo.created"]
        assert len(created) == 1


def test_nothing_is_lost_when_the_app_closes_mid_upload(
    stack: Stack, team: SeededTeam, phone: BrowserContext
) -> None:
    job = new_job(team.office, title="Closed mid-upload", assignee=team.field.id)
    page = phone.new_page()
    log_in(page, stack.url, "/", team.field)
    page.click(f"[data-job='{job['id']}']")
    held: list[str] = []
    page.route("**/api/collections/photos/records", lambda route: held.append(route.request.url))
    page.set_input_files("#take-photo", jpegs(1, seed=8))
    expect(page.locator(".upload[data-state=uploading]")).to_have_count(1)
    assert held  # the request is in flight, never answered
    page.close()

    page = phone.new_page()
    page.goto(f"{stack.url}/#/jobs/{job['id']}")
    expect(page.locator(".upload[data-state=done]")).to_have_count(1, timeout=30_000)
    photos = stack.su.get(
        "/api/collections/photos/records", params={"filter": f'job = "{job["id"]}"'}
    ).json()["items"]
    assert len(photos) == 1


def test_a_refused_photo_fails_with_the_servers_reason_and_is_kept(
    stack: Stack, team: SeededTeam, phone: BrowserContext
) -> None:
    job = new_job(team.office, title="Bad file", assignee=team.field.id)
    page = phone.new_page()
    log_in(page, stack.url, "/", team.field)
    page.click(f"[data-job='{job['id']}']")
    not_an_image: FilePayload = {
        "name": "notes.jpg",
        "mimeType": "image/jpeg",
        "buffer": b"plain text, no photo",
    }
    page.set_input_files("#pick-photo", [not_an_image])
    failed = page.locator(".upload[data-state=failed]")
    expect(failed).to_have_count(1, timeout=30_000)
    expect(failed.locator(".error")).to_contain_text("file")
    response = httpx.get(
        f"{stack.url}/api/collections/photos/records",
        params={"filter": f'job = "{job["id"]}"'},
        headers={"Authorization": team.field.token},
    )
    assert response.json()["items"] == []
    page.reload()  # kept across a restart, still failed, with a retry button
    expect(page.locator(".upload[data-state=failed] button")).to_have_count(2)


def test_the_same_photo_from_phone_and_script_is_one_record(
    stack: Stack, team: SeededTeam, phone: BrowserContext
) -> None:
    from fieldsync import Client

    job = new_job(team.office, title="Twice", assignee=team.field.id)
    [payload] = jpegs(1, seed=9)
    with Client(stack.url) as client:
        client.auth.with_password(team.field.email, team.field.password)
        uploaded = client.photos.upload(job["id"], payload["buffer"])
    page = phone.new_page()
    log_in(page, stack.url, "/", team.field)
    page.click(f"[data-job='{job['id']}']")
    page.set_input_files("#take-photo", [payload])
    expect(page.locator(".upload[data-state=done]")).to_have_count(1, timeout=30_000)
    assert page.locator(".upload").get_attribute("data-upload") == uploaded.id
    photos = stack.su.get(
        "/api/collections/photos/records", params={"filter": f'job = "{job["id"]}"'}
    ).json()["items"]
    assert [p["id"] for p in photos] == [uploaded.id]
