"""A crisis turn answered but not stored still sends its safety.crisis_detected, straight to
Pub/Sub (best effort): with storage down, past a script's pace or budget. Not while the user's
erasure runs: a user being erased gets no new analytics rows.

The safety-operations review: such turns published nothing, so the crisis counts, the audit
and the re-engagement nudge's 30-day hold-back after a crisis (which reads these events) did
not see them."""

from __future__ import annotations

import logging
import uuid

import pytest

from common import after_answer as after_answer_queue
from common.chat import service
from common.chat.limits import activity_doc, unsalted_hash
from common.chat.models import TurnCreate
from common.config import Settings
from common.events import PublishError, user_key
from tests.fakes import turns
from tests.fakes.turns import NOW
from tests.unit.test_crisis_unstored import (
    CRISIS,
    REPLY,
    DownOnCommit,
    DownOnRead,
    _erased_meanwhile,
    _erasing,
    _erasure_done_after_it_was_sent,
)

UKEY = user_key("u1", Settings().analytics_hmac_key())


class Refusing(turns.Publisher):
    def publish(self, events) -> None:
        raise PublishError("Pub/Sub is down")


class Watching(turns.Publisher):
    """Records what the client had of a streamed reply when the event was published."""

    def __init__(self, sink: turns.Sink) -> None:
        super().__init__()
        self.sink, self.tokens_then = sink, None

    def publish(self, events) -> None:
        self.tokens_then = list(self.sink.tokens)
        super().publish(events)


def _turn(store, publisher=None, after_answer=None, sink=None) -> tuple[dict, list]:
    publisher = publisher or turns.Publisher()
    body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=CRISIS)
    ports = turns.turn_ports(store, publisher=publisher)
    said, _ = service.take_turn(
        uid="u1", body=body, now=NOW, after_answer=after_answer, sink=sink, **ports
    )
    return said, publisher.events


def _at_a_scripts_pace() -> turns.ActivityStore:
    store = turns.ActivityStore()
    sent = [(NOW, unsalted_hash(CRISIS))] * Settings().crisis_turns_minute_max
    store.activity["u1"] = activity_doc(sent, limited_until=None)
    return store


def test_a_crisis_whose_commit_fails_is_answered_and_its_event_published_once():
    said, events = _turn(DownOnCommit())
    assert said["reply"] == REPLY and said["degraded"] == [service.NOT_STORED]  # as before
    (event,) = events
    assert event.type == "safety.crisis_detected"
    assert event.user_key == UKEY  # the user's settings were read: keyed as theirs
    assert event.data["stored"] is False and event.data["detected_by"] == "patterns"
    assert (event.session_id, event.data["turn_id"]) == (said["session_id"], said["turn_id"])


def test_a_crisis_whose_read_fails_is_published_without_the_users_key():
    # Their settings were not read: they may have anonymised analytics.
    said, events = _turn(DownOnRead())
    (event,) = events
    assert event.type == "safety.crisis_detected" and event.user_key is None
    assert event.data["turn_id"].startswith("anon-") and event.data["stored"] is False
    assert said["reply"] == REPLY


def test_a_crisis_at_a_scripts_pace_publishes_its_event():
    said, events = _turn(_at_a_scripts_pace())
    assert said["degraded"] == [service.NOT_STORED]
    assert [e.type for e in events] == ["safety.crisis_detected"]


@pytest.mark.parametrize("store", [_erasing, _erased_meanwhile, _erasure_done_after_it_was_sent])
def test_a_crisis_during_the_users_erasure_publishes_nothing(store):
    said, events = _turn(store())
    assert said["reply"] == REPLY and said["degraded"] == [service.NOT_STORED]
    assert events == []


def test_a_publish_that_fails_leaves_the_reply_as_it_was(caplog):
    with caplog.at_level(logging.WARNING, logger="common.chat.service"):
        said, _ = _turn(DownOnCommit(), publisher=Refusing())
    assert said["reply"] == REPLY and said["degraded"] == [service.NOT_STORED]
    assert "the crisis event of a turn not stored was not published" in caplog.text


def test_the_event_goes_with_the_answer_not_after_it():
    # The lifecycle review: it waited for after the answer (common.after_answer), best effort
    # for work the outbox's relay covers, where nothing covers this one.
    later: list = []
    publisher = turns.Publisher()
    said, _ = _turn(DownOnCommit(), publisher=publisher, after_answer=later.append)
    assert [e.type for e in publisher.events] == ["safety.crisis_detected"]
    assert later == []  # nothing of it left for after the answer
    assert said["reply"] == REPLY


def test_the_event_survives_an_instance_throttled_once_it_answered(monkeypatch):
    # The lifecycle review's repro: an idle instance's CPU is throttled after the response, so
    # the work queued at its close ran 31 s later, past OUTBOX_GRACE_SECONDS, and was dropped;
    # the churn job's crisis hold-back, which reads these events, then missed the user.
    clock = iter([100.0, 131.0])  # queued at 100 s, taken up at 131 s
    monkeypatch.setattr(after_answer_queue, "_clock", lambda: next(clock))
    later: list = []
    said, events = _turn(DownOnCommit(), after_answer=later.append)
    assert said["degraded"] == [service.NOT_STORED]
    # What functions/chat/main.py's _then_deliver queues at the response's close.
    after_answer_queue.later(later, stale_after=Settings().outbox_grace_seconds)()
    assert after_answer_queue.wait_settled()
    assert [e.type for e in events] == ["safety.crisis_detected"]


def test_streamed_the_event_goes_once_the_replys_tokens_are_out():
    sink, later = turns.Sink(), []
    publisher = Watching(sink)
    said, _ = _turn(DownOnCommit(), publisher=publisher, after_answer=later.append, sink=sink)
    assert publisher.tokens_then == [REPLY] and later == []
    assert said["reply"] == REPLY


def test_a_script_past_its_budget_publishes_one_event_a_minute():
    publisher = turns.Publisher()
    for _ in range(3):
        said, _ = service.crisis_past_budget(
            uid="u1",
            body=TurnCreate(client_turn_id=uuid.uuid4().hex, message=CRISIS),
            baseline=turns.read_without_model,
            rank=turns.rank,
            settings=Settings(),
            now=NOW,
            locale=None,
            sink=None,
            publisher=publisher,
        )
        assert said["reply"] == REPLY
    (event,) = publisher.events
    assert event.type == "safety.crisis_detected" and event.user_key is None


def test_a_script_at_its_pace_publishes_one_event_a_minute_a_failed_store_each():
    # The throttle is the script's (scripted_by), not every crisis turn not stored.
    store = _at_a_scripts_pace()
    paced = [event for _ in range(3) for event in _turn(store)[1]]
    assert [e.type for e in paced] == ["safety.crisis_detected"]
    down = DownOnCommit()
    failed = [event for _ in range(3) for event in _turn(down)[1]]
    assert [e.type for e in failed] == ["safety.crisis_detected"] * 3
