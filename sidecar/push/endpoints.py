"""Which push endpoints the sidecar may POST to: the guard against server-side request forgery.

A user stores any URL as a push endpoint, and the sidecar sends to it from inside the shop's
network, so only an https URL on a known push service is used. The allowlist
(`FIELDSYNC_PUSH_ALLOWED_HOSTS`) holds entries of three forms:

- `fcm.googleapis.com`: exactly that host, https on port 443;
- `*.push.apple.com`: any subdomain of it (not the domain itself), https on port 443;
- `http://127.0.0.1:8123`: exactly that scheme, host and port (what tests use for a loopback
  push service).

PocketBase refuses other endpoints when a subscription is stored (`pb_hooks/lib/push.js`, the
same rules); the sender checks again before every request and follows no redirect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_ENDPOINT = 2048

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = rf"{_LABEL}(?:\.{_LABEL})*"
_PORT = r"[1-9][0-9]{0,4}"
_ENTRY = re.compile(rf"(?:(https?)://)?(\*\.)?({_HOST})(?::({_PORT}))?")
# Scheme, host, optional port, then a path of printable ASCII without `#` or `\`.
_ENDPOINT = re.compile(rf"(https?)://({_HOST})(?::({_PORT}))?(/[!-\"$-\[\]-~]*)?", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class AllowedHost:
    """One allowlist entry."""

    scheme: str
    host: str
    port: int
    wildcard: bool = False

    def matches(self, scheme: str, host: str, port: int) -> bool:
        host_ok = host.endswith(f".{self.host}") if self.wildcard else host == self.host
        return host_ok and scheme == self.scheme and port == self.port


def parse_allowed_hosts(entries: tuple[str, ...] | list[str]) -> tuple[AllowedHost, ...]:
    """The allowlist from its entries; ValueError naming a bad one."""
    allowed = []
    for raw in entries:
        text = raw.strip().lower()
        if not text:
            continue
        match = _ENTRY.fullmatch(text)
        if match is None or (match[4] and int(match[4]) > 65535):
            raise ValueError(f"{raw.strip()!r} is not a host, *.domain or scheme://host[:port]")
        scheme = match[1] or "https"
        port = int(match[4]) if match[4] else _DEFAULT_PORTS[scheme]
        allowed.append(AllowedHost(scheme, match[3], port, wildcard=bool(match[2])))
    return tuple(allowed)


def endpoint_problem(endpoint: str, allowed: tuple[AllowedHost, ...]) -> str | None:
    """Why `endpoint` may not be sent to, or None when it may."""
    if len(endpoint) > MAX_ENDPOINT:
        return f"the endpoint is longer than {MAX_ENDPOINT} characters"
    match = _ENDPOINT.fullmatch(endpoint)
    if match is None:
        return "the endpoint is not a plain http(s) URL"
    scheme, host = match[1].lower(), match[2].lower()
    port = int(match[3]) if match[3] else _DEFAULT_PORTS[scheme]
    if any(entry.matches(scheme, host, port) for entry in allowed):
        return None
    return "the endpoint is not on an allowed push service (FIELDSYNC_PUSH_ALLOWED_HOSTS)"


def origin(endpoint: str) -> str:
    """The endpoint's origin (`scheme://host[:port]`, lower case): the VAPID audience."""
    match = _ENDPOINT.fullmatch(endpoint)
    if match is None:
        raise ValueError("not a push endpoint")
    scheme, host = match[1].lower(), match[2].lower()
    if match[3] and int(match[3]) != _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}:{match[3]}"
    return f"{scheme}://{host}"
