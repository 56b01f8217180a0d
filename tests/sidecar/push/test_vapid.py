"""The VAPID key and its CLI (sidecar/push/vapid.py)."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import ValidationError

from sidecar.push.vapid import TOKEN_REUSE_S, VapidKey, b64url_decode, new_private_key
from sidecar.settings import Settings
from tests.support.pocketbase import ROOT


def test_cli_prints_a_new_raw_key() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sidecar.push.vapid"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    key = done.stdout.strip()
    assert len(b64url_decode(key)) == 32
    assert done.stdout == key + "\n"
    assert (
        VapidKey(key, "mailto:ops@example.com").public_key
        != VapidKey(new_private_key(), "mailto:ops@example.com").public_key
    )


def test_public_key_is_the_uncompressed_point_of_the_private_key() -> None:
    vapid = VapidKey(new_private_key(), "https://shop.example.com")
    point = b64url_decode(vapid.public_key)
    assert len(point) == 65 and point[0] == 4
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    token = vapid.authorization("https://fcm.googleapis.com").split("t=", 1)[1].split(",")[0]
    claims = jwt.decode(token, public, algorithms=["ES256"], audience="https://fcm.googleapis.com")
    assert claims["sub"] == "https://shop.example.com"
    assert time.time() + 11 * 3600 < claims["exp"] <= time.time() + 24 * 3600


def test_tokens_are_reused_per_audience_until_they_age() -> None:
    vapid = VapidKey(new_private_key(), "mailto:ops@example.com")
    now = time.time()
    first = vapid.authorization("https://a.example", now)
    assert vapid.authorization("https://a.example", now + 60) == first
    assert vapid.authorization("https://b.example", now) != first
    assert vapid.authorization("https://a.example", now + TOKEN_REUSE_S + 1) != first


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("push_vapid_private_key", "not-a-key", "32 bytes"),
        ("push_vapid_private_key", "A" * 43, "not a valid P-256"),  # zero is not a key
        ("push_vapid_private_key", "BEGIN PRIVATE KEY", "32 bytes"),
        ("push_subject", "admin", "mailto"),
        ("push_allowed_hosts", "fcm.googleapis.com,http://*", "is not a host"),
    ],
)
def test_bad_settings_fail_at_start(field: str, value: str, message: str) -> None:
    bad: dict[str, Any] = {field: value}
    with pytest.raises(ValidationError, match=message):
        Settings(
            pb_superuser_email="su@example.com",
            pb_superuser_password="x",
            hub_subscriber_key="k",
            hub_publisher_key="k",
            **bad,
        )
