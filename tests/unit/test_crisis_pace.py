"""A crisis is answered past every per-user limit, but a script sending crisis words does not
get an anomaly event for each of them, nor, past a pace no person types at, a stored turn.

The abuse review's probe: 100 copies of "I want to kill myself" in a minute, each in a new
session: 100 turns stored, 100 crisis events, 97 anomaly events, 1,194 writes."""

from __future__ import annotations

from datetime import timedelta

from common.chat import service
from common.chat.limits import activity_doc, unsalted_hash
from common.config import Settings
from common.safety import crisis_reply, resources_for
from tests.fakes import turns
from tests.fakes.turns import NOW

CRISIS = "I want to kill myself"
SECOND = timedelta(seconds=1)
MINUTE = Settings().anomaly_burst_minute_max  # the burst limit's turns a minute


def _anomalies(publisher: turns.Publisher) -> list[dict]:
    return [e.data for e in publisher.events if e.type == "anomaly.detected"]


def _turn(store, publisher, message: str, at) -> dict:
    return turns.take_turn(
        uid="u1",
        message=message,
        analyze=turns.analyze_offline,
        store=store,
        publisher=publisher,
        now=at,
    )


def test_crisis_turns_past_the_limits_are_answered_and_reported_once_a_spell():
    store, publisher = turns.ActivityStore(), turns.Publisher()
    for i in range(MINUTE):  # as many as the burst limit allows in a minute
        _turn(store, publisher, f"ordinary message {i}", NOW + i * SECOND)
    for i in range(5):
        said = _turn(store, publisher, CRISIS, NOW + (20 + i) * SECOND)
        assert said["safety"]["crisis"] is True  # never refused
    assert _anomalies(publisher) == [{"reasons": ["burst_minute"], "limited": False}]
    # An ordinary message seconds after the crisis is answered too (no per-minute limit then:
    # tests/unit/test_limits_after_crisis.py), and reported as nothing.
    assert _turn(store, publisher, "and now?", NOW + 30 * SECOND)["safety"]["crisis"] is False
    assert len(_anomalies(publisher)) == 1
    assert len(store.sessions) == MINUTE + 5 + 1


def test_a_crisis_past_the_limits_after_a_spell_ended_is_reported_again():
    store, publisher = turns.ActivityStore(), turns.Publisher()
    for i in range(MINUTE):
        _turn(store, publisher, f"ordinary message {i}", NOW + i * SECOND)
    _turn(store, publisher, CRISIS, NOW + 20 * SECOND)
    later = NOW + timedelta(minutes=5)
    for i in range(MINUTE):
        _turn(store, publisher, f"later message {i}", later + i * SECOND)
    _turn(store, publisher, CRISIS, later + 20 * SECOND)
    assert len(_anomalies(publisher)) == 2


def test_a_short_crisis_message_said_again_is_no_repeat_to_report():
    # Under REPEAT_MIN_CHARS a message again is no repeat (common.chat.limits): a 4th "i want to
    # die" in ten minutes passes the limits, as a 4th "ok" does, so nothing is reported.
    store, publisher = turns.ActivityStore(), turns.Publisher()
    for i in range(5):
        said = _turn(store, publisher, "i want to die", NOW + timedelta(minutes=i))
        assert said["safety"]["crisis"] is True
    assert _anomalies(publisher) == []


def _after(count: int) -> turns.ActivityStore:
    """A user with `count` turns stored in the last minute."""
    store = turns.ActivityStore()
    sent = [(NOW - i * SECOND, unsalted_hash(CRISIS)) for i in range(1, count + 1)]
    store.activity["u1"] = activity_doc(sent, limited_until=None)
    return store


def test_crisis_turns_at_a_scripts_pace_are_answered_but_not_stored():
    pace = Settings().crisis_turns_minute_max
    store, publisher = _after(pace), turns.Publisher()  # this one is one more
    said = _turn(store, publisher, CRISIS, NOW)
    reply = crisis_reply(resources_for(None, default_locale=Settings().safety_default_locale))
    assert said["safety"]["crisis"] is True and said["reply"] == reply
    assert said["degraded"] == [service.NOT_STORED]
    assert store.sessions == {} and store.keys == {}
    # its crisis event alone, straight to Pub/Sub (tests/unit/test_crisis_unstored_events.py)
    assert [e.type for e in publisher.events] == ["safety.crisis_detected"]


def test_crisis_turns_up_to_that_pace_are_stored():
    pace = Settings().crisis_turns_minute_max
    store, publisher = _after(pace - 1), turns.Publisher()
    said = _turn(store, publisher, CRISIS, NOW)
    assert said["safety"]["crisis"] is True and said["degraded"] == []
    assert len(store.sessions) == 1
    assert "safety.crisis_detected" in [e.type for e in publisher.events]
