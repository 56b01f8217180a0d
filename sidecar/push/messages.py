"""What a notification says, in Korean and English from one catalogue, and how it is sent.

The payload the page's service worker receives is JSON `{title, body, url, tag}`, at most
`MAX_PAYLOAD` bytes: `url` opens the job in the app (`/#/jobs/<job>` on the phone,
`/office/#/jobs/<job>` on the dashboard), `tag` makes a newer
notification about a job replace the older one on the device. The push service gets a `Topic`
(the job id: an undelivered message about a job is replaced by a newer one) and an `Urgency`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

Lang = Literal["ko", "en"]
DEFAULT_LANG: Lang = "ko"
MAX_PAYLOAD = 3072
MAX_TITLE_CHARS = 80
"""A job title is shortened to this in a message (Hangul is 3 bytes a character)."""
_TOPIC = re.compile(r"[A-Za-z0-9_-]{1,32}")


class Kind(StrEnum):
    """What a notification is about."""

    PHOTO = "photo"
    ASSIGNED = "assigned"
    STATUS = "status"
    TEST = "test"


CATALOGUE: dict[Kind, dict[Lang, tuple[str, str]]] = {
    Kind.PHOTO: {
        "ko": ("새 사진", '"{job}"에 새 사진이 올라왔습니다.'),
        "en": ("New photo", 'A new photo was added to "{job}".'),
    },
    Kind.ASSIGNED: {
        "ko": ("작업 배정", '"{job}" 작업이 배정되었습니다.'),
        "en": ("Job assigned", '"{job}" was assigned to you.'),
    },
    Kind.STATUS: {
        "ko": ("작업 상태 변경", '"{job}": {before} → {after}'),
        "en": ("Job status changed", '"{job}": {before} → {after}'),
    },
    Kind.TEST: {
        "ko": ("테스트 알림", "이 기기에서 푸시 알림을 받을 수 있습니다."),
        "en": ("Test notification", "Push notifications work on this device."),
    },
}
"""(title, body) per kind and language; the body's `{job}`, `{before}`, `{after}` are filled in."""

STATUS_LABELS: dict[Lang, dict[str, str]] = {
    "ko": {
        "new": "신규",
        "assigned": "배정됨",
        "in_progress": "진행 중",
        "done": "완료",
        "cancelled": "취소됨",
    },
    "en": {
        "new": "New",
        "assigned": "Assigned",
        "in_progress": "In progress",
        "done": "Done",
        "cancelled": "Cancelled",
    },
}

URGENCY: dict[Kind, str] = {
    Kind.PHOTO: "normal",
    Kind.ASSIGNED: "high",
    Kind.STATUS: "normal",
    Kind.TEST: "high",
}


def lang_of(value: object) -> Lang:
    """A user's `lang` field as a catalogue language (empty or unknown: Korean)."""
    return "en" if value == "en" else DEFAULT_LANG


@dataclass(frozen=True, slots=True)
class Message:
    """One notification for one user: the payload, and the push service's Topic and Urgency."""

    payload: dict[str, str]
    topic: str
    urgency: str

    def body(self) -> bytes:
        """The payload as the bytes that are encrypted and sent."""
        return encode(self.payload)


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def message(
    kind: Kind,
    lang: Lang,
    *,
    job: str = "",
    job_title: str = "",
    before: str = "",
    after: str = "",
    office: bool = False,
) -> Message:
    """The message of `kind` in `lang` about a job (`job` id and title; statuses for STATUS).
    Its `url` opens the job on the recipient's screen: the office dashboard for `office`
    users, the phone app otherwise."""
    title, body = CATALOGUE[kind][lang]
    labels = STATUS_LABELS[lang]
    body = body.format(
        job=_shorten(job_title.strip() or job),
        before=labels.get(before, before),
        after=labels.get(after, after),
    )
    screen = "/office/" if office else "/"
    url = f"{screen}#/jobs/{job}" if job else screen
    tag = f"job-{job}" if job else str(kind)
    payload = {"title": title, "body": body, "url": url, "tag": tag}
    if len(encode(payload)) > MAX_PAYLOAD:  # only with ids no PocketBase record has
        raise ValueError("notification payload too large")
    topic = job if _TOPIC.fullmatch(job) else str(kind)
    return Message(payload, topic, URGENCY[kind])


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_TITLE_CHARS else text[: MAX_TITLE_CHARS - 1] + "…"
