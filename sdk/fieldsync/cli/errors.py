"""Every failure becomes one red line on stderr and an exit code; a traceback only with --debug.

Commands raise `CliError` for what they detect themselves and let the SDK's errors through;
`run()` runs a command's coroutine and maps whatever escapes it. Ctrl-C and SIGTERM cancel the
coroutine, so its ``finally`` blocks (temp files) run before the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import typer

from ..errors import (
    ApiError,
    BadRequest,
    FieldsyncError,
    Forbidden,
    NotFound,
    TooManyRequests,
    TransportError,
    Unauthorized,
)
from .console import console

__all__ = ["CliError", "describe", "fail", "run"]

T = TypeVar("T")

EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class CliError(Exception):
    """A failure the command explains itself: `message` is the line shown (exit 1)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _field_details(error: ApiError) -> str:
    details = []
    for name, detail in error.data.items():
        message = detail.get("message") if isinstance(detail, dict) else None
        details.append(f"{name}: {message or detail}")
    return "; ".join(details)


def describe(error: BaseException) -> str:
    """One line saying what went wrong, for people."""
    if isinstance(error, CliError):
        return error.message
    if isinstance(error, TransportError):
        where = f" {error.url}" if error.url else ""
        return f"cannot reach the server{where}: {error.message}"
    if isinstance(error, Unauthorized):
        return f"not logged in, or the login expired ({error.message}): run `fieldsync login`"
    if isinstance(error, Forbidden):
        return f"not allowed: {error.message}"
    if isinstance(error, NotFound):
        return f"not found: {error.message}"
    if isinstance(error, TooManyRequests):
        return f"the server is rate limiting us: {error.message} (try again in a moment)"
    if isinstance(error, BadRequest):
        details = _field_details(error)
        return f"{error.message.rstrip('.')}: {details}" if details else error.message
    if isinstance(error, ApiError):
        return f"the server answered {error.status}: {error.message}"
    if isinstance(error, FieldsyncError):
        return str(error)
    if isinstance(error, OSError):
        name = f" {error.filename}" if error.filename else ""
        return f"{error.strerror or type(error).__name__}:{name}" if error.strerror else str(error)
    return f"unexpected {type(error).__name__}: {error} (run with --debug for the traceback)"


def fail(message: str) -> NoReturn:
    """Stop the command with one red line (exit 1)."""
    raise CliError(message)


async def _cancel_on_sigterm(main: Coroutine[Any, Any, T]) -> T:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    handled = False
    if task is not None:
        with contextlib.suppress(NotImplementedError):  # Windows: SIGTERM ends the process
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
            handled = True
    try:
        return await main
    finally:
        if handled:
            loop.remove_signal_handler(signal.SIGTERM)


def run(main: Coroutine[Any, Any, T], *, debug: bool) -> T:
    """Run a command's coroutine; print one line and exit non-zero if it fails."""
    try:
        return asyncio.run(_cancel_on_sigterm(main))
    except KeyboardInterrupt:
        console.warn("interrupted")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except asyncio.CancelledError:
        console.warn("terminated")
        raise typer.Exit(EXIT_TERMINATED) from None
    except (typer.Exit, typer.BadParameter):
        raise  # typer prints usage errors itself (exit 2)
    except Exception as exc:
        if debug:
            console.err.print_exception()
        console.error(describe(exc))
        raise typer.Exit(EXIT_FAILURE) from None
