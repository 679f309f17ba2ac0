"""The end of a session as an implicit signal: left after one reply, or stayed long."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from common.events import Event, anonymous_id
from common.personalization.preferences import IMPLICIT_SIGNALS
from common.profile.updater import delta_for
from common.sessions.ending import LONG_SESSION_TURNS, end_signal, session_ended_event
from common.sessions.state import SessionState, WindowTurn

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _session(turns: int, persona: str = "elro") -> SessionState:
    window = tuple(
        WindowTurn(f"t{i}", i, f"message {i}", f"reply {i}", persona, T0 + timedelta(minutes=i),
                   tone="anxious", intent="planning")
        for i in range(max(0, turns - 5), turns)
    )  # fmt: skip
    return SessionState(
        session_id="s-1",
        owner_uid="uid-1",
        created_at=T0,
        last_interaction_at=T0 + timedelta(minutes=max(turns - 1, 0)),
        expires_at=T0 + timedelta(hours=24),
        turn_count=turns,
        window=window,
        current_persona=persona,
    )


@pytest.mark.parametrize(
    ("turns", "signal"),
    [(1, "left_right_after_reply"), (2, None), (LONG_SESSION_TURNS - 1, None),
     (LONG_SESSION_TURNS, "long_session"), (40, "long_session")],
)  # fmt: skip
def test_session_length_decides_the_signal(turns: int, signal: str | None) -> None:
    assert end_signal(turns) == signal


def test_the_event_has_no_text_and_a_stable_id() -> None:
    state = _session(7)
    first = session_ended_event(
        state, user_key="k", subject="k", key="test-key", now=T0 + timedelta(days=1)
    )
    again = session_ended_event(
        state, user_key="k", subject="k", key="test-key", now=T0 + timedelta(days=2)
    )
    assert first.event_id == again.event_id  # a rerun of the cleanup job changes nothing
    assert first.type == "session.ended" and first.session_id == "s-1"
    assert first.data == {
        "turn_count": 7, "duration_s": 360, "persona": "elro", "tone": "anxious",
        "intent": "planning", "last_crisis": False, "last_care": False,
    }  # fmt: skip
    assert "message" not in str(first.envelope())


def test_an_anonymised_users_session_end_names_neither_the_session_nor_its_id() -> None:
    # The event id is derived from the session: from the raw one, it would name the session
    # that the user's rows from before they anonymised carry.
    state, now = _session(3), T0 + timedelta(days=1)
    keyed = session_ended_event(state, user_key="k", subject="k", key="test-key", now=now)
    anonymous = session_ended_event(state, user_key=None, subject="k", key="test-key", now=now)
    again = session_ended_event(state, user_key=None, subject="k", key="test-key", now=now)
    assert anonymous.session_id == anonymous_id("s-1", "test-key") != "s-1"
    assert anonymous.event_id == again.event_id != keyed.event_id
    assert "s-1" not in anonymous.encode().decode()


def _increments(turns: int) -> dict[str, float] | None:
    event = session_ended_event(_session(turns), user_key=None, subject="k", key="test-key", now=T0)
    delta = delta_for(Event.from_envelope(event.envelope(), subject="k"))
    return None if delta is None else delta.increments


def test_leaving_after_one_reply_counts_weakly_against_the_persona_in_its_context() -> None:
    increments = _increments(1)
    reward, weight = IMPLICIT_SIGNALS["left_right_after_reply"]
    assert reward == 0.0
    for prefix in ("stats", "ctx.tone_low", "ctx.intent_think", "ctx.both_low_think"):
        assert increments[f"{prefix}.elro.beta"] == pytest.approx(weight)
        assert f"{prefix}.elro.alpha" not in increments


def test_a_long_session_counts_for_the_persona_and_a_middling_one_for_nothing() -> None:
    reward, weight = IMPLICIT_SIGNALS["long_session"]
    assert _increments(LONG_SESSION_TURNS)["stats.elro.alpha"] == pytest.approx(reward * weight)
    assert _increments(3) is None


@pytest.mark.parametrize("flag", ["crisis", "care"])
@pytest.mark.parametrize("turns", [1, LONG_SESSION_TURNS])
def test_a_session_that_ended_on_the_crisis_reply_or_in_care_is_no_evidence(turns, flag) -> None:
    # The crisis safety message shows under the care persona; a care reply is hers, imposed
    # (one turn: care after a no to "Are you safe right now?" in another session).
    def ended(state: SessionState) -> Event:
        event = session_ended_event(state, user_key=None, subject="k", key="test-key", now=T0)
        return Event.from_envelope(event.envelope(), subject="k")

    state = _session(turns, persona="lua")
    assert delta_for(ended(state))  # Lua chosen for fit: her session's end counts
    last = replace(state.window[-1], **{flag: True})
    event = ended(replace(state, window=(*state.window[:-1], last)))
    assert event.data[f"last_{flag}"] is True
    assert delta_for(event) is None
