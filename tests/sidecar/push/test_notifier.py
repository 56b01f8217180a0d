"""`PushNotifier` in process against a real PocketBase and a loopback push service: each rule
triggered by real writes, real outbox events handed over as the consumer does, and what the
push service receives decrypted and checked like a browser and a push service would."""

from __future__ import annotations

import time
from typing import Any

import httpx

from sidecar.push import PushNotifier
from tests.sidecar.push.conftest import NotifierFactory, Outbox
from tests.sidecar.push.fixtures import Crew
from tests.support.images import jpeg, photo
from tests.support.photos import new_job, upload
from tests.support.push.browser import verify_vapid
from tests.support.push.service import HANG, Answer, PushService, Received
from tests.support.teams import Member
from tests.support.waiting import wait_until

JOBS = "/api/collections/jobs/records"


def patch_job(member: Member, job: str, **fields: Any) -> dict[str, Any]:
    with member.client() as client:
        response = client.patch(f"{JOBS}/{job}", json=fields)
    assert response.status_code == 200, response.text
    return dict(response.json())


def opened(crew: Crew, received: Received, notifier: PushNotifier) -> dict[str, Any]:
    """The payload of a POST, after checking its VAPID header against the notifier's key."""
    assert notifier.public_key is not None
    verify_vapid(received, notifier.public_key)
    return crew.browsers[received.endpoint].decrypt(received)


def endpoints_of(received: list[Received]) -> set[str]:
    return {r.endpoint for r in received}


async def test_new_photo_tells_the_office_in_their_language(
    crew: Crew, push_service: PushService, notifier: PushNotifier, outbox: Outbox
) -> None:
    team = crew.team
    crew.set_lang(team.office, "en")  # the admin keeps the default (Korean)
    office, admin = crew.subscribe(team.office), crew.subscribe(team.admin)
    uploader, assignee = crew.subscribe(team.field), crew.subscribe(crew.field2)
    job = new_job(team.office, "Front wheel, 김 사장님", assignee=crew.field2.id)
    await outbox.play(notifier)
    await push_service.arrivals(1, assignee)  # the assignment (not part of this test)

    upload(team.field, job["id"], jpeg(photo(64, 48)))
    await outbox.play(notifier)

    to_office = (await push_service.arrivals(1, office))[0]
    to_admin = (await push_service.arrivals(1, admin))[0]
    en, ko = opened(crew, to_office, notifier), opened(crew, to_admin, notifier)
    assert en == {
        "title": "New photo",
        "body": 'A new photo was added to "Front wheel, 김 사장님".',
        "url": f"/office/#/jobs/{job['id']}",
        "tag": f"job-{job['id']}",
    }
    assert ko["title"] == "새 사진"
    assert ko["body"] == '"Front wheel, 김 사장님"에 새 사진이 올라왔습니다.'
    assert ko["url"] == en["url"] and ko["tag"] == en["tag"]
    headers = to_office.headers
    assert 86000 <= int(headers["ttl"]) <= 86400
    assert headers["urgency"] == "normal"
    assert headers["topic"] == job["id"]
    assert headers["content-type"] == "application/octet-stream"
    assert len(to_office.body) < 3072 + 200
    # never the uploader (who made the change); the field assignee is not office
    assert push_service.received(uploader) == []
    assert len(push_service.received(assignee)) == 1


async def test_assignment_tells_the_new_assignee_only(
    crew: Crew, push_service: PushService, notifier: PushNotifier, outbox: Outbox
) -> None:
    team = crew.team
    crew.set_lang(team.field, "en")
    first, second = crew.subscribe(team.field), crew.subscribe(crew.field2)
    office = crew.subscribe(team.office)
    job = new_job(team.office, "Rims", assignee=team.field.id)
    await outbox.play(notifier)

    payload = opened(crew, (await push_service.arrivals(1, first))[0], notifier)
    assert payload["title"] == "Job assigned"
    assert payload["body"] == '"Rims" was assigned to you.'
    assert (await push_service.arrivals(1, first))[0].headers["urgency"] == "high"

    patch_job(team.office, job["id"], assignee=crew.field2.id)
    await outbox.play(notifier)
    korean = opened(crew, (await push_service.arrivals(1, second))[0], notifier)
    assert korean["title"] == "작업 배정"
    assert korean["body"] == '"Rims" 작업이 배정되었습니다.'
    patch_job(team.office, job["id"], title="Rims, both sides")  # no assignee or status change
    await outbox.play(notifier)
    await _settled(notifier)
    assert len(push_service.received(first)) == 1
    assert len(push_service.received(second)) == 1
    assert push_service.received(office) == []  # the office made every change


async def test_status_change_tells_office_and_assignee_never_the_actor(
    crew: Crew, push_service: PushService, notifier: PushNotifier, outbox: Outbox
) -> None:
    team = crew.team
    crew.set_lang(team.office, "en")
    field, office, admin = (crew.subscribe(m) for m in (team.field, team.office, team.admin))
    bystander = crew.subscribe(crew.field2)
    job = new_job(team.office, "Tyres", assignee=team.field.id)
    await outbox.play(notifier)
    await push_service.arrivals(1, field)

    patch_job(team.field, job["id"], status="in_progress")  # the assignee
    await outbox.play(notifier)
    to_office = opened(crew, (await push_service.arrivals(1, office))[0], notifier)
    assert to_office["title"] == "Job status changed"
    assert to_office["body"] == '"Tyres": New → In progress'
    to_admin = opened(crew, (await push_service.arrivals(1, admin))[0], notifier)
    assert to_admin["body"] == '"Tyres": 신규 → 진행 중'

    patch_job(team.office, job["id"], status="done")  # the office
    await outbox.play(notifier)
    to_field = opened(crew, (await push_service.arrivals(2, field))[1], notifier)
    assert to_field["title"] == "작업 상태 변경"
    assert to_field["body"] == '"Tyres": 진행 중 → 완료'
    await push_service.arrivals(2, admin)
    await _settled(notifier)
    assert len(push_service.received(office)) == 1  # not its own change
    assert push_service.received(bystander) == []  # a field worker it is not assigned to


async def test_other_teams_are_never_told(
    crew: Crew,
    other_crew: Crew,
    push_service: PushService,
    push_su: httpx.Client,
    notifier: PushNotifier,
    outbox: Outbox,
) -> None:
    team, other = crew.team, other_crew.team
    theirs = [other_crew.subscribe(m) for m in (other.office, other.admin, other.field)]
    ours = crew.subscribe(team.office)
    job = new_job(team.office, "Ours")
    upload(team.field, job["id"], jpeg(photo(32, 32)))
    # a superuser (no rules) even sets another team's user as the assignee
    response = push_su.patch(f"{JOBS}/{job['id']}", json={"assignee": other.field.id})
    assert response.status_code == 200, response.text
    push_su.patch(f"{JOBS}/{job['id']}", json={"status": "in_progress"}).raise_for_status()
    await outbox.play(notifier)

    await push_service.arrivals(2, ours)  # the photo, the status change
    await _settled(notifier)
    for endpoint in theirs:
        assert push_service.received(endpoint) == []


async def test_gone_subscription_is_deleted(
    crew: Crew, push_service: PushService, notifier: PushNotifier, outbox: Outbox
) -> None:
    gone = crew.subscribe(crew.team.office, Answer(410))
    kept = crew.subscribe(crew.team.office)
    upload(crew.team.field, new_job(crew.team.admin, "Photo")["id"], jpeg(photo(32, 32)))
    await outbox.play(notifier)

    await push_service.arrivals(1, gone)
    await push_service.arrivals(1, kept)
    await wait_until(lambda: notifier.metrics.pruned == 1, "the prune")
    assert not crew.subscription_exists(gone)
    assert crew.subscription_exists(kept)


async def test_retry_after_is_honoured_then_delivered(
    crew: Crew, push_service: PushService, notifier: PushNotifier, outbox: Outbox
) -> None:
    endpoint = crew.subscribe(crew.team.field, Answer(503, {"Retry-After": "1"}), Answer(201))
    new_job(crew.team.office, "Busy", assignee=crew.team.field.id)
    await outbox.play(notifier)

    first, second = await push_service.arrivals(2, endpoint, timeout=10)
    assert first.answered == 503 and second.answered == 201
    assert 0.9 <= second.at - first.at <= 3.0
    browser = crew.browsers[endpoint]
    assert browser.decrypt(first) == browser.decrypt(second)
    await wait_until(lambda: notifier.metrics.sent == 1, "sent")
    assert notifier.metrics.retried == 1


async def test_a_hanging_push_service_does_not_delay_the_others(
    crew: Crew, push_service: PushService, make_notifier: NotifierFactory, outbox: Outbox
) -> None:
    notifier = await make_notifier(push_concurrency=4)
    team = crew.team
    hanging = [crew.subscribe(team.office, HANG) for _ in range(3)]
    healthy = [crew.subscribe(member) for member in (team.office, team.admin) for _ in range(5)]
    job = new_job(team.admin, "Stuck")
    upload(team.field, job["id"], jpeg(photo(32, 32)))
    await outbox.play(notifier)
    handled = time.time()

    await push_service.arrivals(1, hanging[0])
    arrivals = [(await push_service.arrivals(1, endpoint, timeout=2))[0].at for endpoint in healthy]
    assert max(arrivals) - handled < 1.0
    assert notifier.metrics.sent >= len(healthy) - 2  # outcomes flush a moment later


async def test_an_event_handled_again_is_not_pushed_again(
    crew: Crew,
    push_service: PushService,
    make_notifier: NotifierFactory,
    outbox: Outbox,
) -> None:
    first = await make_notifier()
    endpoint = crew.subscribe(crew.team.field)
    new_job(crew.team.office, "Once", assignee=crew.team.field.id)
    events = await outbox.play(first)
    await push_service.arrivals(1, endpoint)

    await first.handle(events[0])  # the consumer replays after a crash
    second = await make_notifier(instance="another-process")  # after a restart
    await second.handle(events[0])
    await _settled(first)
    await _settled(second)
    assert len(push_service.received(endpoint)) == 1


async def test_a_restart_resumes_pending_deliveries(
    crew: Crew,
    push_service: PushService,
    make_notifier: NotifierFactory,
    outbox: Outbox,
) -> None:
    first = await make_notifier()
    endpoint = crew.subscribe(crew.team.field, Answer(503, {"Retry-After": "2"}), Answer(201))
    new_job(crew.team.office, "Later", assignee=crew.team.field.id)
    await outbox.play(first)
    await push_service.arrivals(1, endpoint)
    await wait_until(lambda: first.metrics.retried == 1, "the retry noted")
    await first.close()  # stops with the retry pending: hands it back

    second = await make_notifier()
    delivered = await push_service.arrivals(2, endpoint, timeout=10)
    assert [r.answered for r in delivered] == [503, 201]
    await wait_until(lambda: second.metrics.sent == 1, "sent by the second process")
    await _settled(second)
    assert len(push_service.received(endpoint)) == 2


async def test_too_large_and_refused_are_dropped_not_retried(
    crew: Crew, push_service: PushService, notifier: PushNotifier, outbox: Outbox
) -> None:
    too_large = crew.subscribe(crew.team.office, Answer(413))
    forbidden = crew.subscribe(crew.team.admin, Answer(403))
    redirect = crew.subscribe(crew.team.office, Answer(307, {"Location": "http://127.0.0.1:1/"}))
    upload(crew.team.field, new_job(crew.team.office, "Big")["id"], jpeg(photo(32, 32)))
    await outbox.play(notifier)

    await wait_until(lambda: sum(notifier.metrics.failed.values()) == 3, "three given up")
    assert notifier.metrics.failed == {"too_large": 1, "refused": 1, "redirect": 1}
    for endpoint in (too_large, forbidden, redirect):
        assert len(push_service.received(endpoint)) == 1
    assert notifier.metrics.retried == 0


async def test_the_allowlist_is_checked_again_before_sending(
    crew: Crew, push_service: PushService, make_notifier: NotifierFactory, outbox: Outbox
) -> None:
    # PocketBase allows the loopback service; this sidecar's own list does not.
    notifier = await make_notifier(push_allowed_hosts="fcm.googleapis.com")
    endpoint = crew.subscribe(crew.team.field)
    new_job(crew.team.office, "Elsewhere", assignee=crew.team.field.id)
    await outbox.play(notifier)

    await wait_until(lambda: notifier.metrics.failed["not_allowed"] == 1, "refused locally")
    assert push_service.received(endpoint) == []


async def _settled(notifier: PushNotifier) -> None:
    """Wait until the notifier holds nothing (every delivery sent, failed or pruned)."""
    await wait_until(lambda: notifier.metrics.queued() == 0, "no delivery left", timeout=10)
