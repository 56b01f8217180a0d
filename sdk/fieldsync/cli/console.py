"""The CLI's one output wrapper: data to stdout, progress and errors to stderr (rich).

Commands print through `console` only. stdout carries what a script may parse (tables for
people, JSON with ``--json``); everything else (progress bars, notices, errors) goes to
stderr, so ``fieldsync jobs list --json | jq`` stays clean.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

__all__ = ["CliConsole", "console"]


class CliConsole:
    """Two rich consoles: `out` (stdout, data) and `err` (stderr, everything else)."""

    def __init__(self) -> None:
        self.out = Console(soft_wrap=True)
        self.err = Console(stderr=True, soft_wrap=True, highlight=False)

    def data(self, text: str) -> None:
        """One line of data on stdout, written as is (no markup, no wrapping)."""
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    def json(self, value: Any) -> None:
        """One JSON document on stdout (plain, so pipes get exactly the JSON)."""
        sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()

    def json_line(self, value: Any) -> None:
        """One compact JSON object per line (JSON Lines), flushed at once."""
        sys.stdout.write(json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n")
        sys.stdout.flush()

    def table(self, table: Table) -> None:
        self.out.print(table)

    def info(self, text: str) -> None:
        """A notice for people, on stderr."""
        self.err.print(escape(text))

    def success(self, text: str) -> None:
        self.err.print(f"[green]{escape(text)}[/green]")

    def warn(self, text: str) -> None:
        self.err.print(f"[yellow]{escape(text)}[/yellow]")

    def error(self, text: str) -> None:
        """The one red line of a failure, on stderr."""
        self.err.print(f"[red]error: {escape(text)}[/red]")

    def transfer_progress(self) -> Progress:
        """Progress bars for byte transfers, drawn on stderr (hidden when it is not a tty)."""
        return Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            TaskProgressColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=self.err,
            transient=True,
            disable=not self.err.is_terminal,
        )

    def count_progress(self) -> Progress:
        """A progress bar counting items (photos), drawn on stderr when it is a terminal."""
        return Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=self.err,
            transient=True,
            disable=not self.err.is_terminal,
        )


console = CliConsole()
"""The console every command prints through."""
