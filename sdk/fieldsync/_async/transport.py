"""Sends requests to PocketBase: auth header, token refresh, error mapping.

Services build requests and parse models; this module is the one place that talks httpx.
httpx's exceptions become `fieldsync.TransportError` in `map_httpx_errors`, error statuses
become `ApiError` subclasses, and a token about to expire is refreshed before a request.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
from httpx_sse import EventSource, ServerSentEvent, SSEError, aconnect_sse

from .._concurrency import AsyncLock
from ..auth_store import AuthStore
from ..errors import ApiError, TransportError, api_error
from ..models import AUTH_MODELS, Record

__all__ = ["DEFAULT_TIMEOUT", "AsyncTransport", "map_httpx_errors"]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
"""30 s to read or write, 10 s to connect."""

TimeoutTypes = float | httpx.Timeout | None


@contextmanager
def map_httpx_errors(url: str = "") -> Iterator[None]:
    """Turn httpx's transport exceptions (and httpx-sse's) into `fieldsync.TransportError`."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise TransportError(f"timed out: {exc or type(exc).__name__}", url=url) from exc
    except httpx.RequestError as exc:  # connect, read, write, protocol, decoding errors
        raise TransportError(f"{type(exc).__name__}: {exc}", url=url) from exc
    except SSEError as exc:
        raise TransportError(f"not an event stream: {exc}", url=url) from exc


def _json_body(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _raise_for_status(response: httpx.Response) -> None:
    if response.is_error:
        raise api_error(response.status_code, _json_body(response), str(response.request.url))


class AsyncTransport:
    """One httpx client, the auth store, and the rules for sending.

    Args:
        base_url: PocketBase's root URL, e.g. ``"http://127.0.0.1:8090"``.
        timeout: default httpx timeout for every request.
        transport: an httpx transport to send through (tests, proxies); None for the default.
        auth_store: where the token lives; a new empty `AuthStore` if None.
        refresh_margin: refresh the token when it expires in less than this many seconds.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        auth_store: AuthStore | None = None,
        refresh_margin: float = 300.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth_store = auth_store if auth_store is not None else AuthStore()
        self.refresh_margin = refresh_margin
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json"},
        )
        self._refresh_lock = AsyncLock()

    @property
    def timeout(self) -> httpx.Timeout:
        return self._http.timeout

    def url(self, path: str) -> str:
        """The absolute URL of an API path such as ``/api/files/token``."""
        return self.base_url + path

    def _headers(self, headers: Mapping[str, str] | None, auth: bool) -> dict[str, str]:
        merged = dict(headers or {})
        token = self.auth_store.token
        if auth and token:
            merged["Authorization"] = token
        return merged

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        content: AsyncIterable[bytes] | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        timeouts: httpx.Timeout | None = None,
    ) -> Any:
        """Send one request and return its decoded JSON body (None for an empty body).

        Raises `ApiError` (a subclass by status) or `TransportError`.
        """
        if auth:
            await self.ensure_fresh_auth()
        url = self.url(path)
        with map_httpx_errors(url):
            response = await self._http.request(
                method,
                path,
                params=_clean_params(params),
                json=json,
                data=data,
                files=files,
                content=content,
                headers=self._headers(headers, auth),
                **_timeout(timeouts),
            )
        _raise_for_status(response)
        return _json_body(response)

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        timeouts: httpx.Timeout | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """Send a request and yield the response with its body unread (status already checked).

        Errors while reading the body inside the block are mapped too.
        """
        if auth:
            await self.ensure_fresh_auth()
        url = self.url(path)
        with map_httpx_errors(url):
            async with self._http.stream(
                method,
                path,
                params=_clean_params(params),
                headers=self._headers(headers, auth),
                **_timeout(timeouts),
            ) as response:
                if response.is_error:
                    await response.aread()
                    _raise_for_status(response)
                yield response

    @asynccontextmanager
    async def connect_sse(
        self,
        path: str,
        *,
        timeouts: httpx.Timeout | None = None,
    ) -> AsyncIterator[EventSource]:
        """Open a server-sent-events stream (GET) and yield its `EventSource`."""
        url = self.url(path)
        with map_httpx_errors(url):
            async with aconnect_sse(
                self._http, "GET", path, headers={}, **_timeout(timeouts)
            ) as source:
                if source.response.is_error:
                    await source.response.aread()
                    _raise_for_status(source.response)
                yield source

    async def iter_sse(self, source: EventSource) -> AsyncGenerator[ServerSentEvent, None]:
        """The events of `source`, with httpx errors mapped to `TransportError`."""
        with map_httpx_errors(str(source.response.request.url)):
            async for event in source.aiter_sse():
                yield event

    async def ensure_fresh_auth(self) -> None:
        """Refresh the token first if it is still valid but expires within `refresh_margin`.

        A failed refresh is logged and ignored: the old token still works until it expires.
        """
        store = self.auth_store
        if store.record is None or not store.collection:
            return
        if not store.expires_within(self.refresh_margin) or not store.is_valid():
            return
        async with self._refresh_lock:
            # Another task may have refreshed while this one waited for the lock.
            if not store.expires_within(self.refresh_margin) or not store.is_valid():
                return
            try:
                await self.refresh_auth()
            except (ApiError, TransportError) as exc:
                logger.warning("token refresh for %s failed: %s", store.collection, exc)

    async def refresh_auth(self) -> Record:
        """Exchange the current token for a fresh one (``auth-refresh``) and store it."""
        collection = self.auth_store.collection
        if not collection or not self.auth_store.token:
            raise ValueError("not logged in: nothing to refresh")
        body = await self.request(
            "POST",
            f"/api/collections/{collection}/auth-refresh",
            auth=False,
            headers={"Authorization": self.auth_store.token},
        )
        return self.save_auth(collection, body)

    def save_auth(self, collection: str, body: Any) -> Record:
        """Store the token and record of an auth response ``{"token", "record"}``."""
        if not isinstance(body, Mapping) or not isinstance(body.get("token"), str):
            raise TransportError("auth response without a token", url=self.base_url)
        record = AUTH_MODELS.get(collection, Record).model_validate(body.get("record") or {})
        self.auth_store.save(body["token"], record)
        return record

    async def aclose(self) -> None:
        await self._http.aclose()


def _timeout(timeout: httpx.Timeout | None) -> dict[str, Any]:
    """httpx keyword arguments for a per-request timeout (None: the client's default)."""
    return {} if timeout is None else {"timeout": timeout}


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Drop None values; booleans as PocketBase reads them."""
    if not params:
        return None
    cleaned: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        cleaned[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return cleaned
