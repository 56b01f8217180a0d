"""Topics and the selectors that match them.

A selector is `*` (every topic), an exact topic, or a URI template (see `templates`). A topic
with a `.` or `..` path segment (even percent-encoded) never matches a template:
`/teams/A/{+rest}` cannot be stretched to `/teams/A/../B/jobs/1`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote

from sidecar.hub.templates import TemplateError, compile_template

WILDCARD = "*"
MAX_TOPIC_LENGTH = 1024
MAX_TOPICS = 1000
"""Topics per subscription or update, as Mercure."""
SUBSCRIPTIONS_SELECTOR = "/.well-known/mercure/subscriptions{/topic}{/subscriber}"
RESERVED_PREFIX = "/.well-known/mercure"


def has_dot_segment(topic: str) -> bool:
    """Whether a path segment of `topic` is `.` or `..`, once percent-decoded."""
    if "." not in topic and "%" not in topic:
        return False
    return any(segment in (".", "..") for segment in unquote(topic).split("/"))


def literal_prefix(template: str) -> str:
    """What every expansion of `template` starts with: the text before its first expression."""
    return template.split("{", 1)[0]


class TopicSet:
    """Selectors compiled once, matched against the topics of many updates."""

    __slots__ = ("everything", "exact", "patterns", "prefixes")

    def __init__(self, selectors: Iterable[str]) -> None:
        exact: set[str] = set()
        patterns: list[re.Pattern[str]] = []
        prefixes: set[str] = set()
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
                prefixes.add(literal_prefix(selector))
        self.everything = everything
        self.exact = frozenset(exact)
        self.patterns = tuple(patterns)
        self.prefixes = tuple(prefixes)
        """The literal start of each template selector: every topic it matches begins so."""

    def matches(self, topic: str) -> bool:
        """Whether one selector matches `topic`."""
        if self.everything or topic in self.exact:
            return True
        if not self.patterns or has_dot_segment(topic):
            return False
        return any(pattern.fullmatch(topic) for pattern in self.patterns)

    def may_overlap(self, template: str) -> bool:
        """Whether some topic matching `template` could match a selector, judged without
        compiling `template`: the literal starts of the two must agree as far as both go.
        Cheap and coarse (delivery still matches every update's topics against the
        selectors); it turns away templates that cannot concern the caller."""
        if self.everything:
            return True
        start = literal_prefix(template)
        return any(start.startswith(prefix) or prefix.startswith(start) for prefix in self.prefixes)

    def matches_any(self, topics: Iterable[str]) -> bool:
        """Whether a selector matches one of `topics` (subscribing, receiving)."""
        return any(self.matches(topic) for topic in topics)

    def matches_all(self, topics: Iterable[str]) -> bool:
        """Whether every one of `topics` is matched by a selector (publishing)."""
        return all(self.matches(topic) for topic in topics)
