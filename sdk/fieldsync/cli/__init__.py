"""The `fieldsync` command (typer + rich) on the SDK: one module per command.

`main.py` assembles the commands; `console.py` is the one place that prints (data to stdout,
progress and errors to stderr); `errors.py` turns every failure into one line and an exit code.
"""
