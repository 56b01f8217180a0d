from __future__ import annotations

from sidecar.hub.topics import TopicSet, has_dot_segment


def _match(topic: str, selector: str) -> bool:
    return TopicSet([selector]).matches(topic)


def test_exact_selector_still_matches_literally() -> None:
    assert _match("/teams/A/../B", "/teams/A/../B")


def test_wildcard_and_sets() -> None:
    assert _match("/anything", "*")
    selectors = TopicSet(["/a/{x}", "/b"])
    assert selectors.matches_any(["/c", "/b"])
    assert not selectors.matches_all(["/a/1", "/c"])
    assert selectors.matches_all(["/a/1", "/b"])


def test_dot_segments() -> None:
    assert has_dot_segment("/a/../b")
    assert has_dot_segment("/a/%2E")
    assert not has_dot_segment("/a/b.c/..d")
    assert not has_dot_segment("https://example.com/x")
