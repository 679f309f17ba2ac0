"""The event consumers (Pub/Sub push) when a dependency fails: a 503, which Pub/Sub delivers
again, and one WARNING per instance per interval with the count; not an exception let through,
which Flask logged as "Exception on / [POST]" with a ~2 KB traceback and no request id, once
per delivery and retry (the log-cost review). An unexpected exception keeps its traceback."""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime

import pytest
from google.api_core.exceptions import NotFound, PermissionDenied

from common import clients, edge, logs
from common.analytics.warehouse import InsertFailed
from common.errors import Unavailable
from common.events import Event
from common.push.models import RELEASE_DUE, Notification, notification_event
from common.push.service import Busy
from scripts.function_client import function_client
from tests.fakes.clock import FakeClock

EVENT = Event(
    "chat.turn.completed",
    datetime(2026, 3, 1, 12, tzinfo=UTC),
    "k",
    "s1",
    {"persona": "elro"},
    subject="k",
)
NOTE = Notification(
    notification_id="5f0c6f4e-3b2a-4c1d-9e8f-7a6b5c4d3e2f",
    uid="u1",
    kind="nudge",
    title="t",
    body="b",
    created_at=datetime(2026, 3, 1, 12, tzinfo=UTC),
)
TURN = EVENT.envelope()
PUSH = notification_event(NOTE).envelope()
RELEASE = {"type": RELEASE_DUE}  # what Cloud Scheduler publishes
HEADERS = {
    "ce-id": "1",
    "ce-source": "//pubsub",
    "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
    "ce-specversion": "1.0",
}


@pytest.fixture(scope="module")
def apps():
    """Loaded before a test's log capture begins (loading a main.py sets up the logging)."""
    return {fn: function_client(fn) for fn in ("analytics_sink", "profile_updater", "push_sender")}


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    clock = FakeClock()
    # raising=False: the test also runs, and fails, on the code before the throttle
    throttle = logs.Throttle(logs.FAILURE_LOG_SECONDS, clock=clock)
    monkeypatch.setattr(edge, "_DELIVERY_FAILED", throttle, raising=False)
    return clock


def _deliver(app, n: int = 1, envelope: dict = TURN) -> list[int]:
    data = base64.b64encode(json.dumps(envelope).encode()).decode()
    message = {"data": data, "messageId": "1", "attributes": {"subject": "k", "type": EVENT.type}}
    body = {"message": message, "subscription": "s"}
    return [app.post("/", json=body, headers=HEADERS).status_code for _ in range(n)]


class Failing:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def submit(self, row):
        raise self.error

    def apply(self, **kw):
        raise self.error

    def begin(self, *args, **kw):  # the push sender's claim of a notification
        raise self.error

    def claim_due(self, **kw):  # its release run's page of due notifications
        raise self.error


@pytest.fixture
def no_other_clients(monkeypatch):
    for port in ("dead_letter", "push_sender", "session_store", "event_publisher"):
        monkeypatch.setattr(clients, port, lambda: None)


@pytest.mark.parametrize(
    ("function", "envelope", "port", "error"),
    [
        ("analytics_sink", TURN, "analytics_writer", InsertFailed("BigQuery did not take rows")),
        ("analytics_sink", TURN, "analytics_writer", TimeoutError("the write took over 50 s")),
        ("profile_updater", TURN, "preference_writer", Unavailable("Storage is unavailable.")),
        ("push_sender", PUSH, "push_store", Unavailable("Storage is unavailable.")),
        # another delivery holds the notification's lease: routine on a Pub/Sub redelivery
        ("push_sender", PUSH, "push_store", Busy(NOTE.notification_id)),
        ("push_sender", RELEASE, "push_store", Unavailable("Storage is unavailable.")),
    ],
)
def test_a_failing_dependency_answers_503_with_one_warning_and_no_traceback(
    apps, clock, monkeypatch, caplog, no_other_clients, function, envelope, port, error
):
    monkeypatch.setattr(clients, port, lambda: Failing(error))
    with caplog.at_level(logging.INFO):
        assert _deliver(apps[function], 50, envelope) == [503] * 50
        clock.advance(logs.FAILURE_LOG_SECONDS)
        assert _deliver(apps[function], 1, envelope) == [503]
    said = [(r.levelname, r.getMessage(), r.count) for r in caplog.records]
    assert [(level, count) for level, _, count in said] == [("WARNING", 1), ("WARNING", 50)]
    assert type(error).__name__ in said[0][1]
    assert not any(r.exc_info for r in caplog.records)


def test_an_unexpected_exception_keeps_its_traceback(apps, clock, monkeypatch, caplog):
    monkeypatch.setattr(clients, "preference_writer", lambda: Failing(KeyError("a bug")))
    with caplog.at_level(logging.INFO):
        assert _deliver(apps["profile_updater"]) == [500]
    assert any(r.exc_info and r.levelname == "ERROR" for r in caplog.records)


def test_a_bug_in_a_release_run_is_not_dropped_as_a_malformed_notification(
    apps, clock, monkeypatch, caplog, no_other_clients
):
    # the parsing's except once wrapped the run too: a TypeError of ours was logged as a bad
    # message, without its traceback, and acknowledged
    error = TypeError("can't compare offset-naive and offset-aware datetimes")
    monkeypatch.setattr(clients, "push_store", lambda: Failing(error))
    with caplog.at_level(logging.INFO):
        assert _deliver(apps["push_sender"], 1, RELEASE) == [500]
    assert any(r.exc_info and r.levelname == "ERROR" for r in caplog.records)
    assert not any("malformed" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "error",
    [NotFound("Table ion:analytics.events not found"), PermissionDenied("updateData denied")],
)
def test_bigquery_refusing_the_sink_is_an_error_for_an_operator_and_still_a_503(
    apps, clock, monkeypatch, caplog, error
):
    # a missing table or a lost IAM grant lasts until someone acts: not only a WARNING like an
    # outage that passes, but an ERROR the needs_operator alert reads, once per interval
    monkeypatch.setattr(clients, "analytics_writer", lambda: Failing(error))
    monkeypatch.setattr(clients, "dead_letter", lambda: None)
    with caplog.at_level(logging.INFO):
        assert _deliver(apps["analytics_sink"], 20) == [503] * 20
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert [(getattr(r, logs.NEEDS_OPERATOR, None), r.count) for r in errors] == [(True, 1)]
    assert type(error).__name__ in errors[0].getMessage()
