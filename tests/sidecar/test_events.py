"""The event contract (sidecar/events.py, docs/events.md): topics, selectors, update shape."""

from __future__ import annotations

import json

import pytest
from fieldsync import Event

from sidecar.events import (
    Principal,
    record_event,
    team_selector,
    topics_for_event,
    update_from_event,
)
from sidecar.hub.topics import TopicSet


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


def test_record_event_becomes_a_private_team_update() -> None:
    snapshot = {"id": "photo0000000001", "job": "job000000000009", "status": "ready"}
    update = update_from_event(record_event(42, "photo.ready", "teamA", snapshot))
    assert update.seq == 42 and update.id == "42" and update.type == "photo.ready"
    assert update.private and update.scope == "teamA"
    assert update.topics == (
        "/teams/teamA/photos/photo0000000001",
        "/teams/teamA/jobs/job000000000009/photos/photo0000000001",
    )
    assert json.loads(update.data) == {
        "type": "photo.ready",
        "seq": 42,
        "team": "teamA",
        "record": snapshot,
    }


def test_published_event_keeps_what_the_publisher_sent() -> None:
    event = Event(
        id="ev1", seq=7, type="chat", topics=["/teams/teamA/chat"], data="hi", uid="m-1", retry=5
    )
    update = update_from_event(event)
    assert (update.id, update.topics, update.data, update.private) == (
        "m-1",
        ("/teams/teamA/chat",),
        "hi",
        False,
    )
    assert update.retry == 5 and update.scope is None


def test_a_principal_payload_names_the_user_never_the_email() -> None:
    payload = Principal(user="u1", team="teamA", role="field", name="Kim").payload()
    assert payload == {"user": "u1", "team": "teamA", "role": "field", "name": "Kim"}
