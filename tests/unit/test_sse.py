"""A stream that fails after its first event still tells the client the status and when to retry."""

from __future__ import annotations

import json
import logging

import pytest

from common.errors import ApiError, NotFound, RateLimited, Unavailable
from common.sse import stream_events


def _events(fail: BaseException) -> list[tuple[str, dict]]:
    def work(sink):
        sink.token("Hel")
        raise fail

    response = stream_events(work)
    assert response.status_code == 200  # a token went out first
    out = []
    for block in response.get_data(as_text=True).strip().split("\n\n"):
        event, data = block.split("\n")
        out.append((event.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return out


@pytest.mark.parametrize(
    ("fail", "status", "retry_after"),
    [
        (RateLimited("Slow down.", retry_after=30), 429, 30),  # limited at the commit
        (Unavailable("The store is down."), 503, 5),
        (NotFound("Gone.", code="session_not_found"), 404, None),
    ],
)
def test_an_error_after_tokens_carries_its_status_and_retry_after(fail, status, retry_after):
    token, (kind, data) = _events(fail)
    assert token == ("token", {"text": "Hel"})
    assert kind == "error"
    expected = {"code": fail.code, "message": fail.message, "status": status}
    if retry_after is not None:
        expected["retry_after"] = retry_after
    assert data == {"error": expected}


def test_a_dependency_failure_after_tokens_is_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="common.http"):
        _events(Unavailable("The store is down."))
    assert any("The store is down." in r.getMessage() for r in caplog.records)


def test_an_unexpected_failure_after_tokens_is_a_500_without_details(caplog):
    with caplog.at_level(logging.ERROR, logger="common.http"):
        _, (kind, data) = _events(RuntimeError("secret internals"))
    assert kind == "error" and "secret" not in json.dumps(data)
    assert data["error"]["code"] == "internal" and data["error"]["status"] == 500
    assert "retry_after" not in data["error"]
    assert any(r.exc_info for r in caplog.records)  # the details go to the log


def test_an_error_before_the_first_token_is_an_ordinary_error():
    def work(sink):
        raise RateLimited("Slow down.", retry_after=30)

    with pytest.raises(ApiError) as e:
        stream_events(work)
    assert e.value.status == 429
