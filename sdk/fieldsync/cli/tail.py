"""`fieldsync tail`: the team's events, live, from the hub (resumes with Last-Event-ID)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .console import console
from .errors import run
from .hub import Connected, HubFeed, describe_wait
from .lookup import my_team
from .options import DebugOption, HubUrlOption, JsonOption, UrlOption
from .session import logged_in

__all__ = ["tail"]


def _summary(data: Any) -> str:
    if not isinstance(data, dict):
        return str(data)
    record = data.get("record")
    if not isinstance(record, dict):
        return ""
    parts = [str(record.get("id", ""))]
    for field in ("title", "status", "caption", "file", "error"):
        value = record.get(field)
        if value:
            parts.append(f"{field}={value}")
    return " ".join(parts)


async def _tail(url: str | None, hub_url: str | None, as_json: bool) -> None:
    async with logged_in(url) as client:
        team = my_team(client)
        feed = HubFeed(
            client,
            hub_url or client.base_url,
            [f"/teams/{team}/jobs/{{job}}", f"/teams/{team}/photos/{{photo}}"],
            on_wait=lambda reason, delay: console.warn(describe_wait(reason, delay)),
        )
        async for item in feed:
            if isinstance(item, Connected):
                where = f" after {item.last_event_id}" if item.last_event_id else ""
                console.info(f"hub: {'re' if item.reconnect else ''}connected{where}")
                if item.missed:
                    console.warn(f"hub: events after {item.last_event_id} are no longer kept")
            elif as_json:
                console.json_line({"id": item.id, "type": item.type, "data": item.data})
            else:
                stamp = datetime.now().strftime("%H:%M:%S")
                console.data(f"{stamp} {item.id:>6} {item.type:<14} {_summary(item.data)}")


def tail(
    as_json: JsonOption = False,
    url: UrlOption = None,
    hub_url: HubUrlOption = None,
    debug: DebugOption = False,
) -> None:
    """Follow your team's job and photo events live (Ctrl-C stops).

    With --json, one JSON object per line: {"id", "type", "data"}.
    """
    run(_tail(url, hub_url, as_json), debug=debug)
