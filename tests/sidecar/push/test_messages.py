"""Notification texts and payloads (sidecar/push/messages.py)."""

from __future__ import annotations

import json

import pytest

from sidecar.push.messages import CATALOGUE, MAX_PAYLOAD, STATUS_LABELS, Kind, lang_of, message

JOB = "abcdefghij12345"


def test_every_kind_in_both_languages() -> None:
    for kind in Kind:
        assert set(CATALOGUE[kind]) == {"ko", "en"}
    assert set(STATUS_LABELS["ko"]) == set(STATUS_LABELS["en"])


def test_payload_opens_the_job_and_collapses_per_job() -> None:
    sent = message(Kind.STATUS, "en", job=JOB, job_title="Rims", before="new", after="done")
    assert sent.payload == {
        "title": "Job status changed",
        "body": '"Rims": New → Done',
        "url": f"/#/jobs/{JOB}",
        "tag": f"job-{JOB}",
    }
    assert sent.topic == JOB
    assert sent.urgency == "normal"
    to_office = message(Kind.STATUS, "en", job=JOB, job_title="Rims", office=True)
    assert to_office.payload["url"] == f"/office/#/jobs/{JOB}", "office users open the dashboard"
    assert json.loads(sent.body()) == sent.payload


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_payload_stays_under_3_kb_with_the_longest_titles(kind: Kind, lang: str) -> None:
    longest = "가" * 200  # jobs.title max, 3 bytes a character
    sent = message(
        kind, lang_of(lang), job=JOB, job_title=longest, before="in_progress", after="cancelled"
    )
    assert len(sent.body()) <= MAX_PAYLOAD
    if kind is not Kind.TEST:
        assert "…" in sent.payload["body"]


def test_test_notification_has_no_job() -> None:
    sent = message(Kind.TEST, "ko")
    assert sent.payload == {
        "title": "테스트 알림",
        "body": "이 기기에서 푸시 알림을 받을 수 있습니다.",
        "url": "/",
        "tag": "test",
    }
    assert sent.topic == "test"


def test_language_defaults_to_korean() -> None:
    assert [lang_of(v) for v in ("", None, "ko", "en", "fr")] == ["ko", "ko", "ko", "en", "ko"]
