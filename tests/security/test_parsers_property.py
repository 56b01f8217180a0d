"""Every parser a client reaches, fed whatever hypothesis makes of it: topics, URI templates,
selectors, Last-Event-ID, JWT claims, publish form fields, PocketBase-token shapes. The only
acceptable outcomes are a value or the parser's own refusal; over HTTP, never a 5xx."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sidecar.exchange import looks_like_a_user_token
from sidecar.hub import Hub
from sidecar.hub.errors import HubError
from sidecar.hub.history import History
from sidecar.hub.publish import _draft
from sidecar.hub.templates import TemplateError, compile_template
from sidecar.hub.tokens import TokenError, decode, pick_token
from sidecar.hub.topics import TopicSet
from tests.sidecar.hub.conftest import (
    PUBLISHER_KEY,
    SUBSCRIBER_KEY,
    TEAM_A,
    make_config,
    team_token,
)
from tests.support.outbox import MemoryOutbox

EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEMPLATE_CHARS = st.sampled_from(list("/{}+#./;?&,*:%0123456789abcxyz-_~é²١\x00 \n"))
templates = st.text(TEMPLATE_CHARS, max_size=80)
any_text = st.text(max_size=200)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@EXAMPLES
@given(templates)
def test_templates_compile_or_are_refused(template: str) -> None:
    try:
        pattern = compile_template(template)
    except TemplateError:
        return
    if pattern is not None:
        pattern.fullmatch("/teams/x/jobs/1")


@EXAMPLES
@given(st.lists(templates, max_size=5), st.lists(any_text, max_size=5))
def test_selectors_match_any_topic_without_error(selectors: list[str], topics: list[str]) -> None:
    allowed = TopicSet(selectors)
    allowed.matches_any(topics)
    for topic in topics:
        allowed.may_overlap(topic)


@EXAMPLES
@given(st.dictionaries(st.sampled_from(["mercure", "exp", "sub", "iat", "nbf", "x"]), json_values))
def test_token_claims_decode_or_are_refused(claims: dict[str, Any]) -> None:
    try:
        signed = jwt.encode(claims, SUBSCRIBER_KEY, algorithm="HS256")
    except (TypeError, ValueError):
        return  # not representable as a JWT at all
    try:
        decoded = decode(signed, SUBSCRIBER_KEY)
    except TokenError:
        return
    decoded.scope("team")


@EXAMPLES
@given(st.lists(any_text, max_size=3), st.lists(any_text, max_size=3), st.none() | any_text)
def test_token_lookup_in_a_request(header: list[str], query: list[str], cookie: str | None) -> None:
    with contextlib.suppress(TokenError):
        pick_token(header, query, cookie)


@EXAMPLES
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["topic", "data", "id", "type", "retry", "private", "x"]), any_text
        ),
        max_size=8,
    )
)
def test_publish_forms_make_a_draft_or_a_clear_refusal(form: list[tuple[str, str]]) -> None:
    try:
        _draft(form, 1000)
    except HubError as exc:
        assert 400 <= exc.status < 500 and exc.message


@EXAMPLES
@given(any_text)
def test_pocketbase_token_shapes_are_judged_without_error(token: str) -> None:
    looks_like_a_user_token(token, time.time())


@EXAMPLES
@given(st.text(max_size=40) | st.integers(min_value=0).map(str))
def test_last_event_ids_plan_a_replay_or_none(last_event_id: str) -> None:
    outbox = MemoryOutbox()
    history = History(outbox, size=10, page=5)

    async def plan() -> None:
        for _ in range(3):
            await outbox.emit(TEAM_A)
        history.start(0)
        await history.plan(last_event_id, 3, lambda update: True)

    asyncio.run(plan())


@pytest.fixture(scope="module")
def hub_client() -> Iterator[TestClient]:
    """The hub's routes in-process. HEAD runs every check a GET does, without streaming."""
    outbox = MemoryOutbox()
    hub = outbox.hub = Hub(make_config(), outbox, outbox.append)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await hub.start()
        yield
        await hub.close()

    app = Starlette(routes=hub.routes(), lifespan=lifespan)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@EXAMPLES
@given(
    st.lists(
        st.tuples(st.sampled_from(["topic", "lastEventID", "authorization", "x"]), templates),
        max_size=6,
    ),
    st.sampled_from(["none", "team", "garbage"]),
)
def test_subscribe_requests_never_get_a_5xx(
    hub_client: TestClient, params: list[tuple[str, str]], auth: str
) -> None:
    headers = {
        "none": {},
        "team": {"Authorization": f"Bearer {team_token(TEAM_A)}"},
        "garbage": {"Authorization": "Bearer x.y.z"},
    }[auth]
    response = hub_client.head("/.well-known/mercure", params=params, headers=headers)
    assert response.status_code < 500


@EXAMPLES
@given(st.binary(max_size=300), st.sampled_from(["form", "json", "none"]))
def test_publish_requests_never_get_a_5xx(hub_client: TestClient, body: bytes, kind: str) -> None:
    content_type = {
        "form": "application/x-www-form-urlencoded",
        "json": "application/json",
        "none": "",
    }[kind]
    publisher = jwt.encode({"mercure": {"publish": ["*"]}}, PUBLISHER_KEY, algorithm="HS256")
    response = hub_client.post(
        "/.well-known/mercure",
        content=body,
        headers={"Content-Type": content_type, "Authorization": f"Bearer {publisher}"},
    )
    assert response.status_code < 500
