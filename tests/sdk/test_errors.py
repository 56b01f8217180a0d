"""The error tree and the mapping of PocketBase's error bodies."""

from __future__ import annotations

import pytest
from fieldsync import (
    ApiError,
    BadRequest,
    FieldsyncError,
    Forbidden,
    NotFound,
    SubscriptionTimeout,
    TooManyRequests,
    TransportError,
    Unauthorized,
)
from fieldsync.errors import api_error


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, BadRequest),
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (429, TooManyRequests),
        (500, ApiError),
    ],
)
def test_status_picks_the_class(status: int, kind: type[ApiError]) -> None:
    error = api_error(status, {"status": status, "message": "m", "data": {}}, "http://x/y")
    assert type(error) is kind
    assert (error.status, error.message, error.data, error.url) == (status, "m", {}, "http://x/y")
    assert isinstance(error, FieldsyncError)


def test_field_codes() -> None:
    error = api_error(
        400,
        {"message": "Failed", "data": {"id": {"code": "validation_not_unique", "message": "..."}}},
    )
    assert error.field_codes == {"id": "validation_not_unique"}


def test_a_body_that_is_not_pocketbase_json_still_gives_an_error() -> None:
    error = api_error(502, "<html>bad gateway</html>")
    assert (error.status, error.message, error.data) == (502, "HTTP 502", {})


def test_the_tree() -> None:
    assert issubclass(TransportError, FieldsyncError)
    assert issubclass(SubscriptionTimeout, FieldsyncError)
    assert issubclass(SubscriptionTimeout, TimeoutError)
    assert not issubclass(TransportError, ApiError)
