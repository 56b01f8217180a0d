"""Argument parsing alone (typer's CliRunner, no server): usage errors exit 2."""

from __future__ import annotations

import pytest
from fieldsync.cli.main import app
from typer.testing import CliRunner

runner = CliRunner()


@pytest.mark.parametrize(
    "args",
    [
        ["upload", "photo.jpg"],  # no --job
        ["upload", "--job", "x"],  # no file
        ["upload", "a.jpg", "--job", "x", "--parallel", "0"],
        ["pull"],  # no DIR
        ["jobs", "status", "job", "finished"],  # not a status
        ["jobs", "list", "--status", "nope"],
        ["backup", "download"],
        ["no-such-command"],
        ["login", "--url", "ftp://example.com", "--email", "a@b.c", "--password-stdin"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = runner.invoke(app, args, input="secret\n")
    assert result.exit_code == 2, result.output


def test_every_command_has_help() -> None:
    for args in (
        [],
        ["jobs"],
        ["backup"],
        ["push"],
        ["login"],
        ["upload"],
        ["watch"],
        ["pull"],
        ["tail"],
    ):
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0, (args, result.output)
        assert "Usage:" in result.output
