"""Backoff maths: exponential ceiling, capped, with bounded jitter."""

from __future__ import annotations

import pytest
from fieldsync import Backoff


def test_ceiling_doubles_up_to_the_maximum() -> None:
    backoff = Backoff(initial=0.5, maximum=4, multiplier=2)
    assert [backoff.ceiling(n) for n in range(6)] == [0.5, 1, 2, 4, 4, 4]
    assert backoff.ceiling(10_000) == 4  # no overflow after a long outage


def test_jitter_stays_between_the_floor_and_the_ceiling() -> None:
    backoff = Backoff(initial=1, maximum=8, jitter=0.5)
    assert backoff.delay(3, 0.0) == 4
    assert backoff.delay(3, 1.0) == 8
    assert backoff.delay(3, 0.5) == 6
    assert Backoff(initial=1, jitter=0).delay(0, 0.9) == 1


@pytest.mark.parametrize(
    "kwargs",
    [{"initial": -1}, {"initial": 2, "maximum": 1}, {"multiplier": 0.5}, {"jitter": 1.5}],
)
def test_invalid_settings_raise(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(**kwargs)
