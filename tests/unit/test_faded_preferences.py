"""Learned preferences fade (the returning-user review): a 365-day user who talked with Elro about
plans every evening for two months and came back seven months later with a grief message got
Elro, with propensity 1, from those counts, where a default-retention user (whose profile the
cleanup deleted after 90 days) got the ensemble's Lua. Preferences not updated for
PREFERENCES_FADE_DAYS rank no more, and the profile updater's next event starts them afresh."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from common.adapters.firestore_profiles import FirestorePreferenceWriter
from common.analysis.with_model import analyze
from common.chat.wiring import rank_personas
from common.events import Event
from common.personalization.context import context_keys, in_context
from common.personalization.preferences import PREFERENCES_FADE_DAYS
from common.profile.updater import delta_for, profile_from_doc
from common.routing.ensemble import Conversation
from tests.fakes.firestore_rpc import FirestoreRpc

START = datetime(2026, 1, 1, 19, tzinfo=UTC)
LAST = START + timedelta(days=60)  # the last evening of the two months
GRIEF = "my dad died last week and i feel so lost and anxious, i can't stop crying"


def _add(doc: dict, event: Event) -> None:
    """The event's increments, added up as the profile updater stores them."""
    for path, amount in delta_for(event).increments.items():
        *parents, leaf = path.split(".")
        node = doc
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = node.get(leaf, 0) + amount


def _two_months_of_planning_with_elro() -> dict:
    """preferences/{user_key} after 60 evenings of 6 planning turns with Elro, a thumbs-up every
    other evening (the reviewer's /tmp/rev_returning/lockin.py), the day counters dropped."""
    prefs: dict = {}
    for day in range(60):
        at = START + timedelta(days=day)
        for i in range(6):
            data = {"persona": "elro", "turn_index": i, "intent": "planning", "tone": "calm"}
            if i:
                data |= {"previous_persona": "elro", "previous_tone": "calm"}
                data |= {"previous_intent": "planning"}
            _add(prefs, Event("chat.turn.completed", at + timedelta(minutes=i), "k", "s", data))
        if day % 2 == 0:
            rating = {"persona": "elro", "reward": 1.0, "tone": "calm", "intent": "planning"}
            _add(prefs, Event("feedback.submitted", at + timedelta(minutes=7), "k", "s", rating))
        ended = {"persona": "elro", "turn_count": 6, "tone": "calm", "intent": "planning"}
        _add(prefs, Event("session.ended", at + timedelta(days=1), "k", "s", ended))
    prefs.pop("daily")
    return prefs | {"updated_at": LAST}


def _first_turn_back(prefs: dict | None, days_away: int):
    analysis, _ = analyze(GRIEF, model=None)
    now = LAST + timedelta(days=days_away)
    profile = None
    if prefs is not None:
        keys = context_keys(analysis.tone.label, analysis.intent.label)
        profile = profile_from_doc(prefs, personalization=True, now=now)
        profile = in_context(profile, prefs.get("ctx"), keys)
    convo = Conversation(local_hour=22, gentle=True)
    return rank_personas(analysis=analysis, convo=convo, requested=None, seed="t1", profile=profile)


def test_preferences_not_updated_for_seven_months_leave_the_choice_to_the_ensemble() -> None:
    prefs = _two_months_of_planning_with_elro()
    new_user = _first_turn_back(None, 210)  # as for a user whose profile is gone

    back = _first_turn_back(prefs, 210)

    assert (back.chosen.id, back.source) == (new_user.chosen.id, "ensemble")
    assert back.chosen.id != "elro" and back.scores == new_user.scores


@pytest.mark.parametrize(
    ("days_away", "learned"), [(PREFERENCES_FADE_DAYS, True), (PREFERENCES_FADE_DAYS + 1, False)]
)
def test_preferences_rank_until_they_are_over_the_fade_days_old(days_away, learned) -> None:
    back = _first_turn_back(_two_months_of_planning_with_elro(), days_away)
    assert (back.source != "ensemble") is learned


SUBJECT = "k" * 32
PREFS = f"preferences/{SUBJECT}"
BACK = LAST + timedelta(days=210)


def _turn_back(event_id: str = "back-1") -> tuple[str, dict]:
    data = {"persona": "lua", "turn_index": 0, "intent": "emotional_support", "tone": "sad"}
    return event_id, delta_for(Event("chat.turn.completed", BACK, "k", "s", data)).increments


def _apply(writer: FirestorePreferenceWriter, event_id: str, increments: dict) -> bool:
    return writer.apply(
        subject=SUBJECT, event_id=event_id, increments=increments, occurred_at=BACK, now=BACK
    )


def test_the_first_event_after_the_gap_starts_the_counts_afresh() -> None:
    rpc = FirestoreRpc({PREFS: _two_months_of_planning_with_elro()})
    writer = FirestorePreferenceWriter(rpc.client)

    assert _apply(writer, *_turn_back())

    stored = rpc.docs[PREFS]
    assert "stats" not in stored and "ctx" not in stored  # Elro's two months are gone
    assert (stored["turns"], stored["sessions"], stored["shown"]) == (1, 1, {"lua": 1})
    assert stored["updated_at"] == BACK
    # The next event adds to the new counts.
    event_id, increments = _turn_back("back-2")
    assert _apply(writer, event_id, increments)
    assert (rpc.docs[PREFS]["turns"], rpc.docs[PREFS]["shown"]) == (2, {"lua": 2})


def test_within_the_fade_days_the_event_adds_to_the_counts() -> None:
    recent = _two_months_of_planning_with_elro() | {"updated_at": BACK - timedelta(days=30)}
    rpc = FirestoreRpc({PREFS: copy.deepcopy(recent)})

    assert _apply(FirestorePreferenceWriter(rpc.client), *_turn_back())

    assert rpc.docs[PREFS]["turns"] == recent["turns"] + 1
    assert rpc.docs[PREFS]["stats"] == recent["stats"]  # kept (a first turn is no evidence)


def test_of_two_events_of_the_return_only_the_first_starts_afresh() -> None:
    """Both read the faded profile before either commits: the second, read again in its
    transaction, finds the first's write and adds to it instead of dropping it."""
    rpc = FirestoreRpc({PREFS: _two_months_of_planning_with_elro()})
    first = {"turns": 1, "shown": {"lua": 1}, "updated_at": BACK}
    answer = rpc.api.batch_get_documents.side_effect

    def first_commits_meanwhile(**kw):
        found = list(answer(**kw))
        if not kw["request"].get("new_transaction"):  # the read outside the transaction
            rpc.put(PREFS, first)
        return iter(found)

    rpc.api.batch_get_documents.side_effect = first_commits_meanwhile

    assert _apply(FirestorePreferenceWriter(rpc.client), *_turn_back("back-2"))

    assert (rpc.docs[PREFS]["turns"], rpc.docs[PREFS]["shown"]) == (2, {"lua": 2})
