"""`python -m fieldsync.cli`: the same as the `fieldsync` script."""

from .main import app

app()
