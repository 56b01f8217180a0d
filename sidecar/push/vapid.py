"""The sidecar's VAPID identity (RFC 8292): a P-256 key pair, and the signed `Authorization`
header push services ask for. `python -m sidecar.push.vapid` prints a new private key.

The key is kept as the raw private scalar in base64url (what `run.sh` stores in
`.fieldsync/` as `FIELDSYNC_PUSH_VAPID_PRIVATE_KEY`); browsers get the public key, an
uncompressed point in base64url, as `applicationServerKey` (`GET /push/vapid-public-key`).
Signing is py-vapid's; a token is reused per push service origin until it nears expiry.
"""

from __future__ import annotations

import base64
import binascii
import re
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid, VapidException  # type: ignore[import-untyped]

TOKEN_LIFETIME_S = 12 * 3600
"""`exp` of a signed token (RFC 8292 allows at most 24 h)."""
TOKEN_REUSE_S = 11 * 3600
"""A token is signed again once it is this old, so every one sent has an hour or more left."""

_B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Unpadded (or padded) base64url; ValueError on anything else."""
    if not _B64URL.fullmatch(text):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc


def new_private_key() -> str:
    """A fresh P-256 private key, raw and base64url (32 bytes, 43 characters)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def private_key(text: str) -> ec.EllipticCurvePrivateKey:
    """A raw base64url P-256 private key; ValueError for anything else."""
    try:
        raw = b64url_decode(text.strip())
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise ValueError("must be a raw P-256 private key: 32 bytes, base64url")
    try:
        return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except ValueError as exc:
        raise ValueError("is not a valid P-256 private key") from exc


def check_subject(subject: str) -> str:
    """`subject` if py-vapid signs with it (a `mailto:` address or an `https:` URL)."""
    try:
        VapidKey(new_private_key(), subject)
    except ValueError as exc:
        raise ValueError("must be a mailto: address or an https: URL") from exc
    return subject


class VapidKey:
    """Signs VAPID tokens with one private key for one subject (`mailto:` or `https:`)."""

    def __init__(self, key: str, subject: str) -> None:
        """ValueError when the key is not a raw base64url P-256 key or py-vapid refuses the
        subject."""
        self._vapid = Vapid(private_key(key))
        self.subject = subject
        point = self._vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.public_key = b64url(point)
        """The uncompressed public point, base64url: the browsers' `applicationServerKey`."""
        self._tokens: dict[str, tuple[float, str]] = {}
        self.authorization("https://push.example.com")  # fails now on a subject py-vapid refuses
        self._tokens.clear()

    def authorization(self, audience: str, now: float | None = None) -> str:
        """`Authorization: vapid t=<JWT>,k=<public key>` for a push service origin."""
        now = time.time() if now is None else now
        cached = self._tokens.get(audience)
        if cached is not None and now - cached[0] < TOKEN_REUSE_S:
            return cached[1]
        claims = {"aud": audience, "exp": int(now) + TOKEN_LIFETIME_S, "sub": self.subject}
        try:
            header: str = self._vapid.sign(claims)["Authorization"]
        except VapidException as exc:
            raise ValueError(str(exc)) from exc
        if len(self._tokens) > 1000:
            self._tokens.clear()
        self._tokens[audience] = (now, header)
        return header


def main() -> None:
    """Print a new private key (what `run.sh` keeps in `.fieldsync/` on first run)."""
    print(new_private_key())


if __name__ == "__main__":
    main()
