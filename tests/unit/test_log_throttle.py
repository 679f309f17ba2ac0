"""Lines one user or one outage can repeat without bound are throttled (common.logs.Throttle):
the first of a spell logged, then one per key per interval with the count since the last. The
log-cost review: an attacker at 1,000 refused requests a second wrote ~72 GiB of our WARNING
lines a day, one per refusal."""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime

import pytest

from common import edge, logs, outbox
from common.chat import service
from common.errors import RateLimited
from common.events import Event, PublishError
from common.personas import PERSONAS
from common.replies import GenerationError, ReplyRequest
from common.replies.template import TemplateGenerator
from tests.fakes.analysis import make_analysis
from tests.fakes.clock import FakeClock


def test_the_first_occurrence_is_due_then_one_per_interval_with_the_count():
    clock = FakeClock()
    throttle = logs.Throttle(60, clock=clock)
    assert [throttle.due("a") for _ in range(200)] == [1] + [0] * 199
    assert throttle.due("b") == 1  # a key of its own
    clock.advance(60)
    assert throttle.due("a") == 200  # the 199 held back and this one
    clock.advance(600)
    assert throttle.due("a") == 1  # a new spell, nothing held back


def test_the_keys_are_bounded_and_the_least_recently_used_goes_first():
    clock = FakeClock()
    throttle = logs.Throttle(60, max_keys=2, clock=clock)
    assert [throttle.due(k) for k in ("a", "b", "a", "c")] == [1, 1, 0, 1]  # "b" dropped
    assert len(throttle._keys) == 2
    assert throttle.due("b") == 1  # forgotten: a first line again


def test_every_throttle_can_forget_its_keys_as_a_new_instance_would():
    # What each unit test starts from (tests/unit/conftest.py): no line held back by another.
    made_here, module_level = logs.Throttle(60), service._SCRIPTED_CRISIS
    for throttle in (made_here, module_level):
        assert [throttle.due("u1") for _ in range(3)] == [1, 0, 0]
    logs.forget_all_throttles()
    assert made_here.due("u1") == module_level.due("u1") == 1


def _lines(caplog, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if text in r.getMessage()]


def test_a_users_refusals_write_one_line_then_one_a_minute_with_their_count(monkeypatch, caplog):
    clock = FakeClock()
    monkeypatch.setattr(edge, "_REFUSED", logs.Throttle(logs.REFUSAL_LOG_SECONDS, clock=clock))
    budget = edge.request_budget()
    monkeypatch.setattr(budget, "_clock", clock)  # the bucket refills with the same clock
    with caplog.at_level(logging.WARNING, logger=edge.log.name):
        refused = 0
        for _ in range(200 + budget._burst):
            try:
                edge.within_budget("attacker")
            except RateLimited:
                refused += 1
        assert refused == 200
        lines = _lines(caplog, "over their budget")
        assert [r.count for r in lines] == [1]
        assert "attacker" not in caplog.text  # the uid is a key in memory only
        clock.advance(logs.REFUSAL_LOG_SECONDS)
        budget._buckets.clear()  # its burst spent again at once, at the new time
        with pytest.raises(RateLimited):
            for _ in range(int(budget._burst) + 1):
                edge.within_budget("attacker")
    assert [r.count for r in _lines(caplog, "over their budget")] == [1, 200]


# --- A dependency's outage: one line per instance per 30 s ------------------------------------


class _Down:
    costly = False

    def generate(self, req):
        raise GenerationError("Gemini failed: 503")

    stream = generate


class _Outbox:
    def mark_due(self, ids, now):
        pass

    def delete_outbox(self, ids):
        pass


class _PubSub:
    def publish(self, events):
        raise PublishError("Pub/Sub is unavailable")


def _failures(monkeypatch, module, name: str) -> FakeClock:
    """A fake clock for `module.name`, a Throttle (raising=False: the test also runs, and
    fails, on the code before it)."""
    clock = FakeClock()
    throttle = logs.Throttle(logs.FAILURE_LOG_SECONDS, clock=clock)
    monkeypatch.setattr(module, name, throttle, raising=False)
    return clock


def test_a_reply_generator_outage_writes_one_line_then_one_every_30_s(monkeypatch, caplog):
    clock = _failures(monkeypatch, service, "_GENERATOR_FAILED")
    request = ReplyRequest(PERSONAS["lua"], "How do I plan my week?", make_analysis())
    with caplog.at_level(logging.WARNING, logger=service.log.name):
        for _ in range(200):
            degraded: list[str] = []
            _, used = service._generate(request, _Down(), TemplateGenerator(), degraded, None)
            assert used == "TemplateGenerator" and degraded == ["reply_generator"]
        clock.advance(logs.FAILURE_LOG_SECONDS)
        service._generate(request, _Down(), TemplateGenerator(), [], None)
    lines = _lines(caplog, "reply generator failed")
    assert [r.count for r in lines] == [1, 200]


def test_a_pubsub_outage_writes_one_outbox_line_then_one_every_30_s(monkeypatch, caplog):
    clock = _failures(monkeypatch, outbox, "_FAILED")
    events = [Event("test.event", datetime(2026, 12, 5, tzinfo=UTC), "k")]
    deliver = functools.partial(
        outbox.deliver_now, events, publisher=_PubSub(), outbox=_Outbox(), now=datetime.now(UTC)
    )
    with caplog.at_level(logging.WARNING, logger=outbox.log.name):
        assert [deliver() for _ in range(200)] == [False] * 200
        clock.advance(logs.FAILURE_LOG_SECONDS)
        deliver()
    assert [r.count for r in _lines(caplog, "kept in the outbox")] == [1, 200]


# --- The end of an outage: its last failures are told by the next success ---------------------


def test_a_success_tells_the_failures_held_back_once_a_line_is_due():
    clock = FakeClock()
    throttle = logs.Throttle(30, clock=clock)
    log = logging.getLogger("test.resolved")
    told: list[int] = []
    log.addHandler(handler := logging.Handler())
    handler.emit = lambda r: told.append(r.count)  # type: ignore[method-assign]
    try:
        throttle.resolved(log, "a", "nothing failed")  # no spell: no line
        assert [throttle.due("a") for _ in range(5)] == [1, 0, 0, 0, 0]
        throttle.resolved(log, "a", "answered again")  # the last line was 0 s ago: held
        clock.advance(30)
        throttle.resolved(log, "a", "answered again")
        throttle.resolved(log, "a", "answered again")  # told once
        assert told == [4]
        assert throttle.due("a") == 1  # forgotten: a new spell's first line
    finally:
        log.removeHandler(handler)


class _Up:
    costly = False

    def generate(self, req):
        return "A plan, then."

    def stream(self, req):
        yield "A plan, then."


def test_a_short_reply_generator_outage_is_counted_in_full_when_it_answers_again(
    monkeypatch, caplog
):
    # 200 turns failed within 30 s: the line at the first said 1, the other 199 waited for a
    # next failure, maybe hours later, as if the outage had been one failed turn
    clock = _failures(monkeypatch, service, "_GENERATOR_FAILED")
    request = ReplyRequest(PERSONAS["lua"], "How do I plan my week?", make_analysis())
    with caplog.at_level(logging.WARNING, logger=service.log.name):
        for _ in range(200):
            service._generate(request, _Down(), TemplateGenerator(), [], None)
        clock.advance(logs.FAILURE_LOG_SECONDS)
        assert service._generate(request, _Up(), TemplateGenerator(), [], None)[1] == "_Up"
    assert [r.count for r in _lines(caplog, "reply generator failed")] == [1, 199]


class _PubSubBack:
    def publish(self, events):
        pass


def test_a_short_pubsub_outage_is_counted_in_full_when_events_are_published_again(
    monkeypatch, caplog
):
    clock = _failures(monkeypatch, outbox, "_FAILED")
    events = [Event("test.event", datetime(2026, 12, 5, tzinfo=UTC), "k")]

    def deliver(publisher) -> bool:
        return outbox.deliver_now(
            events, publisher=publisher, outbox=_Outbox(), now=datetime.now(UTC)
        )

    with caplog.at_level(logging.WARNING, logger=outbox.log.name):
        assert [deliver(_PubSub()) for _ in range(200)] == [False] * 200
        clock.advance(logs.FAILURE_LOG_SECONDS)
        assert deliver(_PubSubBack())
    assert [r.count for r in _lines(caplog, "kept in the outbox")] == [1, 199]
