"""The profile updater's counters read back into a valid profile whatever order events come in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from common.events import Event
from common.personalization.context import context_keys
from common.personalization.preferences import EXPLICIT_WEIGHT, IMPLICIT_SIGNALS
from common.profile.updater import daily_until, day_key, delta_for, profile_from_doc, stale_days

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def rating(reward: float, previous: float | None) -> Event:
    data = {
        "turn_id": "t1",
        "persona": "elro",
        "reward": reward,
        "previous_reward": previous,
        "tone": "calm",
        "intent": "learning",
    }
    return Event("feedback.submitted", NOW, "k", "s1", data, subject="k")


def applied(doc: dict, event: Event) -> dict:
    """What Firestore's server-side increments make of the document."""
    delta = delta_for(event)
    assert delta is not None
    for path, amount in delta.increments.items():
        node = doc
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = node.get(leaf, 0.0) + amount
    return doc


def test_a_changed_rating_applied_before_the_first_one_still_reads_as_a_profile() -> None:
    # Thumbs up, then changed to down; Pub/Sub delivers the change first.
    first, change = rating(1.0, None), rating(0.0, 1.0)
    doc = applied({}, change)
    assert doc["stats"]["elro"]["alpha"] == -1.0  # stored below zero for now...
    early = profile_from_doc(doc, personalization=True, now=NOW)  # ...but still a valid profile
    assert early.stat("elro").alpha == 1.0 and early.stat("elro").beta == 2.0
    late = profile_from_doc(applied(doc, first), personalization=True, now=NOW)
    in_order = profile_from_doc(applied(applied({}, first), change), personalization=True, now=NOW)
    assert late == in_order  # once both are in, the last rating counts once
    assert (late.stat("elro").alpha, late.stat("elro").beta) == (1.0, 2.0)


def test_a_rating_of_the_crisis_safety_message_is_no_evidence_about_the_persona() -> None:
    for previous in (None, 1.0):
        event = rating(0.0, previous)
        event = Event(event.type, NOW, "k", "s1", {**event.data, "crisis": True}, subject="k")
        delta = delta_for(event)
        assert delta is not None
        assert not any(path.startswith(("stats.", "ctx.")) for path in delta.increments)
    first = delta_for(
        Event("feedback.submitted", NOW, "k", "s1", {**rating(0.0, None).data, "crisis": True})
    )
    assert first is not None and first.increments["feedback_count"] == 1


def test_a_rating_of_a_turn_in_care_is_no_evidence_about_the_persona() -> None:
    # After a crisis the calm persona answers whatever the user prefers (the care review: a
    # thumbs-down there steered the user away from Lua once care ended).
    for previous in (None, 1.0):
        event = rating(0.0, previous)
        care = Event(event.type, NOW, "k", "s1", {**event.data, "persona_source": "care"})
        delta = delta_for(care)
        assert delta is not None
        assert not any(path.startswith(("stats.", "ctx.")) for path in delta.increments)
    chosen = Event("feedback.submitted", NOW, "k", "s1",
                   {**rating(0.0, None).data, "persona_source": "thompson"})  # fmt: skip
    assert any(path.startswith("stats.") for path in delta_for(chosen).increments)


def turn_after(previous: str, **data) -> Event:
    """A turn event of the same session, answered by `persona`, after a turn of `previous`."""
    data = {
        "turn_id": "t2",
        "turn_index": 1,
        "persona": "elro",
        "persona_source": "ensemble",
        "previous_persona": previous,
        "previous_tone": "sad",
        "previous_intent": "venting",
        **data,
    }
    return Event("chat.turn.completed", NOW, "k", "s1", data, subject="k")


def evidence(event: Event) -> dict[str, float]:
    delta = delta_for(event)
    assert delta is not None
    return {p: v for p, v in delta.increments.items() if p.startswith(("stats.", "ctx."))}


@pytest.mark.parametrize("flag", ["previous_crisis", "previous_care"])
@pytest.mark.parametrize(
    "data", [{}, {"repeat_of_previous": True}, {"persona_source": "requested"}]
)
def test_what_follows_the_crisis_reply_or_care_is_no_evidence_about_its_persona(flag, data):
    # Follow-up, re-asked or another persona chosen: each judges the reply before. The crisis
    # safety message (shown under the care persona, Lua) was written by no persona, and a care
    # reply is Lua's whatever the user prefers (the care review: credited, then marked down).
    assert evidence(turn_after("lua", **data))  # after an ordinary reply: evidence about Lua
    assert evidence(turn_after("lua", **data, **{flag: False}))
    after = turn_after("lua", **data, **{flag: True})
    assert [p for p in evidence(after) if ".lua." in p] == []
    assert delta_for(after).increments["shown.elro"] == 1  # the turn itself still counts


@pytest.mark.parametrize("flag", ["previous_crisis", "previous_care"])
def test_a_persona_the_user_picks_right_after_care_counts_for_it_alone(flag) -> None:
    # Picking Elro once care ends says something about Elro, nothing against the care persona.
    ordinary = evidence(turn_after("lua", persona_source="requested"))
    after = evidence(turn_after("lua", persona_source="requested", **{flag: True}))
    assert after == {p: v for p, v in ordinary.items() if ".elro." in p}
    assert after["stats.elro.alpha"] == 0.5


def ended(turns: int, **data) -> Event:
    data = {"turn_count": turns, "persona": "lua", "tone": "sad", "intent": "venting", **data}
    return Event("session.ended", NOW, "k", "s1", data, subject="k")


@pytest.mark.parametrize("turns", [1, 6])  # left right after the reply; a long session
def test_a_session_that_ended_on_the_crisis_safety_message_is_no_evidence(turns: int) -> None:
    assert evidence(ended(turns))  # events before the flag existed still count
    assert evidence(ended(turns, last_crisis=False))
    assert delta_for(ended(turns, last_crisis=True)) is None


def turn(day: int, index: int, *, first_of_day: bool | None) -> Event:
    data = {"persona": "lua", "turn_index": index, "intent": "learning", "local_hour": 9}
    if first_of_day is not None:
        data["first_turn_of_day"] = first_of_day
    return Event("chat.turn.completed", NOW.replace(day=day), "k", "s1", data, subject="k")


def test_a_conversation_kept_going_daily_counts_as_a_session_on_each_day() -> None:
    # One session begun 8 days before, then three turns a day for the last 7: engagement's
    # "returning" and "depth" terms read zero when only the session's start was counted.
    now = NOW.replace(day=8, hour=23)
    doc = applied({}, turn(1, 0, first_of_day=True))
    index = 1
    for day in range(2, 9):
        for i in range(3):
            doc = applied(doc, turn(day, index, first_of_day=i == 0))
            index += 1
    daily = profile_from_doc(doc, personalization=True, now=now)
    assert sum(d["active_sessions"] for d in doc["daily"].values()) == 8
    # one conversation begun, as the weekly insight counts them
    assert doc["sessions"] == sum(d.get("sessions", 0) for d in doc["daily"].values()) == 1

    # The same turns as events from before the flag count only the session's start.
    old = applied({}, turn(1, 0, first_of_day=None))
    for i in range(1, 22):
        old = applied(old, turn(2 + (i - 1) // 3, i, first_of_day=None))
    before = profile_from_doc(old, personalization=True, now=now)
    assert round(before.engagement, 2) == 0.26 and round(daily.engagement, 2) == 0.59
    # Days counted before active_sessions existed read their sessions begun instead.
    for counts in doc["daily"].values():
        counts["sessions"] = counts.pop("active_sessions")
    assert profile_from_doc(doc, personalization=True, now=now).engagement == daily.engagement


@pytest.mark.parametrize(
    ("reward", "previous"),
    [
        (float("nan"), None),
        (float("inf"), None),
        (5, None),
        (-0.5, None),
        (True, None),
        ("1.0", None),
        (1.0, float("nan")),
        (1.0, "0.0"),
        (0.0, 4),
    ],
)
def test_a_reward_no_profile_may_hold_is_a_malformed_event(reward, previous) -> None:
    # Stored as server-side increments, a NaN stays NaN (and an infinity or a 5 corrupts the
    # counts) under every later event: each of the user's turns then failed (the numeric
    # review, 2026-12-05). The updater drops such an event as malformed.
    with pytest.raises(ValueError):
        delta_for(rating(reward, previous))


def test_counts_stored_before_that_check_read_as_no_evidence() -> None:
    nan, inf = float("nan"), float("inf")
    doc = {"stats": {"elro": {"alpha": nan, "beta": 1.0}, "lua": {"alpha": inf, "beta": -inf}},
           "ctx": {"tone_calm": {"elro": {"alpha": nan, "beta": "x"}}}}  # fmt: skip
    profile = profile_from_doc(doc, personalization=True, now=NOW)
    assert (profile.stat("elro").alpha, profile.stat("elro").beta) == (1.0, 2.0)
    assert (profile.stat("lua").alpha, profile.stat("lua").beta) == (1.0, 1.0)
    from common.personalization.context import context_keys, in_context

    in_context(profile, doc["ctx"], context_keys("calm", "learning"))  # no ValueError


def test_a_rating_adds_its_reward_as_successes_and_the_rest_as_failures() -> None:
    # A first 2-star rating (reward 0.25), at the explicit weight: the persona's Beta counts
    # move overall and in each context of the message it rated.
    prefixes = ("stats", *(f"ctx.{key}" for key in context_keys("calm", "learning")))
    assert evidence(rating(0.25, None)) == {
        **{f"{prefix}.elro.alpha": 0.25 * EXPLICIT_WEIGHT for prefix in prefixes},
        **{f"{prefix}.elro.beta": 0.75 * EXPLICIT_WEIGHT for prefix in prefixes},
    }
    profile = profile_from_doc(applied({}, rating(0.25, None)), personalization=True, now=NOW)
    assert (profile.stat("elro").alpha, profile.stat("elro").beta) == (1.25, 1.75)  # + prior


def test_a_re_asked_question_counts_against_the_previous_persona() -> None:
    # Not the follow-up's small thumbs-up: the answer did not land.
    reward, weight = IMPLICIT_SIGNALS["re_asked_same_question"]
    assert reward == 0.0
    event = turn_after("lua", repeat_of_previous=True, previous_intent="planning")
    assert evidence(event) == {
        f"{prefix}.lua.beta": weight
        for prefix in ("stats", "ctx.tone_low", "ctx.intent_think", "ctx.both_low_think")
    }


def test_a_complaint_about_the_reply_counts_against_the_previous_persona() -> None:
    # The boundaries review: "you're useless" was a follow-up in the same session, +0.2.
    reward, weight = IMPLICIT_SIGNALS["complained"]
    assert (reward, weight) == (0.0, 0.4)
    increments = evidence(turn_after("riri", complained=True, previous_intent="planning"))
    assert increments == {
        f"{prefix}.riri.beta": weight
        for prefix in ("stats", "ctx.tone_low", "ctx.intent_think", "ctx.both_low_think")
    }
    assert increments["stats.riri.beta"] > 0 and "stats.riri.alpha" not in increments
    # asking for another persona, or saying no to this one, is still the switch it was
    switched = evidence(turn_after("riri", complained=True, refused="riri"))
    assert switched["stats.riri.beta"] == IMPLICIT_SIGNALS["chose_alternative"][1]


def test_requesting_the_persona_already_shown_is_a_follow_up_not_a_switch() -> None:
    # Asking for Elro while Elro answers is no vote against Elro.
    reward, weight = IMPLICIT_SIGNALS["follow_up_same_session"]
    event = turn_after("elro", persona="elro", persona_source="requested")
    assert evidence(event) == {
        "stats.elro.alpha": reward * weight,
        "ctx.tone_low.elro.alpha": reward * weight,
    }
    # Another persona requested is a switch: against the one shown, for the one chosen.
    reward, weight = IMPLICIT_SIGNALS["chose_alternative"]
    switched = evidence(turn_after("lua", persona="elro", persona_source="requested"))
    assert switched["stats.lua.beta"] == weight * (1 - reward)
    assert switched["stats.elro.alpha"] == weight * (1 - reward)


def test_evidence_about_the_previous_reply_goes_to_the_previous_messages_contexts() -> None:
    # This turn is calm and learning; the reply it judges answered a sad planning message.
    reward, weight = IMPLICIT_SIGNALS["follow_up_same_session"]
    event = turn_after("lua", tone="calm", intent="learning", previous_intent="planning")
    assert evidence(event) == {
        f"{prefix}.lua.alpha": reward * weight
        for prefix in ("stats", "ctx.tone_low", "ctx.intent_think", "ctx.both_low_think")
    }


def test_stats_of_a_retired_persona_are_ignored_when_the_profile_is_read() -> None:
    doc = {"stats": {"kai": {"alpha": 3.0, "beta": 1.0}, "elro": {"alpha": 2.0, "beta": 0.0}}}
    profile = profile_from_doc(doc, personalization=True, now=NOW)
    assert "kai" not in profile.stats
    assert (profile.stat("elro").alpha, profile.stat("elro").beta) == (3.0, 1.0)


def test_day_counters_are_kept_eight_days_and_dropped_after() -> None:
    # Read for the last 7 days (today and 6 before) and kept one day longer: the day 7 days
    # ago is kept, the days 8 and 9 days ago are stale.
    daily = {day_key(NOW - timedelta(days=age)): {"turns": 1} for age in (0, 6, 7, 8, 9)}
    assert stale_days(daily, NOW) == [
        day_key(NOW - timedelta(days=9)),
        day_key(NOW - timedelta(days=8)),
    ]
    assert stale_days(None, NOW) == []


def test_the_day_counters_are_all_stale_when_the_cleanup_drops_them():
    for now in (datetime(2026, 6, 1, 0, 0, tzinfo=UTC), datetime(2026, 6, 1, 23, 59, tzinfo=UTC)):
        until = daily_until(now)
        assert until == datetime(2026, 6, 9, tzinfo=UTC)
        assert stale_days({day_key(now): {}}, until) == [day_key(now)]
        assert stale_days({day_key(now): {}}, until - timedelta(seconds=1)) == []


def test_a_day_key_reads_back_as_its_day():
    from common.profile.updater import day_of

    afternoon = datetime(2026, 6, 1, 13, 5, tzinfo=UTC)
    assert day_of(day_key(afternoon)) == datetime(2026, 6, 1, tzinfo=UTC)
    assert day_of("feedback") is None and day_of("d2026") is None


def test_a_day_key_names_the_utc_day_whatever_the_zone():
    # 23:30 in New York on 6 December is 04:30 UTC on the 7th: the 7th's counters.
    evening = datetime(2026, 12, 6, 23, 30, tzinfo=ZoneInfo("America/New_York"))
    assert day_key(evening) == "d20261207"


@pytest.fixture(scope="module")
def updater():
    """functions/profile_updater/main.py, loaded before a test's log capture begins (loading it
    sets up the process's logging)."""
    from tests.fakes.functions import load_main

    return load_main("profile_updater")


def test_an_applied_event_is_logged_at_debug_and_a_copy_at_info(updater, monkeypatch, caplog):
    """An INFO line per event was paid log volume at load (~1.4 a turn) that said nothing; a
    copy delivered again (not applied) is rare and still worth a line (the observability
    review)."""
    import base64
    import json

    from cloudevents.http import CloudEvent

    from common import clients

    outcomes = iter([True, False])  # applied, then the same event again
    writer = type("Writer", (), {"apply": lambda self, **kw: next(outcomes)})()
    monkeypatch.setattr(clients, "preference_writer", lambda: writer)
    event = Event("chat.turn.completed", NOW, "k", "s1", {"persona": "elro"}, subject="k")
    data = base64.b64encode(json.dumps(event.envelope()).encode()).decode()
    message = {"data": data, "attributes": {"subject": "k", "type": event.type}}
    attributes = {"type": "google.cloud.pubsub.topic.v1.messagePublished", "source": "//pubsub"}
    with caplog.at_level("DEBUG", logger=updater.log.name):
        updater.profile_updater(CloudEvent(attributes, {"message": message}))
        updater.profile_updater(CloudEvent(attributes, {"message": message}))
    said = [(r.levelname, r.applied) for r in caplog.records if r.getMessage() == "profile event"]
    assert said == [("DEBUG", True), ("INFO", False)]


def test_an_event_without_a_timezone_is_dropped_as_malformed(updater, monkeypatch, caplog):
    """A naive occurred_at reached the writer, whose erasure check (occurred_at <= until) raised
    TypeError: a 500 and redeliveries until the dead letter (the time review)."""
    import base64
    import json

    from cloudevents.http import CloudEvent

    from common import clients

    calls = []
    writer = type("Writer", (), {"apply": lambda self, **kw: calls.append(kw) or True})()
    monkeypatch.setattr(clients, "preference_writer", lambda: writer)
    event = Event("chat.turn.completed", NOW, "k", "s1", {"persona": "elro"}, subject="k")
    envelope = {**event.envelope(), "occurred_at": "2026-03-01T12:00:00"}
    data = base64.b64encode(json.dumps(envelope).encode()).decode()
    message = {"data": data, "attributes": {"subject": "k", "type": event.type}}
    attributes = {"type": "google.cloud.pubsub.topic.v1.messagePublished", "source": "//pubsub"}
    with caplog.at_level("ERROR", logger=updater.log.name):
        updater.profile_updater(CloudEvent(attributes, {"message": message}))
    assert calls == []
    assert [r.getMessage() for r in caplog.records] == ["dropping a malformed event: ValueError"]


def test_the_crisis_reply_is_no_ones_turn_in_the_persona_counts() -> None:
    """The strings review: a week of one crisis conversation read "all with Lua" in the weekly
    insight, and the re-engagement nudge names the persona most talked with (`shown`)."""
    data = {"persona": "lua", "persona_source": "care", "turn_index": 0, "intent": "check_in"}
    crisis = delta_for(Event("chat.turn.completed", NOW, "k", "s1", {**data, "crisis": True}))
    care = delta_for(Event("chat.turn.completed", NOW, "k", "s1", {**data, "turn_index": 1}))
    assert crisis is not None and care is not None
    day = day_key(NOW)
    assert crisis.increments["turns"] == 1 and crisis.increments[f"daily.{day}.sessions"] == 1
    assert not any(".personas." in p or p.startswith("shown.") for p in crisis.increments)
    # A care turn after it is Lua's: she wrote it, with care.
    assert care.increments["shown.lua"] == 1 and care.increments[f"daily.{day}.personas.lua"] == 1
