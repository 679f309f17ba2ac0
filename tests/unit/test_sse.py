"""A stream that fails after its first event still tells the client the status and when to retry,
and the log the request it failed and that status."""

from __future__ import annotations

import io
import json
import logging
import threading

import flask
import httpx
import pytest

from common import logs
from common.chat import service
from common.chat.models import TurnCreate
from common.config import Settings
from common.errors import ApiError, NotFound, RateLimited, Unavailable
from common.http import handle_errors
from common.replies import TemplateGenerator
from common.sse import stream_events
from tests.fakes import turns


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


@pytest.mark.parametrize(
    ("fail", "status"),
    [(Unavailable("The store is down.", code="storage_unavailable"), 503), (KeyError("x"), 500)],
)
def test_a_failure_after_tokens_is_logged_with_the_requests_fields_and_its_status(fail, status):
    """The body is read after handle_errors unbound the request's log fields: the line had no
    request id, trace or user key, and nothing said the 200 was a 5xx (the observability review)."""
    trace = "0af7651916cd43dd8448eb211c80319c"
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.formatter())
    handler.addFilter(logs.RequestFields())
    app = flask.Flask(__name__)

    @app.route("/")
    @handle_errors
    def view() -> flask.Response:
        logs.bind(user_key="key-1")  # as common.edge.authenticate binds it

        def work(sink):
            sink.token("Hel")
            raise fail

        return stream_events(work)

    http_log = logging.getLogger("common.http")
    http_log.addHandler(handler)
    try:
        response = app.test_client().get("/", headers={"X-Cloud-Trace-Context": f"{trace}/1;o=1"})
        assert response.status_code == 200 and "event: error" in response.get_data(as_text=True)
    finally:
        http_log.removeHandler(handler)
    (line,) = [json.loads(text) for text in out.getvalue().splitlines()]
    assert line["request_id"] == trace and line[logs.TRACE_FIELD].endswith(f"/traces/{trace}")
    assert line["user_key"] == "key-1"
    assert line[logs.STREAMED_STATUS] == status


@pytest.mark.parametrize("hang_up", [False, True])
@pytest.mark.parametrize(
    ("fail", "status"), [(Unavailable("The store is down."), 503), (KeyError("x"), 500)]
)
def test_a_failure_after_tokens_is_logged_once_even_if_the_client_hung_up(
    caplog, fail, status, hang_up
):
    """The SSE review: a client that left after the first token (app backgrounded, network
    switch) closed the response before it read the `error` event, and only reading it logged the
    failure: no ERROR line or stack trace, no warning, nothing for streamed-server-errors."""
    failing = threading.Event()

    def work(sink):
        sink.token("Hel")
        failing.wait(5)  # fails once the client has had its first token
        raise fail

    app = flask.Flask(__name__)
    with caplog.at_level(logging.WARNING, logger="common.http"):
        with app.test_request_context():
            response = stream_events(work)
        body = iter(response.response)
        assert next(body).startswith("event: token")
        failing.set()
        if not hang_up:
            assert next(body).startswith("event: error")
        response.close()  # what gunicorn does when it cannot write to a client that is gone
    (record,) = caplog.records
    assert getattr(record, logs.STREAMED_STATUS) == status
    assert bool(record.exc_info) == (status == 500)  # a bug's stack trace, for Error Reporting


def test_a_failure_before_the_first_token_is_logged_once_as_an_ordinary_response(caplog):
    app = flask.Flask(__name__)

    @app.route("/")
    @handle_errors
    def view() -> flask.Response:
        def work(sink):
            raise Unavailable("The store is down.")

        return stream_events(work)

    with caplog.at_level(logging.WARNING, logger="common.http"):
        assert app.test_client().get("/").status_code == 503  # its status counts as a 5xx
    (record,) = caplog.records
    assert not hasattr(record, logs.STREAMED_STATUS)


class LineBreakingGenerator:
    """A reply generator whose text holds the line breaks JSON leaves raw (U+2028, U+2029,
    U+0085): a model's reply can."""

    costly = False

    def generate(self, request) -> str:
        return "".join(self.stream(request))

    def stream(self, request):
        yield "First line.\u2028"
        yield "Second.\u2029Third.\x85Last."


def test_a_reply_with_unicode_line_breaks_keeps_each_event_on_one_line():
    """The client review: httpx's iter_lines() (the e2e tests' SSE reader) cut a `data:` line
    at a raw U+2028 into two lines, neither of them JSON. str.splitlines() splits there too."""

    def work(sink):
        response, _ = service.take_turn(
            uid="u1",
            body=TurnCreate(client_turn_id="t1", message="help me plan my week", stream=True),
            store=turns.MemoryStore(),
            outbox=turns.Outbox(),
            publisher=turns.Publisher(),
            analyze=turns.analyze_offline,
            baseline=turns.read_without_model,
            rank=turns.rank,
            generator=LineBreakingGenerator(),
            fallback=TemplateGenerator(),
            settings=Settings(),
            now=turns.NOW,
            sink=sink,
        )
        return response

    body = stream_events(work).get_data()
    reply = "First line.\u2028Second.\u2029Third.\x85Last."
    for lines in (
        list(httpx.Response(200, content=body).iter_lines()),
        body.decode().splitlines(),
    ):
        events = [line.removeprefix("event: ") for line in lines if line.startswith("event: ")]
        data = [
            json.loads(line.removeprefix("data: ")) for line in lines if line.startswith("data:")
        ]
        assert events == ["token", "token", "final"] and len(data) == len(events)
        assert "".join(d["text"] for d in data[:-1]) == reply  # the same text, decoded
        assert data[-1]["reply"] == reply
