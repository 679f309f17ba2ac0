"""What a turn stores and what its chat.turn.completed event says of the turn before it
(common/chat/records.py, as the chat service fills it in)."""

from __future__ import annotations

from datetime import timedelta

from common.analysis.baseline import analyze_baseline
from tests.fakes import turns


def analyze(text: str):
    return analyze_baseline(text), []


def test_the_turn_event_says_what_came_before_it_in_the_session() -> None:
    store, publisher = turns.MemoryStore(), turns.Publisher()

    def turn(message: str, session_id: str | None = None, now=turns.NOW) -> tuple[dict, dict]:
        response = turns.take_turn(
            uid="u1",
            message=message,
            analyze=analyze,
            store=store,
            publisher=publisher,
            session_id=session_id,
            now=now,
        )
        events = [e for e in publisher.events if e.type == "chat.turn.completed"]
        return response, events[-1].data

    first, data = turn("How do I plan my week?")
    assert data["local_hour"] == 12
    assert data["previous_persona"] is None and data["previous_tone"] is None
    assert data["repeat_of_previous"] is False and data["first_turn_of_day"] is True
    assert data["profile"] is not None  # a keyed user: what the policy saw
    sid = first["session_id"]

    _, data = turn("  how do I PLAN   my week? ", sid)  # the same words, spaced and cased anew
    assert data["previous_persona"] == first["persona"]["id"]
    assert data["previous_tone"] == first["analysis"]["tone"]["label"]
    assert data["previous_intent"] == first["analysis"]["intent"]["label"]
    assert data["previous_crisis"] is False
    assert data["repeat_of_previous"] is True and data["first_turn_of_day"] is False

    _, data = turn("and next month?", sid, now=turns.NOW + timedelta(hours=13))  # the next day
    assert data["local_hour"] == 1
    assert data["repeat_of_previous"] is False and data["first_turn_of_day"] is True


def test_the_stored_turn_holds_its_response_its_owner_and_how_its_persona_was_chosen() -> None:
    store = turns.MemoryStore()

    response = turns.take_turn(
        uid="u1", message="How do I plan my week?", analyze=analyze, store=store
    )

    ((doc, _),) = store.keys.values()
    session = store.sessions[response["session_id"]]
    assert doc["response"] == response
    assert doc["turn_id"] == response["turn_id"] and doc["reply"] == response["reply"]
    assert doc["session_id"] == response["session_id"] and doc["owner_uid"] == "u1"
    assert doc["keyed"] is True
    assert doc["persona_scores"] == session.persona_scores
    assert doc["persona_source"] == "ensemble" and doc["propensity"] == 1.0
    assert doc["expires_at"] == session.expires_at
    assert doc["experiment"] is None and doc["variant"] is None and doc["control_variant"] is None
