"""PocketBase realtime topics and messages (pure: no I/O).

A subscription is a topic such as ``jobs/*`` (every record the auth may see) or
``jobs/RECORD_ID``, optionally with options (a filter, an expand) appended as
``?options=<url-encoded JSON>``. PocketBase names each message after the exact subscription
string, so the same string both subscribes and selects the messages that belong to it.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar
from urllib.parse import quote

from .models import RealtimeAction, RealtimeEvent, Record

__all__ = ["CONNECT_EVENT", "parse_client_id", "parse_message", "subscription_key"]

CONNECT_EVENT = "PB_CONNECT"
"""The first message of every realtime connection; its data carries the ``clientId``."""

M = TypeVar("M", bound=Record)


def subscription_key(
    collection: str, topic: str = "*", *, filter: str | None = None, expand: str | None = None
) -> str:
    """The subscription string, e.g. ``jobs/*`` or ``jobs/*?options=%7B...%7D``."""
    if not collection or "/" in collection:
        raise ValueError(f"bad collection name {collection!r}")
    if not topic or "?" in topic:
        raise ValueError(f"bad topic {topic!r}: use '*' or a record id")
    key = f"{collection}/{topic}"
    query = {name: value for name, value in (("filter", filter), ("expand", expand)) if value}
    if query:
        options = json.dumps({"query": query}, separators=(",", ":"), ensure_ascii=False)
        key += "?options=" + quote(options, safe="")
    return key


def parse_client_id(data: str) -> str:
    """The ``clientId`` from a PB_CONNECT message's data."""
    payload = json.loads(data)
    client_id = payload.get("clientId") if isinstance(payload, dict) else None
    if not isinstance(client_id, str) or not client_id:
        raise ValueError("PB_CONNECT without a clientId")
    return client_id


def parse_message(event: str, data: str, key: str, model: type[M]) -> RealtimeEvent[M] | None:
    """A typed event if the message `event` belongs to subscription `key`, else None."""
    if event != key:
        return None
    payload: Any = json.loads(data)
    return RealtimeEvent(
        action=RealtimeAction(payload["action"]),
        record=model.model_validate(payload["record"]),
    )
