"""Malformed requests through the gateway: always a 4xx in the error shape, never a 5xx, and the
service still answers afterwards."""

from __future__ import annotations

import json

import pytest

GOOD = {"session_id": None, "client_turn_id": "m-1", "message": "hello"}

BODIES: list[tuple[str, bytes, str]] = [
    ("wrong type message", json.dumps({**GOOD, "message": 7}).encode(), "application/json"),
    ("wrong type id", json.dumps({**GOOD, "client_turn_id": ["a"]}).encode(), "application/json"),
    ("wrong type stream", json.dumps({**GOOD, "stream": "true"}).encode(), "application/json"),
    ("wrong type persona", json.dumps({**GOOD, "persona": 1}).encode(), "application/json"),
    ("missing message", json.dumps({"client_turn_id": "m-1"}).encode(), "application/json"),
    ("missing id", json.dumps({"message": "hi"}).encode(), "application/json"),
    ("extra field", json.dumps({**GOOD, "uid": "someone"}).encode(), "application/json"),
    ("empty message", json.dumps({**GOOD, "message": ""}).encode(), "application/json"),
    ("blank message", json.dumps({**GOOD, "message": " \n\t "}).encode(), "application/json"),
    ("long message", json.dumps({**GOOD, "message": "x" * 4001}).encode(), "application/json"),
    ("NUL in message", json.dumps({**GOOD, "message": "a\u0000b"}).encode(), "application/json"),
    ("invalid json", b'{"message": "hi",', "application/json"),
    ("json array", b"[1, 2, 3]", "application/json"),
    ("json null", b"null", "application/json"),
    ("empty body", b"", "application/json"),
    ("invalid utf-8", b'{"client_turn_id": "m", "message": "\xc3\x28"}', "application/json"),
    ("lone surrogate", b'{"client_turn_id": "m", "message": "\\udc00"}', "application/json"),
    ("deep nesting", b'{"message": ' + b"[" * 5000 + b"]" * 5000 + b"}", "application/json"),
    ("form body", b"message=hi&client_turn_id=x", "application/x-www-form-urlencoded"),
    ("text body", b"hello", "text/plain"),
    ("no content type", json.dumps(GOOD).encode(), ""),
    ("oversized body", b'{"message": "' + b"x" * 200_000 + b'"}', "application/json"),
    (
        "path-like session",
        json.dumps({**GOOD, "session_id": "../users/x"}).encode(),
        "application/json",
    ),
    (
        "reserved session",
        json.dumps({**GOOD, "session_id": "__name__"}).encode(),
        "application/json",
    ),
    (
        "huge session id",
        json.dumps({**GOOD, "session_id": "a" * 10_000}).encode(),
        "application/json",
    ),
    ("slash turn id", json.dumps({**GOOD, "client_turn_id": "a/b"}).encode(), "application/json"),
    ("unknown persona", json.dumps({**GOOD, "persona": "../../"}).encode(), "application/json"),
    (
        "missing session",
        json.dumps({**GOOD, "session_id": "0123456789abcdef0123456789abcdef"}).encode(),
        "application/json",
    ),
]


def _assert_error_shape(r, low=400, high=499):
    assert low <= r.status_code <= high, (r.status_code, r.text[:300])
    error = r.json()["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]


@pytest.mark.parametrize(("name", "data", "content_type"), BODIES, ids=[b[0] for b in BODIES])
def test_malformed_turn_bodies(api, user, name, data, content_type):
    headers = {**user.headers}
    if content_type:
        headers["Content-Type"] = content_type
    r = api.post("/v2/chat/turns", content=data, headers=headers)
    _assert_error_shape(r)


@pytest.mark.parametrize(
    "path",
    [
        "/v2/sessions/..%2F..%2Fusers",
        "/v2/sessions/__name__",
        "/v2/sessions/" + "a" * 5000,
        "/v2/sessions/%00",
        "/v2/sessions/0123456789abcdef0123456789abcdef",
        "/v2/sessions/0123456789ABCDEF0123456789abcdef/turns",
        "/v2/sessions/.",
        "/v2/sessions/x/turns?after=abc",
        "/v2/sessions/0123456789abcdef0123456789abcdef/turns?after=-5",
        "/v2/sessions/0123456789abcdef0123456789abcdef/turns?limit=100000",
        "/v2/nothing-here",
        "/v2/chat/turns/extra",
    ],
)
def test_malformed_paths(api, user, path):
    _assert_error_shape(api.get(path, headers=user.headers))


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_wrong_methods(api, user, method):
    r = api.request(method, "/v2/chat/turns", headers=user.headers)
    _assert_error_shape(r)


def test_still_healthy_after_all_that(api, user):
    assert api.get("/healthz").status_code == 200
    r = api.post(
        "/v2/chat/turns", json={**GOOD, "client_turn_id": "after-abuse"}, headers=user.headers
    )
    assert r.status_code == 201
