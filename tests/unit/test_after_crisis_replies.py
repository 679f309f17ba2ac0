"""After care ends, a recent crisis still shapes the reply (the crisis-journey review: four
minutes after the crisis reply, "i tried that already and it didn't work" got "Ugh, frustrating!
... the idea to set a 25-minute timer ... didn't cut it ... Start now and report back!", advice
from before the crisis; a new session 16 minutes after it opened "You sound clear-headed").
The service tells the reply so: ReplyRequest.after_crisis."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from common.chat import service
from common.chat.models import TurnCreate
from common.replies.prompt import PromptBuilder
from tests.fakes import turns

UID = "u1"
CHEER = ("Ugh,", "you've got this", "report back", "clear-headed")


def _turn(
    store: turns.ActivityStore,
    message: str,
    at: datetime,
    session_id: str | None = None,
    *,
    persona: str | None = None,
    generator: turns.RecordingGenerator | None = None,
) -> dict:
    body = TurnCreate(
        client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id, persona=persona
    )
    overrides = {"generator": generator} if generator else {}
    response, _ = service.take_turn(
        uid=UID, body=body, **turns.turn_ports(store, **overrides), now=at
    )
    return response


def test_after_care_the_reply_recalls_nothing_from_before_the_crisis_and_does_not_cheer():
    store = turns.ActivityStore()
    before = _turn(store, "how do I stop procrastinating on my thesis?", turns.NOW, persona="riri")
    assert "25-minute timer" in before["reply"]  # the advice given before the crisis
    session = before["session_id"]
    crisis = _turn(store, "I want to kill myself", turns.NOW + timedelta(minutes=4), session)
    assert crisis["safety"]["crisis"] is True
    for minute, message in enumerate(("yeah", "ok thanks", "ok"), start=5):  # the care turns
        _turn(store, message, turns.NOW + timedelta(minutes=minute), session)
    after = _turn(
        store,
        "i tried that already and it didn't work",
        turns.NOW + timedelta(minutes=8),
        session,
        persona="riri",
    )["reply"]
    assert "timer" not in after, after
    assert not any(cheer in after for cheer in CHEER), after


def test_a_new_session_within_the_hour_of_a_crisis_is_answered_calmly():
    store, model = turns.ActivityStore(), turns.RecordingGenerator()
    _turn(store, "I want to kill myself", turns.NOW)
    soon = turns.NOW + timedelta(minutes=16)
    plan = "can you help me plan my thesis chapter?"
    reply = _turn(store, plan, soon, persona="elro")["reply"]
    assert "clear-headed" not in reply and "First," in reply  # calm, and the help asked for
    _turn(store, plan, soon + timedelta(minutes=1), generator=model)
    (req,) = model.asked
    assert req.after_crisis and not req.care and not req.window
    prompt = PromptBuilder().build(req).system_instruction
    assert "the person showed signs of crisis" in prompt
    assert "that reply was the app's" not in prompt  # no crisis reply among its contents


def test_two_hours_later_a_new_session_is_answered_as_before():
    store, model = turns.ActivityStore(), turns.RecordingGenerator()
    _turn(store, "I want to kill myself", turns.NOW)
    later = turns.NOW + timedelta(hours=2)
    plan = "can you help me plan my thesis chapter?"
    reply = _turn(store, plan, later, persona="elro")["reply"]
    assert reply.startswith("That's a good thing to be curious about")  # a cheerful opener
    _turn(store, plan, later + timedelta(minutes=1), generator=model)
    (req,) = model.asked
    assert not req.after_crisis
    assert "signs of crisis" not in PromptBuilder().build(req).system_instruction


def test_two_hours_after_a_crisis_still_in_the_window_the_reply_does_not_cheer():
    # The crisis is no longer recent by the clock, but it is one of the turns the reply reads.
    store = turns.ActivityStore()
    session = _turn(store, "how do I stop procrastinating on my thesis?", turns.NOW)["session_id"]
    _turn(store, "I want to kill myself", turns.NOW + timedelta(minutes=1), session)
    for minute in range(2, 5):  # the care turns
        _turn(store, "i'm still here, just tired", turns.NOW + timedelta(minutes=minute), session)
    message = "ok back to work, how do I plan my week?"
    later = _turn(store, message, turns.NOW + timedelta(hours=2), session, persona="riri")
    assert later["persona"]["id"] == "riri"
    assert not any(cheer in later["reply"] for cheer in CHEER), later["reply"]


def test_within_the_hour_what_was_tried_before_a_crisis_out_of_the_window_is_not_recalled():
    # Five turns since the crisis: it has left the window, but not the summary's "tried".
    store = turns.ActivityStore()
    session = _turn(store, "how do I stop procrastinating on my thesis?", turns.NOW)["session_id"]
    tried = "i tried setting a 25-minute timer but it didn't work"
    _turn(store, tried, turns.NOW + timedelta(seconds=30), session, persona="riri")
    _turn(store, "I want to kill myself", turns.NOW + timedelta(minutes=1), session)
    for minute in range(2, 7):
        _turn(store, "i'm still here, just tired", turns.NOW + timedelta(minutes=minute), session)
    state = store.sessions[session]
    assert not any(turn.crisis for turn in state.window)
    assert any("timer" in t for t in state.summary.tried)
    message = "i tried that already and it didn't work"
    after = _turn(store, message, turns.NOW + timedelta(minutes=20), session, persona="riri")
    assert "25-minute timer" not in after["reply"], after["reply"]
