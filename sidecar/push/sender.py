"""One request to a push service (RFC 8030) and what its answer means.

Built from pywebpush's own building blocks, `http_ece` to encrypt (RFC 8291) and py-vapid to
sign (RFC 8292), and sent with one shared aiohttp session: pywebpush's `webpush()` blocks on
`requests`, and its `webpush_async()` adds nothing over these but the send. aiohttp rather
than the httpx the SDK uses: at 16 requests at once, httpx's connection pool cost 4-5 ms of
CPU per request on this 2-core machine, aiohttp's 0.3-0.45 ms (`python -m bench.push`
measures both). The session keeps connections alive per push service, follows no redirect,
bounds the requests at once and gives each a hard deadline, so a hanging push service holds
one slot for `timeout_s` and never the others.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from dataclasses import dataclass
from enum import StrEnum

import aiohttp

from sidecar.push.config import PushConfig
from sidecar.push.deliveries import Target
from sidecar.push.encryption import InvalidKeys, encrypt
from sidecar.push.endpoints import endpoint_problem, origin
from sidecar.push.messages import Message
from sidecar.push.metrics import PushMetrics

log = logging.getLogger(__name__)

MAX_ANSWER_BYTES = 64 * 1024
"""Read at most this much of an answer's body (then drop the connection)."""


class Result(StrEnum):
    SENT = "sent"
    """Accepted (2xx)."""
    GONE = "gone"
    """404/410: the subscription expired or was unsubscribed; delete it."""
    RETRY = "retry"
    """429, 5xx or no answer: try again later."""
    FAILED = "failed"
    """Anything else: give this message up."""


@dataclass(frozen=True, slots=True)
class Outcome:
    result: Result
    status: int | None = None
    retry_after: float | None = None
    """Seconds the push service asked to wait (`Retry-After`)."""
    reason: str = ""
    """For FAILED: a short label for metrics (too_large, refused, not_allowed, invalid_keys)."""
    error: str = ""


def classify(status: int, retry_after: str | None, now: float) -> Outcome:
    """What a push service's answer means."""
    if 200 <= status < 300:
        return Outcome(Result.SENT, status)
    if status in (404, 410):
        return Outcome(Result.GONE, status, error=f"HTTP {status}")
    if status == 429 or status >= 500:
        return Outcome(
            Result.RETRY, status, parse_retry_after(retry_after, now), error=f"HTTP {status}"
        )
    if status == 413:
        return Outcome(Result.FAILED, status, reason="too_large", error="HTTP 413 (too large)")
    if 300 <= status < 400:
        return Outcome(Result.FAILED, status, reason="redirect", error=f"HTTP {status} (redirect)")
    return Outcome(Result.FAILED, status, reason="refused", error=f"HTTP {status}")


def parse_retry_after(value: str | None, now: float) -> float | None:
    """`Retry-After` in seconds from `now` (delay-seconds or an HTTP date); None if absent or
    unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


class PushSender:
    """Sends messages to push services: encrypted, signed, bounded and timed out."""

    def __init__(self, config: PushConfig, metrics: PushMetrics) -> None:
        self._config = config
        self._metrics = metrics
        self._slots = asyncio.Semaphore(config.concurrency)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the session (it belongs to the running event loop)."""
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._config.concurrency),
            timeout=aiohttp.ClientTimeout(total=self._config.timeout_s),
            headers={"User-Agent": "fieldsync-push"},
            trust_env=True,  # HTTPS_PROXY / NO_PROXY, as for the rest of the sidecar
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, target: Target, message: Message, ttl_s: int) -> Outcome:
        """One try at delivering `message` to `target`; never raises for the push service's
        faults (they are outcomes)."""
        problem = endpoint_problem(target.endpoint, self._config.allowed_hosts)
        if problem is not None:
            return Outcome(Result.FAILED, reason="not_allowed", error=problem)
        try:
            body = encrypt(message.body(), target.p256dh, target.auth)
        except InvalidKeys as exc:
            return Outcome(Result.FAILED, reason="invalid_keys", error=str(exc))
        headers = {
            "Authorization": self._config.vapid.authorization(origin(target.endpoint)),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(max(0, ttl_s)),
            "Urgency": message.urgency,
        }
        if message.topic:
            headers["Topic"] = message.topic
        async with self._slots:
            return await self._post(target.endpoint, body, headers)

    async def _post(self, endpoint: str, body: bytes, headers: dict[str, str]) -> Outcome:
        if self._session is None:
            raise RuntimeError("PushSender.start() was not called")
        started = time.perf_counter()
        try:
            async with (
                asyncio.timeout(self._config.timeout_s),
                self._session.post(
                    endpoint, data=body, headers=headers, allow_redirects=False
                ) as response,
            ):
                await _drain(response)
                status, retry_after = response.status, response.headers.get("Retry-After")
        except TimeoutError:
            return Outcome(Result.RETRY, error=f"no answer within {self._config.timeout_s:g} s")
        except aiohttp.ClientError as exc:
            return Outcome(Result.RETRY, error=f"{type(exc).__name__}: {exc}"[:300])
        finally:
            self._metrics.observe(time.perf_counter() - started)
        return classify(status, retry_after, time.time())


async def _drain(response: aiohttp.ClientResponse) -> None:
    """Read a (small) answer so the connection can be used again; a larger one is cut off and
    its connection closed."""
    read = 0
    async for chunk in response.content.iter_chunked(16 * 1024):
        read += len(chunk)
        if read > MAX_ANSWER_BYTES:
            response.close()
            return
