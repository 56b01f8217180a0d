"""AuthStore: expiry read from the JWT payload, without verifying it."""

from __future__ import annotations

import base64
import json

from fieldsync import AuthStore, Superuser, User
from fieldsync.auth_store import token_expiry, token_payload


def make_token(payload: dict[str, object]) -> str:
    def encode(part: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    return f"{encode({'alg': 'HS256'})}.{encode(payload)}.signature"


def test_payload_and_expiry() -> None:
    token = make_token({"id": "u1", "exp": 1_000, "type": "auth"})
    assert token_payload(token)["id"] == "u1"
    assert token_expiry(token) == 1000.0
    assert token_payload("not-a-jwt") == {}
    assert token_expiry("a.!!!.c") is None


def test_validity_and_refresh_window() -> None:
    store = AuthStore()
    assert not store.is_valid()

    store.save(make_token({"exp": 1_000}), User(id="u1", collectionName="users"))
    assert store.is_valid(now=999)
    assert not store.is_valid(now=1_000)
    assert store.expires_within(300, now=800)
    assert not store.expires_within(300, now=600)
    assert store.collection == "users"
    assert not store.is_superuser


def test_superuser_and_clear() -> None:
    store = AuthStore(make_token({"exp": 10**12}), Superuser(id="s", collectionName="_superusers"))
    assert store.is_superuser
    store.clear()
    assert (store.token, store.record, store.collection) == ("", None, "")


def test_token_without_exp_never_expires() -> None:
    store = AuthStore(make_token({"id": "x"}))
    assert store.is_valid(now=10**12)
    assert not store.expires_within(10**9)
