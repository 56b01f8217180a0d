"""Topics of fieldsync updates and the selectors that match them.

A selector is `*` (every topic), an exact topic, or a URI template (see `templates`). A topic
with a `.` or `..` path segment (even percent-encoded) never matches a template:
`/teams/A/{+rest}` cannot be stretched to `/teams/A/../B/jobs/1`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote

from sidecar.hub.templates import TemplateError, compile_template

WILDCARD = "*"
MAX_TOPIC_LENGTH = 1024
MAX_TOPICS = 1000
"""Topics per subscription or update, as Mercure."""
SUBSCRIPTIONS_SELECTOR = "/.well-known/mercure/subscriptions{/topic}{/subscriber}"
RESERVED_PREFIX = "/.well-known/mercure"

_ID = re.compile(r"[A-Za-z0-9_-]+")


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
