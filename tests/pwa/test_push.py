"""A push message delivered to the service worker through the DevTools protocol
(`ServiceWorker.deliverPushMessage`; no push service is reachable here) shows a notification,
and clicking it opens the job."""

from __future__ import annotations

import json

from playwright.sync_api import BrowserContext, expect

from tests.pwa.conftest import Problems, Stack, log_in
from tests.support.photos import new_job
from tests.support.teams import SeededTeam
from tests.support.waiting import wait_for


def test_push_shows_a_notification_whose_click_opens_the_job(
    stack: Stack, team: SeededTeam, phone: BrowserContext, problems: Problems
) -> None:
    job = new_job(team.office, title="Pushed job", assignee=team.field.id)
    phone.grant_permissions(["notifications"], origin=stack.url)
    page = phone.new_page()
    cdp = phone.new_cdp_session(page)
    registrations: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(
            r["registrationId"] for r in event["registrations"] if not r["isDeleted"]
        ),
    )
    cdp.send("ServiceWorker.enable")
    log_in(page, stack.url, "/", team.field)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)
    wait_for(lambda: registrations, timeout=10, what="the service worker registration")

    message = {
        "title": "새 작업 <b>배정</b>",
        "body": "Pushed job",
        "url": f"/#/jobs/{job['id']}",
        "tag": f"job-{job['id']}",
    }
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": stack.url, "registrationId": registrations[-1], "data": json.dumps(message)},
    )
    shown = wait_for(
        lambda: page.evaluate(
            """async () => {
              const registration = await navigator.serviceWorker.ready;
              const [n] = await registration.getNotifications();
              return n ? {title: n.title, body: n.body, tag: n.tag, url: n.data.url} : null;
            }"""
        ),
        timeout=15,
        what="the notification",
    )
    assert shown == {
        "title": message["title"],
        "body": "Pushed job",
        "tag": message["tag"],
        "url": message["url"],
    }

    # Headless Chromium has no notification UI to click: fire the worker's click event.
    [worker] = phone.service_workers
    worker.evaluate(
        """async () => {
          const [notification] = await self.registration.getNotifications();
          self.dispatchEvent(new NotificationEvent("notificationclick", {notification}));
        }"""
    )
    expect(page.locator("h1")).to_have_text("Pushed job", timeout=15_000)
    assert page.url.endswith(f"/#/jobs/{job['id']}")
    assert problems.errors == []


def test_a_notification_never_opens_another_origin(
    stack: Stack, team: SeededTeam, phone: BrowserContext
) -> None:
    page = phone.new_page()
    log_in(page, stack.url, "/", team.field)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)
    [worker] = phone.service_workers
    target = worker.evaluate("() => target('https://evil.example/#/jobs/x')")
    assert target == f"{stack.url}/"
    assert worker.evaluate("() => target('/office/#/jobs/abc')") == f"{stack.url}/office/#/jobs/abc"
