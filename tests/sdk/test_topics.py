"""Realtime subscription strings and message parsing."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest
from fieldsync import Job, RealtimeAction
from fieldsync.topics import parse_client_id, parse_message, subscription_key


def test_plain_keys() -> None:
    assert subscription_key("jobs") == "jobs/*"
    assert subscription_key("jobs", "abc123") == "jobs/abc123"


def test_options_are_url_encoded_json() -> None:
    key = subscription_key("jobs", filter='title = "a b"', expand="assignee")
    base, _, options = key.partition("?options=")
    assert base == "jobs/*"
    assert json.loads(unquote(options)) == {
        "query": {"filter": 'title = "a b"', "expand": "assignee"}
    }


@pytest.mark.parametrize(("collection", "topic"), [("", "*"), ("a/b", "*"), ("jobs", "x?y")])
def test_bad_names_raise(collection: str, topic: str) -> None:
    with pytest.raises(ValueError):
        subscription_key(collection, topic)


def test_messages_of_other_subscriptions_are_ignored() -> None:
    data = json.dumps({"action": "update", "record": {"id": "j1", "title": "T"}})
    event = parse_message("jobs/*", data, "jobs/*", Job)
    assert event is not None
    assert (event.action, event.record.title) == (RealtimeAction.UPDATE, "T")
    assert parse_message("PB_CONNECT", '{"clientId":"c"}', "jobs/*", Job) is None


def test_client_id() -> None:
    assert parse_client_id('{"clientId":"abc"}') == "abc"
    with pytest.raises(ValueError):
        parse_client_id("{}")
