"""Work left for after an answer: run once the response is closed, off the request's thread,
in its log fields; a failure logged; past the cap, dropped."""

from __future__ import annotations

import threading

import flask
import pytest

from common import after_answer, logs
from common.analysis import safety
from common.http import after_sending, handle_errors, json_response


def test_it_runs_after_the_close_off_the_request_thread_in_its_fields(caplog):
    app = flask.Flask(__name__)
    seen: list[tuple[dict, str]] = []

    def fail() -> None:
        raise RuntimeError("after")

    def note() -> None:
        seen.append((logs.bound(), threading.current_thread().name))

    @app.get("/")
    @handle_errors
    def answer() -> flask.Response:
        return after_sending(json_response({"ok": True}), [fail, note])

    with caplog.at_level("ERROR", logger="common.after_answer"):
        r = app.test_client().get("/", headers={"X-Cloud-Trace-Context": f"{'a' * 32}/1;o=1"})
        assert r.get_json() == {"ok": True}
        assert after_answer.wait_settled() and seen == []  # nothing queued before the close
        r.close()
        assert after_answer.wait_settled()
    ((fields, thread),) = seen  # the next piece ran too, in the request's log fields
    assert fields["request_id"] == "a" * 32 and thread.startswith("after-answer")
    assert [rec.getMessage() for rec in caplog.records] == ["work after the answer failed"]


def test_queued_work_keeps_the_log_fields_not_the_turns_message():
    # The lifecycle review: queued work ran in a copy of the whole request context, which held
    # the crisis scan's verdicts keyed by the user's message until it ran: on an idle instance
    # whose CPU is throttled, up to MAX_PENDING users' messages in memory.
    seen: list[tuple[dict, object]] = []
    token = logs.bind(request_id="r-1")
    try:
        with safety.scanned_once():  # create_turn's decorator
            safety.assess_safety("my secret message about my divorce")
            close = after_answer.later(  # _then_deliver, inside the handler
                [lambda: seen.append((logs.bound(), safety._TURN_VERDICTS.get()))]
            )
    finally:
        logs.unbind(token)
    close()  # the WSGI close, once the handler has returned
    assert after_answer.wait_settled()
    ((fields, verdicts),) = seen
    assert fields == {"request_id": "r-1"} and verdicts is None


def test_past_the_cap_work_is_dropped_and_logged(monkeypatch: pytest.MonkeyPatch, caplog):
    monkeypatch.setattr(after_answer, "MAX_PENDING", 1)
    release, ran = threading.Event(), []
    after_answer.later([release.wait])()  # holds the one place
    with caplog.at_level("WARNING", logger="common.after_answer"):
        after_answer.later([lambda: ran.append(1)])()
    release.set()
    assert after_answer.wait_settled()
    assert ran == []
    assert [rec.getMessage() for rec in caplog.records] == [
        "work after the answer dropped: 1 already waiting"
    ]


def test_an_empty_list_queues_nothing() -> None:
    after_answer.later([])()
    assert after_answer.wait_settled(timeout=0)


def test_the_list_is_read_when_the_answer_is_closed_not_before() -> None:
    """A streamed turn adds its delivery after the response (and its close callback) exist."""
    work: list = []
    close = after_answer.later(work)
    ran: list[int] = []
    work.append(lambda: ran.append(1))
    close()
    assert after_answer.wait_settled() and ran == [1]


def test_work_that_waited_past_its_staleness_is_dropped(monkeypatch: pytest.MonkeyPatch, caplog):
    clock = iter([100.0, 131.0])  # queued at 100 s, taken up at 131 s: past 30
    monkeypatch.setattr(after_answer, "_clock", lambda: next(clock))
    ran: list[int] = []
    with caplog.at_level("WARNING", logger="common.after_answer"):
        after_answer.later([lambda: ran.append(1)], stale_after=30)()
        assert after_answer.wait_settled()
    assert ran == []
    assert [r.getMessage() for r in caplog.records] == [
        "work after the answer dropped: it waited too long"
    ]
