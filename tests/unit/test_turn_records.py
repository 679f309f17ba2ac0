"""What a turn stores (common/chat/records.py, as the chat service fills it in); what its
event says of the turn before it is in test_turn_events.py."""

from __future__ import annotations

from common.analysis.baseline import analyze_baseline
from tests.fakes import turns


def analyze(text: str):
    return analyze_baseline(text), []


def test_the_stored_turn_holds_its_response_its_owner_and_how_its_persona_was_chosen() -> None:
    store = turns.MemoryStore()

    response = turns.take_turn(
        uid="u1", message="How do I plan my week?", analyze=analyze, store=store, locale="de-AT"
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
    assert doc["locale"] == "de-AT"  # a rating of the turn says its language too
