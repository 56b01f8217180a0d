from __future__ import annotations

import pytest

from sidecar.hub.updates import Update


def test_frame_has_id_event_retry_and_one_data_line_per_line() -> None:
    update = Update(
        seq=7,
        id="7",
        topics=("/t",),
        data="a\r\nb\rc\nd",
        private=True,
        type="job.updated",
        retry=3,
    )
    assert (
        update.frame
        == b"id: 7\nevent: job.updated\nretry: 3\ndata: a\ndata: b\ndata: c\ndata: d\n\n"
    )


def test_frame_without_type_or_retry() -> None:
    update = Update(seq=1, id="urn:x", topics=("/t",), data="", private=False)
    assert update.frame == b"id: urn:x\ndata: \n\n"


@pytest.mark.parametrize("fields", [{"id": "a\nb"}, {"id": ""}, {"type": "x\ry"}, {"topics": ()}])
def test_refuses_fields_that_would_break_the_stream(fields: dict[str, object]) -> None:
    values: dict[str, object] = {
        "seq": 1,
        "id": "1",
        "topics": ("/t",),
        "data": "",
        "private": True,
    }
    values.update(fields)
    with pytest.raises(ValueError):
        Update(**values)  # type: ignore[arg-type]
