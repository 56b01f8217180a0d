"""Options shared by several commands (one definition each, with their env vars)."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["DebugOption", "HubUrlOption", "JsonOption", "UrlOption"]

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="FIELDSYNC_URL",
        help="The fieldsync server (PocketBase) URL. Default: the one you logged in to.",
        show_default=False,
    ),
]
HubUrlOption = Annotated[
    str | None,
    typer.Option(
        "--hub-url",
        envvar="FIELDSYNC_HUB_URL",
        help="The live-update hub's URL. Default: the server URL.",
        show_default=False,
    ),
]
DebugOption = Annotated[
    bool,
    typer.Option("--debug", envvar="FIELDSYNC_DEBUG", help="Show tracebacks of failures."),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document (for scripts) instead of a table.")
]
