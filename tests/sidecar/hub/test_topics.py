from __future__ import annotations

import pytest

from sidecar.hub.topics import TopicSet, has_dot_segment, team_selector, topics_for_event


def _match(topic: str, selector: str) -> bool:
    return TopicSet([selector]).matches(topic)


def test_job_topic() -> None:
    assert topics_for_event("jobs", "job1", "teamA", {}) == ("/teams/teamA/jobs/job1",)


def test_photo_topics_with_and_without_job() -> None:
    assert topics_for_event("photos", "p1", "teamA", {"job": "job1"}) == (
        "/teams/teamA/photos/p1",
        "/teams/teamA/jobs/job1/photos/p1",
    )
    assert topics_for_event("photos", "p1", "teamA", {"job": ""}) == ("/teams/teamA/photos/p1",)


@pytest.mark.parametrize(
    ("collection", "record", "team"),
    [("users", "u1", "t"), ("jobs", "../x", "t"), ("jobs", "j", "t/../u"), ("jobs", "", "t")],
)
def test_refuses_unknown_collection_and_path_like_ids(
    collection: str, record: str, team: str
) -> None:
    with pytest.raises(ValueError):
        topics_for_event(collection, record, team, {})


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("/teams/A/jobs/1", True),
        ("/teams/A/jobs/1/photos/2", True),
        ("/teams/A/", True),
        ("/teams/A", False),
        ("/teams/Ax/jobs/1", False),
        ("/teams/B/jobs/1", False),
        ("/teams/A/../B/jobs/1", False),
        ("/teams/A/./jobs/1", False),
        ("/teams/A/jobs/..", False),
        ("/teams/A/%2e%2e/B/jobs/1", False),
        ("/teams/A/x%2F..%2FB", False),
        ("/teams/A/jobs/1.json", True),
    ],
)
def test_team_selector_cannot_be_stretched(topic: str, expected: bool) -> None:
    assert _match(topic, team_selector("A")) is expected


def test_exact_selector_still_matches_literally() -> None:
    assert _match("/teams/A/../B", "/teams/A/../B")


def test_wildcard_and_sets() -> None:
    assert _match("/anything", "*")
    selectors = TopicSet(["/a/{x}", "/b"])
    assert selectors.matches_any(["/c", "/b"])
    assert not selectors.matches_all(["/a/1", "/c"])
    assert selectors.matches_all(["/a/1", "/b"])


def test_dot_segments() -> None:
    assert has_dot_segment("/a/../b")
    assert has_dot_segment("/a/%2E")
    assert not has_dot_segment("/a/b.c/..d")
    assert not has_dot_segment("https://example.com/x")
