"""The endpoint allowlist (sidecar/push/endpoints.py). The same table runs against
PocketBase's hook in tests/security/test_push_endpoints.py: both sides must agree."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sidecar.push.endpoints import endpoint_problem, origin, parse_allowed_hosts
from tests.support.pocketbase import launch

PRODUCTION = (
    "fcm.googleapis.com,updates.push.services.mozilla.com,*.push.apple.com,*.notify.windows.com"
)
LOOPBACK = "http://127.0.0.1:{port}"
"""The test entry; `{port}` is the loopback push service's port (`{other}` any other)."""

ENDPOINT_CASES: list[tuple[str, bool]] = [
    ("https://fcm.googleapis.com/fcm/send/dX3:APA91bH-x_y", True),
    ("https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk", True),
    ("https://web.push.apple.com/QGx1cnM", True),
    ("https://wns2-par02p.notify.windows.com/w/?token=BQYAAAB%2b", True),
    ("https://FCM.googleapis.com:443/fcm/send/x", True),
    ("http://127.0.0.1:{port}/push/abc", True),
    # scheme, port, host
    ("http://fcm.googleapis.com/fcm/send/x", False),
    ("https://fcm.googleapis.com:8443/fcm/send/x", False),
    ("https://127.0.0.1:{port}/push/abc", False),
    ("http://127.0.0.1:{other}/push/abc", False),
    ("http://127.0.0.1/push/abc", False),
    ("http://127.0.0.1:8090/api/collections/users/records", False),
    ("http://localhost:{port}/push/abc", False),
    ("https://push.apple.com/x", False),
    ("https://evil.com/fcm.googleapis.com/", False),
    ("https://fcm.googleapis.com.evil.com/x", False),
    ("https://evilfcm.googleapis.com/x", False),
    ("https://fcm.googleapis.com./x", False),
    # tricks a lenient URL parser reads differently
    ("https://fcm.googleapis.com@evil.com/x", False),
    ("https://user:pw@fcm.googleapis.com/x", False),
    ("https://fcm.googleapis.com\\@evil.com/x", False),
    ("https://fcm.googleapis.com/x#@evil.com", False),
    ("https://fcm.googleapis.com/x y", False),
    ("https://fcm.googleapis.com%2eevil.com/x", False),
    ("https://[::1]:{port}/x", False),
    ("https://fcm.googleapis.com:0443/x", False),
    ("ftp://fcm.googleapis.com/x", False),
    ("//fcm.googleapis.com/x", False),
    ("https://fcm.googleapis.com/" + "a" * 2100, False),
]


@pytest.mark.parametrize(("endpoint", "allowed"), ENDPOINT_CASES)
def test_endpoint_allowlist(endpoint: str, allowed: bool) -> None:
    hosts = parse_allowed_hosts([*PRODUCTION.split(","), LOOPBACK.format(port=8123)])
    problem = endpoint_problem(endpoint.format(port=8123, other=8124), hosts)
    assert (problem is None) is allowed, problem


def test_production_list_refuses_loopback() -> None:
    production = parse_allowed_hosts(PRODUCTION.split(","))
    assert endpoint_problem("http://127.0.0.1:8123/push/abc", production) is not None


@pytest.mark.parametrize(
    "entry", ["a b", "http://*", "*.", "https://x.com/path", "x.com:99999", "ftp://x.com", "*x.com"]
)
def test_bad_allowlist_entries_are_refused(entry: str) -> None:
    with pytest.raises(ValueError, match="is not a host"):
        parse_allowed_hosts([entry])


def test_origin_is_the_vapid_audience() -> None:
    assert origin("https://FCM.googleapis.com:443/fcm/send/x") == "https://fcm.googleapis.com"
    assert origin("http://127.0.0.1:8123/push/a") == "http://127.0.0.1:8123"


def test_a_bad_allowlist_stops_pocketbase(tmp_path: Path) -> None:
    """PocketBase reads the same variable (pb_hooks/push.pb.js) and refuses to start on it."""
    with pytest.raises(subprocess.CalledProcessError) as refused:
        launch(
            tmp_path / "pb_data",
            env={"FIELDSYNC_PUSH_ALLOWED_HOSTS": "fcm.googleapis.com,http://*"},
        )
    assert b'FIELDSYNC_PUSH_ALLOWED_HOSTS: "http://*" is not a host' in refused.value.stderr
