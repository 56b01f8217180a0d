"""`fieldsync push test`: a test notification to your own devices (when the server has push)."""

from __future__ import annotations

import typer

from .._async.client import AsyncClient
from ..errors import NotFound
from .console import console
from .errors import fail, run
from .hub import hub_request
from .options import DebugOption, HubUrlOption, UrlOption
from .session import logged_in

__all__ = ["app"]

app = typer.Typer(help="Web push notifications.", no_args_is_help=True)

PUSH_TEST_PATH = "/push/test"


async def _test(url: str | None, hub_url: str | None) -> tuple[int, int]:
    async with logged_in(url) as client:
        return await _send_test(client, hub_url or client.base_url)


async def _send_test(client: AsyncClient, hub_url: str) -> tuple[int, int]:
    """(sent, failed) as the sidecar reports them."""
    try:
        body = await hub_request(client, hub_url, "POST", PUSH_TEST_PATH)
    except NotFound:
        fail(f"push notifications are not enabled on {hub_url}")
    sent = body.get("sent") if isinstance(body, dict) else None
    if not isinstance(sent, int):
        fail(f"unexpected answer from {hub_url}{PUSH_TEST_PATH}: {body!r}")
    failed = body.get("failed", 0)
    return sent, failed if isinstance(failed, int) else 0


@app.command()
def test(url: UrlOption = None, hub_url: HubUrlOption = None, debug: DebugOption = False) -> None:
    """Send a test notification to every device you subscribed to push."""
    sent, failed = run(_test(url, hub_url), debug=debug)
    if failed:
        console.error(f"test notification sent to {sent} subscription(s), {failed} failed")
        raise typer.Exit(1)
    if sent:
        console.success(f"test notification sent to {sent} subscription(s)")
    else:
        console.warn("no subscriptions: enable notifications in the app on your phone first")
