"""Safe PocketBase filter expressions: placeholders filled with escaped values.

Never paste user input into a filter string; write a placeholder and pass the value::

    build_filter("team = {:team} && title ~ {:q}", team=job.team, q='say "hi"')
    # -> 'team = "k3..." && title ~ "say \\"hi\\""'

Like the JS SDK's ``pb.filter()``, but every ``{:name}`` must have a value (a typo raises
instead of filtering on the literal text) and values are substituted in one pass, so a value
that itself contains ``{:other}`` stays text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum

from .models import Record, format_datetime

__all__ = ["build_filter", "quote"]

_PLACEHOLDER = re.compile(r"\{:([A-Za-z_][A-Za-z0-9_]*)\}")


def quote(value: object) -> str:
    """One value as a PocketBase filter literal.

    str -> a double-quoted, escaped string; bool -> true/false; int/float -> the number;
    None -> null; datetime -> a quoted PocketBase date (UTC); date -> ``"YYYY-MM-DD"``;
    an enum -> its value; a `Record` -> its quoted id; lists and dicts -> their quoted JSON.
    """
    if value is None:
        return "null"
    if isinstance(value, Enum):
        return quote(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if isinstance(value, float) and (value != value or value in (float("inf"), -float("inf"))):
            raise ValueError(f"cannot use {value!r} in a filter")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime):
        return json.dumps(format_datetime(value))
    if isinstance(value, date):
        return json.dumps(value.isoformat())
    if isinstance(value, Record):
        return json.dumps(value.id)
    if isinstance(value, list | tuple | dict):
        return json.dumps(json.dumps(value, ensure_ascii=False), ensure_ascii=False)
    raise TypeError(f"cannot use a {type(value).__name__} in a filter")


def build_filter(
    expression: str, params: Mapping[str, object] | None = None, /, **kwargs: object
) -> str:
    """`expression` with every ``{:name}`` replaced by the escaped value of `name`.

    Values come from `params` and/or keyword arguments (keywords win). Raises `KeyError` for a
    placeholder without a value.
    """
    values: dict[str, object] = {**(params or {}), **kwargs}

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"filter placeholder {{:{name}}} has no value")
        return quote(values[name])

    return _PLACEHOLDER.sub(substitute, expression)
