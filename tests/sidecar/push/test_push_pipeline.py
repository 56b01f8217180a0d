"""Web Push end to end with the real sidecar process (`python -m sidecar`), a real PocketBase
and the loopback push service. Skipped while the sidecar has no push routes."""

from __future__ import annotations

import httpx

from tests.sidecar.push.fixtures import Crew, StartSidecar
from tests.support.images import jpeg, photo
from tests.support.photos import new_job, upload
from tests.support.push import vapid_public_key
from tests.support.push.browser import verify_vapid
from tests.support.push.service import HANG, Answer, PushService
from tests.support.waiting import wait_for

DELIVERIES = "/api/collections/push_deliveries/records"


def delivery_status(su: httpx.Client, crew: Crew, endpoint: str) -> list[str]:
    """Statuses of the delivery rows for the subscription with `endpoint`."""
    subscription = su.get(
        "/api/collections/push_subscriptions/records",
        params={"filter": f'endpoint = "{endpoint}"'},
    ).json()["items"][0]["id"]
    rows = su.get(DELIVERIES, params={"filter": f'subscription = "{subscription}"'}).json()
    return [row["status"] for row in rows["items"]]


def test_the_sidecar_pushes_a_new_photo_to_the_office(
    crew: Crew, push_service: PushService, start_push_sidecar: StartSidecar
) -> None:
    sidecar = start_push_sidecar()
    public_key = vapid_public_key(sidecar)
    team = crew.team
    crew.set_lang(team.office, "en")
    office, admin, field = (crew.subscribe(m) for m in (team.office, team.admin, team.field))
    job = new_job(team.office, "Alloy rims")

    upload(team.field, job["id"], jpeg(photo(64, 48)))

    to_office = push_service.wait_for(1, office)[0]
    to_admin = push_service.wait_for(1, admin)[0]
    verify_vapid(to_office, public_key)
    verify_vapid(to_admin, public_key)
    assert crew.browsers[office].decrypt(to_office)["title"] == "New photo"
    assert crew.browsers[admin].decrypt(to_admin) == {
        "title": "새 사진",
        "body": '"Alloy rims"에 새 사진이 올라왔습니다.',
        "url": f"/office/#/jobs/{job['id']}",
        "tag": f"job-{job['id']}",
    }
    metrics = wait_for(
        lambda: next((t for t in [sidecar.metrics()] if "fieldsync_push_sent_total 2" in t), ""),
        what="push metrics",
    )
    assert "fieldsync_push_send_seconds_count 2" in metrics
    assert push_service.received(field) == []  # the uploader


def test_the_test_route_pushes_to_the_callers_own_subscriptions(
    crew: Crew, push_service: PushService, start_push_sidecar: StartSidecar
) -> None:
    sidecar = start_push_sidecar()
    team = crew.team
    mine = [crew.subscribe(team.field), crew.subscribe(team.field, Answer(410))]
    theirs = crew.subscribe(team.office)

    response = httpx.post(
        f"{sidecar.url}/push/test", headers={"Authorization": team.field.token}, timeout=30
    )
    assert response.status_code == 202, response.text
    assert response.json() == {"sent": 1, "failed": 1}
    received = push_service.wait_for(1, mine[0])[0]
    assert crew.browsers[mine[0]].decrypt(received)["title"] == "테스트 알림"
    wait_for(lambda: not crew.subscription_exists(mine[1]), what="the gone one deleted")
    assert push_service.received(theirs) == []

    again = httpx.post(f"{sidecar.url}/push/test", headers={"Authorization": team.field.token})
    assert again.status_code == 429
    assert int(again.headers["Retry-After"]) >= 1


def test_kill_and_restart_neither_loses_nor_repeats(
    crew: Crew,
    push_service: PushService,
    push_su: httpx.Client,
    start_push_sidecar: StartSidecar,
) -> None:
    first = start_push_sidecar()
    team = crew.team
    quick = crew.subscribe(team.office)
    stuck = crew.subscribe(team.admin, HANG, Answer(201))  # the first try never gets an answer
    upload(team.field, new_job(team.office, "Crash")["id"], jpeg(photo(32, 32)))
    push_service.wait_for(1, quick)
    push_service.wait_for(1, stuck)
    wait_for(lambda: delivery_status(push_su, crew, quick) == ["sent"], what="quick settled")

    first.kill()  # mid-request to `stuck`; its claim lapses after FIELDSYNC_PUSH_CLAIM_TTL_S
    start_push_sidecar()

    tries = push_service.wait_for(2, stuck, timeout=20)
    assert [t.answered for t in tries] == [0, 201]
    wait_for(lambda: delivery_status(push_su, crew, stuck) == ["sent"], what="stuck settled")
    assert crew.browsers[stuck].decrypt(tries[0]) == crew.browsers[stuck].decrypt(tries[1])
    # the photo event may be handled again after the restart: nothing is sent twice
    assert len(push_service.received(quick)) == 1
    assert len(push_service.received(stuck)) == 2
