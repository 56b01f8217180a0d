"""Web Push for tests and benches: a loopback push service (`service`), a browser's keys and
checks (`browser`), and what a stack with push on needs from PocketBase and the sidecar."""

from __future__ import annotations

import httpx

from tests.support.sidecar import SidecarProcess

PRODUCTION_HOSTS = (
    "fcm.googleapis.com,updates.push.services.mozilla.com,*.push.apple.com,*.notify.windows.com"
)
"""PocketBase's default push allowlist, which a test's own push service is added to."""
SUBSCRIPTIONS = "/api/collections/push_subscriptions/records"


def skip_history(su: httpx.Client, consumer: str) -> None:
    """Start `consumer`'s cursor at the outbox head, so a new sidecar handles only new events."""
    path = f"/api/fieldsync/consumers/{consumer}"
    newest = su.get("/api/collections/events/records", params={"sort": "-seq", "perPage": 1})
    newest.raise_for_status()
    head = newest.json()["items"][0]["seq"] if newest.json()["items"] else 0
    su.post(f"{path}/lease", json={"holder": "tests"}).raise_for_status()
    su.post(f"{path}/cursor", json={"holder": "tests", "cursor": head}).raise_for_status()
    su.request("DELETE", f"{path}/lease", json={"holder": "tests"}).raise_for_status()


def vapid_public_key(sidecar: SidecarProcess) -> str:
    """The VAPID public key the sidecar serves (push is on)."""
    response = httpx.get(f"{sidecar.url}/push/vapid-public-key", timeout=5)
    assert response.status_code == 200, response.text
    key: str = response.json()["publicKey"]
    return key
