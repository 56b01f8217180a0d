from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from sidecar.hub.tokens import TokenError, decode, issue, pick_token

KEY = "k" * 32
OTHER_KEY = "o" * 32


def _encode(claims: dict[str, object], key: str = KEY, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def test_header_wins_over_query_and_cookie() -> None:
    assert pick_token(["Bearer h"], ["q"], "c") == "h"
    assert pick_token([], ["q"], "c") == "q"
    assert pick_token([], [], "c") == "c"
    assert pick_token([], [], None) is None


@pytest.mark.parametrize("header", [["Basic abc"], ["Bearer a", "Bearer b"], ["token"]])
def test_malformed_authorization_header(header: list[str]) -> None:
    with pytest.raises(TokenError):
        pick_token(header, ["valid-in-query"], None)


def test_decode_reads_mercure_claim() -> None:
    token = _encode({"mercure": {"subscribe": ["/a"], "payload": {"team": "T"}}, "exp": 2**31})
    claims = decode(token, KEY)
    assert claims.subscribe == ("/a",)
    assert claims.publish is None
    assert claims.scope("team") == "T"
    assert claims.expires_at == 2**31


def test_decode_reads_namespaced_claim() -> None:
    claims = decode(_encode({"https://mercure.rocks/": {"publish": ["*"]}}), KEY)
    assert claims.publish == ("*",)


def test_audience_is_not_required() -> None:
    assert decode(_encode({"aud": "elsewhere", "mercure": {}}), KEY).subscribe is None


def _alg_none_token() -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'mercure': {'subscribe': ['*']}})}."


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(_encode({"mercure": {}}, OTHER_KEY), id="other key"),
        pytest.param(_alg_none_token(), id="alg none"),
        pytest.param(_encode({"mercure": {}}, KEY * 2, "HS512"), id="HS512"),
        pytest.param(_encode({"mercure": {}, "exp": int(time.time()) - 10}), id="expired"),
        pytest.param(_encode({"mercure": {}, "nbf": int(time.time()) + 86400}), id="not yet valid"),
        pytest.param("not.a.token", id="malformed"),
        pytest.param(_encode({"mercure": "all"}), id="claim not an object"),
        pytest.param(_encode({"mercure": {"subscribe": "*"}}), id="selectors not a list"),
        pytest.param(_encode({"mercure": {"subscribe": ["{a}{b}{c}"]}}), id="ambiguous selector"),
        pytest.param(_encode({"mercure": {"subscribe": ["/t"] * 1001}}), id="too many selectors"),
    ],
)
def test_refused_tokens(token: str) -> None:
    with pytest.raises(TokenError):
        decode(token, KEY)


def test_issue_signs_the_selectors_and_payload_given() -> None:
    token, expires = issue(
        KEY, subject="u1", subscribe=["/a/{x}"], payload={"k": "v"}, ttl_s=600, now=1_000_000
    )
    assert expires == 1_000_600
    claims = jwt.decode(token, KEY, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["sub"] == "u1" and claims["exp"] == 1_000_600
    assert claims["mercure"] == {"subscribe": ["/a/{x}"], "payload": {"k": "v"}}
    decoded = decode(
        issue(KEY, subject="u1", subscribe=["/a/{x}"], payload={"team": "t"}, ttl_s=600)[0], KEY
    )
    assert decoded.expires_at is not None
    assert decoded.expires_at - time.time() == pytest.approx(600, abs=5)
    assert decoded.scope("team") == "t" and decoded.scope(None) is None
