"""A browser's side of Web Push, for tests: real P-256 subscription keys and an auth secret,
the decryption of what arrives (`http_ece`), and the check of the VAPID header (PyJWT)."""

from __future__ import annotations

import base64
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import http_ece  # type: ignore[import-untyped]
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.push.service import Received


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """One browser profile's push subscription keys (what `pushManager.subscribe()` makes)."""

    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)

    def subscription(self, user: str, endpoint: str) -> dict[str, str]:
        """The body that stores this subscription in PocketBase."""
        return {
            "user": user,
            "endpoint": endpoint,
            "p256dh": self.p256dh,
            "auth": b64url(self.auth),
        }

    def decrypt(self, received: Received) -> dict[str, Any]:
        """The notification payload of a POST, decrypted as the browser does."""
        assert received.headers["content-encoding"] == "aes128gcm"
        plain = http_ece.decrypt(
            received.body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        payload: dict[str, Any] = json.loads(plain)
        return payload


def verify_vapid(received: Received, public_key: str) -> dict[str, Any]:
    """The VAPID claims of a POST, after checking `Authorization: vapid t=..., k=...` as a push
    service does: ES256 signature by `public_key`, `aud` the endpoint's origin, `exp` within
    24 h, a `sub`. Fails the test otherwise."""
    scheme, _, params = received.headers["authorization"].partition(" ")
    assert scheme == "vapid", received.headers["authorization"]
    parts = dict(part.strip().split("=", 1) for part in params.split(","))
    assert parts["k"] == public_key
    point = b64url_decode(public_key)
    verifier = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    split = urlsplit(received.endpoint)
    claims: dict[str, Any] = jwt.decode(
        parts["t"],
        verifier,
        algorithms=["ES256"],
        audience=f"{split.scheme}://{split.netloc}",
        options={"require": ["aud", "exp", "sub"]},
    )
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    assert claims["sub"].startswith(("mailto:", "https:"))
    return claims
