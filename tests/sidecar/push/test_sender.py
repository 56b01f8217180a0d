"""One request to a push service (sidecar/push/sender.py), against the loopback push service:
what is sent (encrypted, signed, headers) and what each answer means."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from sidecar.push.config import PushConfig
from sidecar.push.deliveries import Target
from sidecar.push.endpoints import parse_allowed_hosts
from sidecar.push.messages import Kind, message
from sidecar.push.metrics import PushMetrics
from sidecar.push.sender import PushSender, Result, classify, parse_retry_after
from sidecar.push.vapid import VapidKey, new_private_key
from tests.support.push.browser import Browser, verify_vapid
from tests.support.push.service import HANG, Answer, PushService

MESSAGE = message(Kind.ASSIGNED, "en", job="abcdefghij12345", job_title="Rims")


@pytest.fixture
async def sender(push_service: PushService) -> AsyncIterator[PushSender]:
    config = PushConfig(
        vapid=VapidKey(new_private_key(), "mailto:ops@example.com"),
        allowed_hosts=parse_allowed_hosts(["fcm.googleapis.com", push_service.url]),
        holder="test",
        concurrency=4,
        timeout_s=0.5,
    )
    sender = PushSender(config, PushMetrics())
    await sender.start()
    yield sender
    await sender.aclose()


def target(endpoint: str, browser: Browser) -> Target:
    subscription = browser.subscription("user", endpoint)
    return Target("sub000000000001", endpoint, subscription["p256dh"], subscription["auth"])


async def test_sends_an_encrypted_signed_message(
    sender: PushSender, push_service: PushService
) -> None:
    browser, endpoint = Browser(), push_service.endpoint()
    outcome = await sender.send(target(endpoint, browser), MESSAGE, ttl_s=3600)
    assert (outcome.result, outcome.status) == (Result.SENT, 201)
    received = push_service.wait_for(1, endpoint)[0]
    assert browser.decrypt(received) == MESSAGE.payload
    claims = verify_vapid(received, sender._config.vapid.public_key)
    assert claims["sub"] == "mailto:ops@example.com"
    assert received.headers["ttl"] == "3600"
    assert received.headers["urgency"] == "high"
    assert received.headers["topic"] == "abcdefghij12345"


async def test_a_redirect_is_not_followed(sender: PushSender, push_service: PushService) -> None:
    elsewhere = push_service.endpoint()
    endpoint = push_service.endpoint(Answer(308, {"Location": elsewhere}))
    outcome = await sender.send(target(endpoint, Browser()), MESSAGE, ttl_s=60)
    assert (outcome.result, outcome.reason) == (Result.FAILED, "redirect")
    assert push_service.received(elsewhere) == []


async def test_no_answer_is_a_retry_after_the_timeout(
    sender: PushSender, push_service: PushService
) -> None:
    endpoint = push_service.endpoint(HANG)
    started = time.monotonic()
    outcome = await sender.send(target(endpoint, Browser()), MESSAGE, ttl_s=60)
    assert outcome.result is Result.RETRY
    assert "no answer" in outcome.error
    assert 0.4 < time.monotonic() - started < 1.5


async def test_off_the_allowlist_or_bad_keys_sends_nothing(
    sender: PushSender, push_service: PushService
) -> None:
    other_port = push_service.url.replace(str(push_service.port), str(push_service.port + 1))
    outcome = await sender.send(target(f"{other_port}/push/x", Browser()), MESSAGE, ttl_s=60)
    assert (outcome.result, outcome.reason) == (Result.FAILED, "not_allowed")
    endpoint = push_service.endpoint()
    bad = Target("sub000000000001", endpoint, "B" + "A" * 86, "A" * 22)  # not a curve point
    outcome = await sender.send(bad, MESSAGE, ttl_s=60)
    assert (outcome.result, outcome.reason) == (Result.FAILED, "invalid_keys")
    assert push_service.received(endpoint) == []


@pytest.mark.parametrize(
    ("status", "result", "reason"),
    [
        (201, Result.SENT, ""),
        (202, Result.SENT, ""),
        (404, Result.GONE, ""),
        (410, Result.GONE, ""),
        (413, Result.FAILED, "too_large"),
        (400, Result.FAILED, "refused"),
        (403, Result.FAILED, "refused"),
        (301, Result.FAILED, "redirect"),
        (429, Result.RETRY, ""),
        (500, Result.RETRY, ""),
        (503, Result.RETRY, ""),
    ],
)
def test_answers(status: int, result: Result, reason: str) -> None:
    outcome = classify(status, None, time.time())
    assert (outcome.result, outcome.reason) == (result, reason)


def test_retry_after_seconds_or_date() -> None:
    now = time.time()
    assert parse_retry_after("120", now) == 120
    later = datetime.fromtimestamp(now, UTC) + timedelta(seconds=90)
    assert parse_retry_after(format_datetime(later, usegmt=True), now) == pytest.approx(90, abs=1)
    assert parse_retry_after(format_datetime(later - timedelta(hours=1), usegmt=True), now) == 0
    for garbage in ("", None, "soon", "-5", "²", "1.5"):
        assert parse_retry_after(garbage, now) is None
    assert classify(429, "7", now).retry_after == 7
