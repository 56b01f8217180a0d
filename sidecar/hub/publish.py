"""`POST /.well-known/mercure`: a publisher's form-encoded update goes to the outbox.

The injected `append` stores the update durably and returns it with its `seq`; the outbox
consumer dispatches it later, so the publisher never waits on fan-out.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from sidecar.hub.config import HubConfig
from sidecar.hub.errors import HubError, bad_request, forbidden, unauthorized
from sidecar.hub.history import EARLIEST
from sidecar.hub.tokens import Claims, TokenError, decode, pick_token
from sidecar.hub.topics import (
    MAX_TOPIC_LENGTH,
    MAX_TOPICS,
    RESERVED_PREFIX,
    TopicSet,
    has_dot_segment,
)
from sidecar.hub.updates import Update, UpdateDraft, check_field

Append = Callable[[UpdateDraft], Awaitable[Update]]

_FORM = "application/x-www-form-urlencoded"

logger = logging.getLogger(__name__)


class PublishEndpoint:
    """Checks the publisher and the form, then hands the draft to `append`."""

    def __init__(self, config: HubConfig, append: Append) -> None:
        self._config = config
        self._append = append

    async def handle(self, request: Request) -> Response:
        try:
            claims = self._authorize(request)
            draft = _draft(await self._form(request), self._config.max_data_bytes)
            if not TopicSet(claims.publish or ()).matches_all(draft.topics):
                raise forbidden("not allowed to publish to every topic of this update")
        except HubError as exc:
            return exc.response()
        update = await self._append(draft)
        logger.info(
            "update published",
            extra={"seq": update.seq, "event_id": update.id, "topic": update.topics},
        )
        return PlainTextResponse(update.id)

    def _authorize(self, request: Request) -> Claims:
        try:
            token = pick_token(
                request.headers.getlist("authorization"),
                request.query_params.getlist("authorization"),
                None,  # no cookie: a cross-site form could carry it
            )
            if token is None:
                raise unauthorized("a publisher token is required")
            claims = decode(token, self._config.publisher_key)
        except TokenError as exc:
            raise unauthorized(str(exc), invalid_token=True) from exc
        if not claims.publish:
            raise forbidden('the token has no "mercure.publish" selectors')
        return claims

    async def _form(self, request: Request) -> list[tuple[str, str]]:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != _FORM:
            raise bad_request(f"the body must be {_FORM}")
        limit = 3 * self._config.max_data_bytes + 65_536
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise bad_request("request body too large")
        try:
            return parse_qsl(
                body.decode(),
                keep_blank_values=True,
                errors="strict",
                max_num_fields=MAX_TOPICS + 8,
            )
        except ValueError as exc:
            raise bad_request("malformed form body") from exc


def _draft(form: list[tuple[str, str]], max_data_bytes: int) -> UpdateDraft:
    fields: dict[str, list[str]] = {}
    for name, value in form:
        fields.setdefault(name, []).append(value)
    topics = tuple(fields.get("topic", ()))
    if not topics:
        raise bad_request('missing "topic" parameter')
    for topic in topics:
        _check_topic(topic)
    data = _first(fields, "data") or ""
    if len(data.encode()) > max_data_bytes:
        raise bad_request(f'"data" is larger than {max_data_bytes} bytes')
    event_id = _first(fields, "id") or None
    event_type = _first(fields, "type") or None
    try:
        check_field("id", event_id)
        check_field("type", event_type)
    except ValueError as exc:
        raise bad_request(str(exc)) from exc
    if event_id is not None:
        _check_id(event_id)
    return UpdateDraft(
        topics=topics,
        data=data,
        private="private" in fields,
        id=event_id,
        type=event_type,
        retry=_retry(_first(fields, "retry")),
    )


def _first(fields: dict[str, list[str]], name: str) -> str | None:
    values = fields.get(name)
    return values[0] if values else None


def _check_topic(topic: str) -> None:
    if not topic or len(topic) > MAX_TOPIC_LENGTH:
        raise bad_request(f"a topic must have 1 to {MAX_TOPIC_LENGTH} characters")
    if RESERVED_PREFIX in topic:
        raise forbidden(f"topics under {RESERVED_PREFIX} are reserved to the hub")
    if has_dot_segment(topic):
        raise bad_request(f"topic {topic!r} has a '.' or '..' segment")


def _check_id(event_id: str) -> None:
    if event_id.startswith("#"):
        raise bad_request('"id" must not start with "#"')
    if _is_number(event_id) or event_id == EARLIEST:
        raise bad_request('"id" must not be all digits (reserved for sequence ids) or "earliest"')


def _retry(value: str | None) -> int | None:
    if not value:
        return None
    if not _is_number(value):
        raise bad_request('"retry" must be a non-negative integer')
    return int(value)


def _is_number(value: str) -> bool:
    return value.isascii() and value.isdigit()
