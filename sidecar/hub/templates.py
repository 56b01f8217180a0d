"""RFC 6570 URI templates (levels 1-4) as Mercure matches them: a template stands for every
string it could expand to, compiled to a regular expression (as yosida95/uritemplate's
`Regexp()`), kept in an LRU cache.

Python's `re` backtracks where Go's RE2 does not, so the expression is built to stay linear:
each template expression matches an unambiguous language, and one whose end is fixed by what
follows it (its characters cannot start the rest) is made atomic. At most one expression may
be ambiguous (quadratic at worst); a template with more is refused with `TemplateError`.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias


class TemplateError(ValueError):
    """A URI template too ambiguous to match in linear time."""


def is_template(selector: str) -> bool:
    """Whether `selector` parses as a URI template (else it is matched as an exact string)."""
    return compile_template(selector) is not None


@lru_cache(maxsize=1024)
def compile_template(selector: str) -> re.Pattern[str] | None:
    """The regex for a URI template, None if `selector` is not one; TemplateError if unsafe."""
    if "{" not in selector:
        return None
    parts = _parse(selector)
    if parts is None:
        return None
    return re.compile(_regex(parts))


_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_RESERVED = frozenset(":/?#[]@!$&'()*+,;=")
_HEX = frozenset(string.hexdigits)
_VARCHAR = frozenset(string.ascii_letters + string.digits + "_")
_NOT_LITERAL = frozenset('"%<>\\^`{|}')
_END = ""


@dataclass(frozen=True, slots=True)
class _Operator:
    first: str
    sep: str
    named: bool
    reserved: bool


_OPS = {
    "": _Operator("", ",", named=False, reserved=False),
    "+": _Operator("", ",", named=False, reserved=True),
    "#": _Operator("#", ",", named=False, reserved=True),
    ".": _Operator(".", ".", named=False, reserved=False),
    "/": _Operator("/", "/", named=False, reserved=False),
    ";": _Operator(";", ";", named=True, reserved=False),
    "?": _Operator("?", "&", named=True, reserved=False),
    "&": _Operator("&", "&", named=True, reserved=False),
}


@dataclass(frozen=True, slots=True)
class _Expression:
    """`{op var1,var2*}`: an operator and, per variable, whether it is exploded."""

    op: _Operator
    explode: tuple[bool, ...]

    def classes(self) -> tuple[frozenset[str], frozenset[str]]:
        """Characters of the first value and of the following ones (yosida95/uritemplate)."""
        any_explode = any(self.explode)
        return self._chars(self.explode[0]), self._chars(any_explode)

    def _chars(self, explode: bool) -> frozenset[str]:
        if self.op.reserved:
            return _UNRESERVED | _RESERVED
        extra = ",=" if self.op.named or explode else ","
        return _UNRESERVED | frozenset(extra)

    @property
    def repeats(self) -> bool:
        """Whether the expansion can hold several values (separated by `op.sep`)."""
        return len(self.explode) > 1 or self.explode[0]

    def alphabet(self) -> frozenset[str]:
        """Every character a match can contain (`%` for percent-encoded triplets)."""
        head, tail = self.classes()
        return head | tail | ({self.op.sep} if self.repeats else set()) | {"%"}


_Part: TypeAlias = str | _Expression


def _parse(template: str) -> list[_Part] | None:
    """Literals and expressions, None if `template` is not a valid URI template."""
    parts: list[_Part] = []
    i, n = 0, len(template)
    literal: list[str] = []
    while i < n:
        char = template[i]
        if char == "{":
            end = template.find("}", i)
            if end < 0:
                return None
            expression = _parse_expression(template[i + 1 : end])
            if expression is None:
                return None
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(expression)
            i = end + 1
        elif char == "%":
            if not _is_triplet(template, i):
                return None
            literal.append(template[i : i + 3])
            i += 3
        elif char in _NOT_LITERAL or ord(char) <= 0x20 or ord(char) == 0x7F:
            return None
        else:
            literal.append(char)
            i += 1
    if literal:
        parts.append("".join(literal))
    return parts


def _is_triplet(text: str, index: int) -> bool:
    digits = text[index + 1 : index + 3]
    return len(digits) == 2 and _HEX.issuperset(digits)


def _parse_expression(body: str) -> _Expression | None:
    operator = body[:1] if body[:1] in _OPS else ""
    op = _OPS[operator]
    body = body[len(operator) :]
    explode: list[bool] = []
    for spec in body.split(","):
        name, star = (spec[:-1], True) if spec.endswith("*") else (spec, False)
        name, _, prefix = name.partition(":")
        if prefix and not (prefix.isdigit() and prefix[0] != "0" and len(prefix) <= 4):
            return None
        if not _is_varname(name):
            return None
        explode.append(star)
    return _Expression(op, tuple(explode))


def _is_varname(name: str) -> bool:
    if not name or name.startswith(".") or name.endswith(".") or ".." in name:
        return False
    i = 0
    while i < len(name):
        if name[i] == "%":
            if not _is_triplet(name, i):
                return False
            i += 3
        elif name[i] in _VARCHAR or name[i] == ".":
            i += 1
        else:
            return False
    return True


def _class(chars: frozenset[str]) -> str:
    """Any run of `chars` and percent-encoded triplets."""
    inner = "".join(re.escape(c) for c in sorted(chars))
    return f"(?:[{inner}]|%[0-9A-Fa-f]{{2}})*"


def _body(expression: _Expression) -> str:
    """The values of an expression, as an unambiguous regex (one way to match any string)."""
    head, tail = expression.classes()
    if not expression.repeats:
        return _class(head)
    sep = expression.op.sep
    if sep in head:  # a separator is also a value character: split at the first one
        if tail <= head:
            return _class(head)
        return f"{_class(head - {sep})}(?:{re.escape(sep)}{_class(tail)})?"
    count = "*" if any(expression.explode) else f"{{0,{len(expression.explode) - 1}}}"
    return f"{_class(head)}(?:{re.escape(sep)}{_class(tail)}){count}"


def _follow(parts: list[_Part]) -> set[str]:
    """Characters that can start what `parts` match (`_END` if they can match nothing)."""
    chars: set[str] = set()
    for part in parts:
        if isinstance(part, str):
            chars.add(part[0])
            return chars
        if part.op.first:
            chars.add(part.op.first)
        else:
            chars |= part.alphabet()
    chars.add(_END)
    return chars


def _regex(parts: list[_Part]) -> str:
    """The whole template; an expression is atomic unless what follows could extend it."""
    pieces: list[str] = []
    ambiguous = 0
    for index, part in enumerate(parts):
        if isinstance(part, str):
            pieces.append(re.escape(part))
            continue
        follow = _follow(parts[index + 1 :])
        first = part.op.first
        clash = not part.alphabet().isdisjoint(follow) or (first and first in follow)
        ambiguous += bool(clash)
        body = _body(part) if clash else f"(?>{_body(part)})"
        pieces.append(f"(?:{re.escape(first)}{body})?" if first else body)
    if ambiguous > 1:
        raise TemplateError("URI template too ambiguous: at most one expression may be")
    return "".join(pieces)
