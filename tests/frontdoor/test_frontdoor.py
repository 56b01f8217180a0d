"""One HTTPS origin (Caddy, frontdoor/) for PocketBase, the pages and the hub, as phones on the
shop's network use it: TLS from the local CA (verified, never `verify=False`), HTTP/2, REST,
file upload and download, live SSE, the trust page, and real client addresses reaching
PocketBase's rate limits and the hub's per-address caps."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import httpx
import pytest

from tests.support.frontdoor import FrontDoorProcess
from tests.support.images import jpeg, photo
from tests.support.pocketbase import PocketBaseProcess, launch
from tests.support.sidecar import SidecarProcess
from tests.support.sse import exchange_token, subscribe
from tests.support.teams import SeededTeam, make_team

Stack = tuple[PocketBaseProcess, SidecarProcess, FrontDoorProcess, SeededTeam]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """PocketBase with its default rate limits (loopback not exempt: what is counted is the
    address Caddy reports), the sidecar, and the front door."""
    root = tmp_path_factory.mktemp("frontdoor")
    pb = launch(root / "pb_data")
    sidecar = SidecarProcess(pb, root, FIELDSYNC_HUB_MAX_CONNECTIONS_PER_IP="2")
    front = FrontDoorProcess(pb, sidecar, root / "caddy")
    try:
        with pb.superuser_client() as su:
            team = make_team(su, "Front door")
        sidecar.start()
        front.start()
        yield pb, sidecar, front, team
    finally:
        front.stop()
        sidecar.stop()
        pb.cleanup()


def _from(front: FrontDoorProcess, source: str) -> httpx.Client:
    """A client of the front door whose connections come from `source` (a loopback address)."""
    transport = httpx.HTTPTransport(local_address=source, verify=front.ssl_context(), http2=True)
    return httpx.Client(base_url=front.url, transport=transport, timeout=10)


def test_https_from_the_local_ca_over_http2(stack: Stack) -> None:
    _, _, front, _ = stack
    with front.client(http2=True) as client:
        answer = client.get("/api/health")
    assert answer.status_code == 200 and answer.http_version == "HTTP/2"
    with pytest.raises(httpx.ConnectError):  # not trusted by the system's CAs
        httpx.get(f"{front.url}/api/health")


def test_plain_http_serves_the_trust_page_and_redirects_the_rest(stack: Stack) -> None:
    _, _, front, _ = stack
    with httpx.Client(base_url=front.plain_url) as plain:
        page = plain.get("/trust/")
        certificate = plain.get("/trust/root.crt")
        moved = plain.get("/office/?x=1")
    assert (
        page.status_code == 200
        and "인증서" in page.text
        and "Certificate Trust Settings" in page.text
    )
    assert certificate.headers["content-type"] == "application/x-x509-ca-cert"
    assert certificate.content == front.root_cert.read_bytes()
    assert moved.status_code == 308
    assert moved.headers["location"] == f"https://127.0.0.1:{front.https_port}/office/?x=1"
    assert "strict-transport-security" not in page.headers, "no HSTS without a public domain"


def test_rest_and_files_through_the_front_door(stack: Stack) -> None:
    _, _, front, team = stack
    data = jpeg(photo(800, 600, seed=7))
    with front.client(http2=True, headers={"Authorization": team.field.token}) as client:
        job = client.post(
            "/api/collections/jobs/records",
            json={"team": team.id, "title": "via Caddy"},
            headers={"Authorization": team.office.token},
        ).json()["id"]
        created = client.post(
            "/api/collections/photos/records",
            data={"team": team.id, "job": job, "sha256": hashlib.sha256(data).hexdigest()},
            files={"file": ("front.jpg", data, "image/jpeg")},
        )
        assert created.status_code == 200, created.text
        record = created.json()
        file_token = client.post("/api/files/token").json()["token"]
        download = client.get(
            f"/api/files/photos/{record['id']}/{record['file']}", params={"token": file_token}
        )
    assert download.status_code == 200 and download.content == data


async def test_live_sse_through_the_front_door(stack: Stack) -> None:
    _, _, front, team = stack
    async with front.async_client(timeout=30, http2=True) as client:
        token = await exchange_token(client, team.office.token)
        async with subscribe(client, [f"/teams/{team.id}/jobs/{{job}}"], token=token) as stream:
            assert stream.source.response.http_version == "HTTP/2"
            created = await client.post(
                "/api/collections/jobs/records",
                json={"team": team.id, "title": "live"},
                headers={"Authorization": team.office.token},
            )
            event = await stream.next(timeout=10)
    assert json.loads(event.data)["record"]["id"] == created.json()["id"]


def test_the_hub_cookie_is_secure_behind_the_front_door(stack: Stack) -> None:
    _, _, front, team = stack
    with front.client() as client:
        answer = client.post(
            "/.well-known/mercure/token", headers={"Authorization": team.field.token}
        )
    assert answer.status_code == 200 and "secure" in answer.headers["set-cookie"].lower()


def test_each_phone_has_its_own_pocketbase_budget_and_forging_gains_nothing(
    stack: Stack,
) -> None:
    """PocketBase allows 10 sign-in attempts per 10 s per client address; behind the front door
    that must mean per phone, not per proxy."""
    _, _, front, team = stack
    attempt = {"identity": team.field.email, "password": "wrong"}
    path = "/api/collections/users/auth-with-password"
    with _from(front, "127.0.0.21") as first:
        statuses = [first.post(path, json=attempt).status_code for _ in range(12)]
        assert statuses[:10] == [400] * 10 and statuses[10:] == [429, 429]
        forged = first.post(path, json=attempt, headers={"X-Forwarded-For": "10.9.8.7"})
        assert forged.status_code == 429, "a forged X-Forwarded-For does not get a fresh budget"
    with _from(front, "127.0.0.22") as second:
        assert second.post(path, json=attempt).status_code == 400, "another phone is not blocked"


async def test_the_hubs_per_address_cap_counts_each_phone(stack: Stack) -> None:
    """The sidecar here allows 2 streams per address: two from one phone fill its share, and
    another phone is still let in."""
    _, _, front, team = stack

    def client(source: str) -> httpx.AsyncClient:
        transport = httpx.AsyncHTTPTransport(local_address=source, verify=front.ssl_context())
        return httpx.AsyncClient(base_url=front.url, transport=transport, timeout=10)

    topic = [f"/teams/{team.id}/jobs/{{job}}"]
    async with client("127.0.0.31") as phone, client("127.0.0.32") as other:
        token = await exchange_token(phone, team.field.token)
        async with subscribe(phone, topic, token=token), subscribe(phone, topic, token=token):
            refused = await phone.get(
                "/.well-known/mercure",
                params={"topic": topic[0]},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert refused.status_code == 429
            async with subscribe(other, topic, token=token) as stream:
                assert stream.source.response.status_code == 200
