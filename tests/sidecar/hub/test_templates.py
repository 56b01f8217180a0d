from __future__ import annotations

import random
import re
import string
import time

import pytest

from sidecar.hub.templates import TemplateError, compile_template, is_template
from sidecar.hub.topics import TopicSet


def _match(topic: str, selector: str) -> bool:
    return TopicSet([selector]).matches(topic)


@pytest.mark.parametrize(
    ("template", "topic", "expected"),
    [
        ("https://example.com/books/{id}", "https://example.com/books/1", True),
        ("https://example.com/books/{id}", "https://example.com/books/1/2", False),
        ("https://example.com/books/{id}", "https://example.com/books/", True),
        ("/books/{id}.json", "/books/a.b.json", True),
        ("/search{?q,lang}", "/search?q=cat&lang=en", True),
        ("/search{?q,lang}", "/search?q=cat&lang=en&x=1", False),
        ("/files{/path*}", "/files/a/b/c", True),
        ("/files{/path}", "/files/a/b", False),
        ("/doc{#frag}", "/doc#a/b", True),
        ("/x{.ext}", "/x.json", True),
        ("/m{;p}", "/m;p=1", True),
        ("/q?a=1{&b}", "/q?a=1&b=2", True),
        ("{+all}", "https://example.com/anything?at=all", True),
        ("/teams/{team}/jobs/{job}", "/teams/A/jobs/1", True),
        ("/teams/{team}/jobs/{job}", "/teams/A/jobs/1/photos/2", False),
        ("/a/%41{x}", "/a/%41b", True),
    ],
)
def test_templates_match_like_mercure(template: str, topic: str, expected: bool) -> None:
    assert is_template(template)
    assert _match(topic, template) is expected


@pytest.mark.parametrize(
    "text", ["/books/{id", "/books/id}", "{=x}", "{a b}", "/a/%zz/{x}", "{x:0}"]
)
def test_invalid_templates_are_exact_strings(text: str) -> None:
    assert compile_template(text) is None
    assert _match(text, text)
    assert not _match("/books/1", text)


def test_compiled_templates_are_cached() -> None:
    compile_template.cache_clear()
    for _ in range(3):
        compile_template("/cache/{x}")
    assert compile_template.cache_info().hits == 2


def test_too_ambiguous_template_is_refused() -> None:
    with pytest.raises(TemplateError):
        compile_template("/a/{b}-{c}-{d}")
    assert TopicSet(["/a/{b}-{c}-{d}"]).matches("/a/{b}-{c}-{d}")
    assert not TopicSet(["/a/{b}-{c}-{d}"]).matches("/a/1-2-3")


def test_one_ambiguous_expression_stays_fast() -> None:
    pattern = compile_template("{a}{b}")
    assert pattern is not None
    start = time.perf_counter()
    assert pattern.fullmatch("a" * 1024 + "!") is None
    assert time.perf_counter() - start < 0.5


# --- differential check against the plain (backtracking) construction --------------------

_UNRESERVED = string.ascii_letters + string.digits + "-._~"
_RESERVED = ":/?#[]@!$&'()*+,;="
_OPS = {
    "": ("", ",", False, False),
    "+": ("", ",", False, True),
    "#": ("#", ",", False, True),
    ".": (".", ".", False, False),
    "/": ("/", "/", False, False),
    ";": (";", ";", True, False),
    "?": ("?", "&", True, False),
    "&": ("&", "&", True, False),
}


def _reference_class(reserved: bool, named: bool) -> str:
    chars = _UNRESERVED + (_RESERVED if reserved else "," + ("=" if named else ""))
    return "(?:[" + "".join(re.escape(c) for c in chars) + "]|%[0-9A-Fa-f]{2})*"


def _reference_expression(op: str, explode: list[bool]) -> str:
    first, sep, named, reserved = _OPS[op]
    body = "(" + _reference_class(reserved, named or explode[0])
    if len(explode) > 1 or explode[0]:
        upto = -1 if any(explode) else len(explode) - 1
        body += "(?:" + re.escape(sep) + _reference_class(reserved, named or upto < 0) + ")"
        body += "*" if upto < 0 else f"{{0,{upto}}}"
    body += ")"
    return ("(?:" + re.escape(first) + body + ")" if first else body) + "?"


def _random_template(rng: random.Random) -> tuple[str, str]:
    template, reference = [], []
    for index in range(rng.randint(1, 3)):
        if index % 2 == rng.randint(0, 1):
            literal = "".join(rng.choice("/a.-,=;?&#") for _ in range(rng.randint(1, 2)))
            template.append(literal)
            reference.append(re.escape(literal))
        else:
            op = rng.choice(list(_OPS))
            explode = [rng.random() < 0.3 for _ in range(rng.randint(1, 2))]
            names = ",".join(f"v{i}" + ("*" if e else "") for i, e in enumerate(explode))
            template.append("{" + op + names + "}")
            reference.append(_reference_expression(op, explode))
    return "".join(template), "".join(reference)


def test_matches_the_plain_construction() -> None:
    rng = random.Random(6570)
    compared = 0
    for _ in range(1500):
        template, reference = _random_template(rng)
        if "{" not in template:
            continue
        try:
            pattern = compile_template(template)
        except TemplateError:
            continue
        assert pattern is not None, template
        for _ in range(20):
            topic = "".join(
                rng.choice(["/", "a", ".", "-", ",", "=", ";", "?", "&", "#", "%41"])
                for _ in range(rng.randint(0, 7))
            )
            expected = re.fullmatch(reference, topic) is not None
            assert (pattern.fullmatch(topic) is not None) is expected, (template, topic)
            compared += 1
    assert compared > 10_000
