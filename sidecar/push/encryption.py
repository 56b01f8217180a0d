"""Message encryption for Web Push (RFC 8291, `aes128gcm` of RFC 8188), by `http_ece`.

Each message gets a fresh ephemeral P-256 key; the receiver's public key (`p256dh`) and auth
secret come from the browser's subscription.
"""

from __future__ import annotations

import http_ece  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.asymmetric import ec

from sidecar.push.vapid import b64url_decode


class InvalidKeys(ValueError):
    """The subscription's keys are not a P-256 point and a 16-byte secret."""


def encrypt(payload: bytes, p256dh: str, auth: str) -> bytes:
    """The request body: `payload` encrypted for the subscription (`Content-Encoding:
    aes128gcm`). Raises `InvalidKeys` for keys no browser would have made."""
    try:
        receiver = b64url_decode(p256dh)
        secret = b64url_decode(auth)
    except ValueError as exc:
        raise InvalidKeys("the subscription's keys are not base64url") from exc
    if len(receiver) != 65 or len(secret) != 16:
        raise InvalidKeys("the subscription's keys have the wrong length")
    try:
        body: bytes = http_ece.encrypt(
            payload,
            private_key=ec.generate_private_key(ec.SECP256R1()),
            dh=receiver,
            auth_secret=secret,
            version="aes128gcm",
        )
    except ValueError as exc:  # not a point on the curve
        raise InvalidKeys("the subscription's p256dh is not a P-256 public key") from exc
    return body
