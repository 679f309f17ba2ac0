from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from common.sessions.state import (
    NOT_SAFE_CARE,
    SessionState,
    WindowTurn,
    append_turn,
    forget_before,
    holds_before,
    new_session,
)
from common.sessions.summary import SessionSummary

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
TTL = timedelta(hours=24)


def _turn(i: int, message: str = "hello", tone: str = "calm", entities=()) -> WindowTurn:
    return WindowTurn(
        turn_id=f"t{i}",
        turn_index=i,
        message=message,
        reply=f"reply {i}",
        persona="lua",
        created_at=NOW + timedelta(minutes=i),
        tone=tone,
        entities=tuple(entities),
    )


def _session(n_turns: int, first_message: str = "hello", first_entities=()) -> SessionState:
    state = new_session(session_id="s" * 32, owner_uid="u1", now=NOW, ttl=TTL)
    for i in range(n_turns):
        msg = first_message if i == 0 else f"message {i}"
        ents = first_entities if i == 0 else ()
        state = append_turn(
            state,
            _turn(i, msg, "anxious" if i == 0 else "calm", ents),
            now=NOW + timedelta(minutes=i),
            ttl=TTL,
            window_size=5,
            persona_scores={"lua": 0.5},
        )
    return state


def test_window_keeps_the_last_five_and_summary_keeps_the_first_turn():
    state = _session(
        7,
        first_message="I tried restarting the build server but it still fails",
        first_entities=("Jenkins",),
    )
    assert state.turn_count == 7
    assert [t.turn_index for t in state.window] == [2, 3, 4, 5, 6]
    assert state.summary.turns_folded == 2
    assert state.summary.tried == ("restarting the build server",)
    assert "Jenkins" in state.summary.entities
    assert state.summary.tones == ("anxious", "calm")


def test_each_turn_pushes_expiry_24h_after_the_last_turn():
    state = _session(3)
    assert state.expires_at == NOW + timedelta(minutes=2) + TTL
    assert state.last_interaction_at == NOW + timedelta(minutes=2)


def test_turn_index_must_follow_the_count():
    state = _session(2)
    with pytest.raises(ValueError):
        append_turn(state, _turn(5), now=NOW, ttl=TTL, window_size=5, persona_scores={})


def test_care_lasts_exactly_care_turns_after_a_crisis():
    state = append_turn(
        _session(2),
        _turn(2),
        now=NOW,
        ttl=TTL,
        window_size=5,
        persona_scores={},
        crisis=True,
        care_turns=3,
    )
    in_care = []
    for i in range(3, 8):
        in_care.append(state.in_care(NOW))  # is turn i taken with care?
        state = append_turn(state, _turn(i), now=NOW, ttl=TTL, window_size=5, persona_scores={})
    assert in_care == [True, True, True, False, False]


def test_care_after_a_no_to_are_you_safe_lasts_a_day_after_the_latest_crisis_turn():
    state = append_turn(
        _session(2), _turn(2), now=NOW, ttl=TTL, window_size=5, persona_scores={}, crisis=True,
        care_turns=3,
    )  # fmt: skip
    state = append_turn(
        state, _turn(3), now=NOW, ttl=TTL, window_size=5, persona_scores={}, crisis=True,
        care_turns=3, not_safe=True,
    )  # fmt: skip
    for i in range(4, 20):  # and a later crisis turn does not shorten it
        assert state.in_care(NOW), i
        state = append_turn(state, _turn(i), now=NOW, ttl=TTL, window_size=5,
                            persona_scores={}, crisis=i == 10, care_turns=3)  # fmt: skip
    assert SessionState.from_dict(state.to_dict()) == state
    # The review: care after a no never ended while the user kept coming back (each turn
    # pushes the session's expiry a day). It ends NOT_SAFE_CARE after the latest crisis turn,
    # however many turns came since; a later crisis turn starts it again.
    later = NOW + NOT_SAFE_CARE
    assert state.in_care(later - timedelta(minutes=1)) and not state.in_care(later)
    state = append_turn(state, _turn(20), now=later, ttl=TTL, window_size=5,
                        persona_scores={}, crisis=True, care_turns=3)  # fmt: skip
    assert state.in_care(later + NOT_SAFE_CARE - timedelta(minutes=1))


def test_expired_or_foreign_sessions_are_invisible():
    state = _session(1)
    assert state.visible_to("u1", NOW)
    assert not state.visible_to("u2", NOW)
    assert not state.visible_to("u1", state.expires_at)
    assert not state.visible_to("u1", state.expires_at + timedelta(seconds=1))


def test_a_window_turn_says_whether_care_answered_it():
    from common.adapters.firestore_sessions import decode_session, encode_session

    care = replace(_turn(1), care=True)  # the care persona's, imposed: not chosen for fit
    assert WindowTurn.from_dict(care.to_dict()) == care
    state = replace(_session(1), window=(_turn(0), care))
    assert decode_session(encode_session(state)).window == (_turn(0), care)
    before = _turn(2).to_dict()
    del before["care"]  # stored before the flag
    assert WindowTurn.from_dict(before) == _turn(2) and not _turn(2).care


def test_state_round_trips_through_a_document():
    state = _session(7, first_message="I've already tried yoga", first_entities=("manager",))
    assert SessionState.from_dict(state.to_dict()) == state


def test_the_stored_form_round_trips():
    from common.adapters.firestore_sessions import decode_session, encode_session

    state = _session(7, first_message="I tried journaling", first_entities=("Notion",))
    doc = encode_session(state)
    assert isinstance(doc["context_window"], str)  # one value to encode, not a nested list
    assert decode_session(doc) == state
    # production TTL purges it two days after it expires: the cleanup job sees it first
    assert doc["purge_at"] - state.expires_at == timedelta(days=2)


def test_forgetting_before_a_cutoff_refolds_the_summary_and_trims_the_window():
    # Turns a minute apart (_turn): seven, the first two folded into the summary.
    state = _session(
        7, first_message="I tried restarting the build server", first_entities=("Jenkins",)
    )
    turns = [_turn(i, "I tried restarting the build server" if i == 0 else f"message {i}")
             for i in range(7)]  # fmt: skip
    assert state.summary.since == NOW
    cutoff = NOW + timedelta(minutes=1)  # turn 0 is past the user's retention
    assert holds_before(state, cutoff) and not holds_before(state, NOW)

    later = forget_before(state, cutoff, turns[1:2])  # what is left of the folded turns

    assert later.summary.tried == () and "Jenkins" not in later.summary.entities
    assert (later.summary.turns_folded, later.summary.since) == (1, cutoff)
    assert later.summary.tones == ("calm",)
    assert later.window == state.window and later.turn_count == 7
    assert not holds_before(later, cutoff)
    # Past the window's turns too: they go, and nothing is folded from before the cutoff.
    end = forget_before(state, NOW + timedelta(minutes=4), turns[:2])
    assert [t.turn_index for t in end.window] == [4, 5, 6] and end.summary == SessionSummary()


def test_a_care_turn_stays_out_of_a_summary_folded_again_from_the_stored_turns():
    # The retention job folds the summary again from the stored turns (their window entries,
    # which say whether care answered them): a care turn's words stay out of it there too.
    said = "I have been stockpiling my medication for weeks"
    care = replace(_turn(1, said, "sad", ("pharmacy",)), care=True)
    stored = [WindowTurn.from_dict(t.to_dict()) for t in (_turn(0), care, _turn(2, "hello"))]
    state = _session(8)
    summary = forget_before(state, NOW, stored).summary
    assert summary.turns_folded == 3 and summary.tones == ("calm", "sad", "calm")
    assert summary.topics == () and summary.entities == () and summary.tried == ()


def test_a_summary_is_due_for_forgetting_only_once_its_words_are_past_the_grace():
    # Seven turns a minute apart, the first two folded (since: turn 0, NOW); the window's
    # oldest is turn 2, at NOW + 2 min. A day's grace is for the summary alone.
    state = _session(7)
    day = timedelta(days=1)
    assert not holds_before(state, NOW + timedelta(minutes=1), summary_grace=day)
    assert holds_before(state, NOW + day + timedelta(seconds=1), summary_grace=day)
    # A window's turn is the conversation's last few: one past the cutoff is due at once.
    assert holds_before(state, NOW + timedelta(minutes=3), summary_grace=day)


def test_a_summary_folded_before_its_date_was_kept_is_as_old_as_its_session():
    state = _session(7)
    legacy = replace(state, summary=replace(state.summary, since=None))
    assert holds_before(legacy, NOW + timedelta(seconds=1))  # the session began at NOW
    assert not holds_before(legacy, NOW)
    # and stays so when more turns are folded in: dating it by them would hide its old words
    later = append_turn(legacy, _turn(7), now=NOW, ttl=TTL, window_size=5, persona_scores={})
    assert later.summary.turns_folded == 3 and later.summary.since is None
    assert holds_before(later, NOW + timedelta(seconds=1))
    unfolded = _session(5)  # every turn still in the window: only their own dates count
    assert not holds_before(unfolded, NOW) and holds_before(unfolded, NOW + timedelta(minutes=1))


def test_a_tried_item_naming_a_sensitive_matter_is_left_out_of_the_summary():
    # The personal-data review's probe: "my HIV medication" came back in the summary Gemini is
    # sent with every later turn. The matter patterns are common.replies.readers.work's.
    said = "I already tried talking to my manager about my HIV medication but it didn't help"
    state = _session(7, first_message=f"{said}. I tried meditation too")
    assert state.summary.tried == ("meditation too",)


def test_the_crisis_language_is_kept_for_care_until_a_later_crisis_replaces_it():
    def crisis(state: SessionState, i: int, language: str | None) -> SessionState:
        return append_turn(state, _turn(i), now=NOW, ttl=TTL, window_size=5, persona_scores={},
                           crisis=True, care_turns=3, crisis_language=language)  # fmt: skip

    state = crisis(_session(1), 1, "es")  # "Quiero morir."
    # a turn that is no crisis keeps it, whatever language it is given
    state = append_turn(
        state, _turn(2), now=NOW, ttl=TTL, window_size=5, persona_scores={}, crisis_language="en"
    )
    assert state.crisis_language == "es"
    assert SessionState.from_dict(state.to_dict()) == state
    # a later crisis in another language, or in none the patterns tell (the locale's)
    assert crisis(state, 3, "de").crisis_language == "de"
    assert crisis(state, 3, None).crisis_language is None
    # a session stored before the field: the locale's, as before
    stored = state.to_dict()
    del stored["crisis_language"]
    assert SessionState.from_dict(stored).crisis_language is None


def test_names_and_topics_naming_a_sensitive_matter_are_left_out_of_the_summary():
    # The entities review: "Mentioned: HIV Clinic, next week, manager. Topics: status,
    # telling, manager, medication." went to Gemini with every later turn.
    from common.replies.prompt import render_user_notes

    said = "I have an interview at the HIV Clinic next week, should I mention my status?"
    state = _session(6, first_message=said, first_entities=("HIV Clinic", "next week"))
    notes = render_user_notes(state.summary)
    assert "HIV" not in notes and "next week" in notes
    said = "I tried telling my manager about my HIV medication"
    state = _session(6, first_message=said, first_entities=("manager",))
    assert "medication" not in state.summary.topics and "manager" in state.summary.topics
    # nor the summaries review's "Topics: coworker, breast, cancer"
    said = "My coworker Dave has breast cancer and is getting chemotherapy"
    assert "cancer" not in _session(6, first_message=said).summary.topics


def test_an_amount_of_money_is_no_name_of_the_summary():
    # The money review: six turns on, "how do I ask my manager for remote days?" came with the
    # notes "Mentioned: $52k, $43k.", though the rules say not to bring up debt from earlier.
    from common.replies.prompt import render_user_notes

    said = "My salary is $52k and I owe $43k on credit cards, and 80k to my parents"
    state = _session(6, first_message=said, first_entities=("$52k", "$43k", "80k", "Excel"))
    notes = render_user_notes(state.summary)
    assert "43k" not in notes and "52k" not in notes and "80k" not in notes
    assert state.summary.entities == ("Excel",)  # other names still count
    for name in ("£2,000 a month", "1200 euros", "80,000", "USD 500"):
        state = _session(6, first_entities=(name,))
        assert state.summary.entities == (), name
    for name in ("2026", "next week", "3 months", "Q3"):  # dates and durations stay
        assert _session(6, first_entities=(name,)).summary.entities == (name,), name
