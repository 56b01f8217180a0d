"""The `fieldsync` command: every subcommand, assembled (``[project.scripts]`` points here)."""

from __future__ import annotations

import typer

from .backup import app as backup_app
from .jobs import app as jobs_app
from .login import login, logout, whoami
from .pull import pull
from .push import app as push_app
from .tail import tail
from .upload import upload
from .watch import watch

__all__ = ["app"]

app = typer.Typer(
    name="fieldsync",
    help="fieldsync from a terminal: jobs, photo upload and pull, live events, backups.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command()(login)
app.command()(logout)
app.command()(whoami)
app.add_typer(jobs_app, name="jobs")
app.command()(upload)
app.command()(watch)
app.command()(pull)
app.command()(tail)
app.add_typer(backup_app, name="backup")
app.add_typer(push_app, name="push")
