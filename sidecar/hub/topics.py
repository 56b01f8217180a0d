"""Topics of fieldsync updates and the selectors that match them.

A selector is `*` (every topic), an exact topic, or an RFC 6570 URI template (levels 1-4)
matched as Mercure does (a template stands for every string it could expand to). Templates
compile to regular expressions kept in an LRU cache. Python's `re` backtracks, so a template
is compiled to be linear: an expression whose extent is fixed by what follows it is made
atomic; at most one expression may be ambiguous (quadratic at worst), a template with more is
refused with `TemplateError`. A topic with a `.` or `..` path segment (even percent-encoded)
never matches a template: `/teams/A/{+rest}` cannot be stretched to `/teams/A/../B/jobs/1`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias
from urllib.parse import unquote

WILDCARD = "*"
MAX_TOPIC_LENGTH = 1024
MAX_TOPICS = 1000
"""Topics per subscription or update, as Mercure."""
SUBSCRIPTIONS_SELECTOR = "/.well-known/mercure/subscriptions{/topic}{/subscriber}"
RESERVED_PREFIX = "/.well-known/mercure"

_ID = re.compile(r"[A-Za-z0-9_-]+")


class TemplateError(ValueError):
    """A URI template too ambiguous to match in linear time."""


def team_selector(team: str) -> str:
    """The selector matching every topic of `team` and nothing else."""
    return f"/teams/{_checked(team)}/{{+rest}}"


def topics_for_event(
    collection: str, record: str, team: str, data: Mapping[str, object]
) -> tuple[str, ...]:
    """Topics of an outbox event: its canonical topic first, then alternates.

    jobs: `/teams/{team}/jobs/{job}`; photos: `/teams/{team}/photos/{photo}` and, when the photo
    belongs to a job (`data["job"]`), `/teams/{team}/jobs/{job}/photos/{photo}`.
    """
    base = f"/teams/{_checked(team)}"
    if collection == "jobs":
        return (f"{base}/jobs/{_checked(record)}",)
    if collection == "photos":
        photo = f"{base}/photos/{_checked(record)}"
        job = data.get("job")
        if isinstance(job, str) and job:
            return (photo, f"{base}/jobs/{_checked(job)}/photos/{_checked(record)}")
        return (photo,)
    raise ValueError(f"no topics for collection {collection!r}")


def _checked(record_id: str) -> str:
    if not _ID.fullmatch(record_id):
        raise ValueError(f"invalid id {record_id!r}")
    return record_id


def has_dot_segment(topic: str) -> bool:
    """Whether a path segment of `topic` is `.` or `..`, once percent-decoded."""
    if "." not in topic and "%" not in topic:
        return False
    return any(segment in (".", "..") for segment in unquote(topic).split("/"))


def is_template(selector: str) -> bool:
    """Whether `selector` parses as a URI template (else it is matched as an exact string)."""
    return compile_template(selector) is not None


@lru_cache(maxsize=4096)
def compile_template(selector: str) -> re.Pattern[str] | None:
    """The regex for a URI template, None if `selector` is not one; TemplateError if unsafe."""
    if "{" not in selector:
        return None
    parts = _parse(selector)
    if parts is None:
        return None
    return re.compile(_regex(parts))


def match(topic: str, selector: str) -> bool:
    """Whether `selector` matches `topic`."""
    return TopicSet((selector,)).matches_any((topic,))


class TopicSet:
    """Selectors compiled once, matched against the topics of many updates."""

    __slots__ = ("everything", "exact", "patterns")

    def __init__(self, selectors: Iterable[str]) -> None:
        exact: set[str] = set()
        patterns: list[re.Pattern[str]] = []
        everything = False
        for selector in selectors:
            if selector == WILDCARD:
                everything = True
                continue
            exact.add(selector)
            try:
                pattern = compile_template(selector)
            except TemplateError:
                continue
            if pattern is not None:
                patterns.append(pattern)
        self.everything = everything
        self.exact = frozenset(exact)
        self.patterns = tuple(patterns)

    def matches(self, topic: str) -> bool:
        """Whether one selector matches `topic`."""
        if self.everything or topic in self.exact:
            return True
        if not self.patterns or has_dot_segment(topic):
            return False
        return any(pattern.fullmatch(topic) for pattern in self.patterns)

    def matches_any(self, topics: Iterable[str]) -> bool:
        """Whether a selector matches one of `topics` (subscribing, receiving)."""
        return any(self.matches(topic) for topic in topics)

    def matches_all(self, topics: Iterable[str]) -> bool:
        """Whether every one of `topics` is matched by a selector (publishing)."""
        return all(self.matches(topic) for topic in topics)


# --- RFC 6570 templates -------------------------------------------------------------------

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
        return len(self.explode) > 1 or self.explode[0]

    def alphabet(self) -> frozenset[str]:
        head, tail = self.classes()
        return head | tail | ({self.op.sep} if self.repeats else set()) | {"%"}


_Part: TypeAlias = str | _Expression


def _parse(template: str) -> list[_Part] | None:
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
    inner = "".join(re.escape(c) for c in sorted(chars))
    return f"(?:[{inner}]|%[0-9A-Fa-f]{{2}})*"


def _body(expression: _Expression) -> str:
    head, tail = expression.classes()
    if not expression.repeats:
        return _class(head)
    sep = expression.op.sep
    if sep in head:
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
