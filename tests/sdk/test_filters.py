"""build_filter: every value escaped, every placeholder filled, one pass only."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fieldsync import Job, JobStatus, build_filter
from fieldsync.filters import quote


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("plain", '"plain"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("line\nbreak", '"line\\nbreak"'),
        ("é ☃", '"é ☃"'),
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (2.5, "2.5"),
        (None, "null"),
        (JobStatus.IN_PROGRESS, '"in_progress"'),
        (datetime(2026, 11, 25, 10, 0, 0, 123000, tzinfo=UTC), '"2026-11-25 10:00:00.123Z"'),
        (date(2026, 11, 25), '"2026-11-25"'),
        (Job(id="abc123"), '"abc123"'),
        (["a", 1], '"[\\"a\\", 1]"'),
    ],
)
def test_quote(value: object, literal: str) -> None:
    assert quote(value) == literal


def test_placeholders_filled_from_mapping_and_keywords() -> None:
    expression = build_filter("team = {:team} && status = {:s}", {"team": "t1", "s": "x"}, s="new")
    assert expression == 'team = "t1" && status = "new"'


def test_substitution_is_one_pass() -> None:
    assert build_filter("a = {:a} && b = {:b}", a="{:b}", b="x") == 'a = "{:b}" && b = "x"'


def test_a_placeholder_without_value_raises() -> None:
    with pytest.raises(KeyError, match="team"):
        build_filter("team = {:team}")


def test_text_without_placeholders_is_unchanged() -> None:
    assert build_filter("status = 'new'") == "status = 'new'"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), object()])
def test_values_that_cannot_be_literals_raise(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        quote(bad)
