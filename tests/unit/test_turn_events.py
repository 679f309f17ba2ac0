"""What a turn tells analytics and the profile updater about the turn before it (the history
fields common/chat/records.py puts in chat.turn.completed)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from common.analysis.baseline import analyze_baseline
from common.events import Event
from common.profile.updater import delta_for
from tests.fakes import turns
from tests.fakes.analysis import make_analysis

CRISIS = "i can't go on anymore"


def analyze(text: str):
    return (make_analysis(crisis=True) if text == CRISIS else analyze_baseline(text)), []


def _evidence(event: Event) -> dict[str, float]:
    delta = delta_for(Event.from_envelope(event.envelope(), subject="k"))
    assert delta is not None
    return {p: v for p, v in delta.increments.items() if p.startswith(("stats.", "ctx."))}


UTC_USER = {"settings": {"timezone": "UTC"}}  # set by the app at sign-in


def _conversation(user: dict | None = UTC_USER) -> Callable[..., tuple[dict, Event]]:
    """turn(message, session_id=None, now=NOW): one of u1's turns, its response and its
    chat.turn.completed event; `user` is users/{uid}."""
    store, publisher = turns.MemoryStore(user), turns.Publisher()

    def turn(
        message: str,
        session_id: str | None = None,
        now=turns.NOW,
        locale: str | None = None,
        persona: str | None = None,
    ) -> tuple[dict, Event]:
        response = turns.take_turn(
            persona=persona,
            uid="u1",
            message=message,
            analyze=analyze,
            store=store,
            publisher=publisher,
            session_id=session_id,
            now=now,
            locale=locale,
        )
        return response, [e for e in publisher.events if e.type == "chat.turn.completed"][-1]

    return turn


def test_the_turn_event_says_what_came_before_it_in_the_session() -> None:
    turn = _conversation()

    first, event = turn("How do I plan my week?")
    data = event.data
    assert data["local_hour"] == 12
    assert data["previous_persona"] is None and data["previous_tone"] is None
    assert data["repeat_of_previous"] is False and data["first_turn_of_day"] is True
    assert data["profile"] is not None  # a keyed user: what the policy saw
    sid = first["session_id"]

    _, event = turn("  how do I PLAN   my week? ", sid)  # the same words, spaced and cased anew
    data = event.data
    assert data["previous_persona"] == first["persona"]["id"]
    assert data["previous_tone"] == first["analysis"]["tone"]["label"]
    assert data["previous_intent"] == first["analysis"]["intent"]["label"]
    assert data["previous_crisis"] is False and data["previous_care"] is False
    assert data["repeat_of_previous"] is True and data["first_turn_of_day"] is False

    _, event = turn("and next month?", sid, now=turns.NOW + timedelta(hours=13))  # the next day
    data = event.data
    assert data["local_hour"] == 1
    assert data["repeat_of_previous"] is False and data["first_turn_of_day"] is True


def test_what_follows_the_crisis_reply_and_care_says_nothing_about_the_care_persona() -> None:
    """The review: after a crisis a user asked for Riri every turn. Care answered with Lua, who
    was credited for each follow-up, then marked down when Riri came, as if the user had
    walked away from her: a thumbs-down in care, which is not counted, all over again."""
    turn = _conversation()

    first, _ = turn(CRISIS, persona="riri")
    assert first["safety"]["crisis"] and first["persona"]["id"] == "lua"  # shown under care
    sid = first["session_id"]
    asked = ("I'm still here. can I have Riri please", "ok", "a bit better", "can we plan my week")
    events = [turn(message, sid, persona="riri")[1] for message in asked]
    events.append(turn("next?", sid)[1])
    data = [e.data for e in events]
    assert [(d["persona"], d["persona_source"]) for d in data[:4]] == [("lua", "care")] * 3 + [
        ("riri", "requested")
    ]
    assert [d["previous_persona"] for d in data] == ["lua"] * 4 + ["riri"]
    assert [d["previous_crisis"] for d in data] == [True] + [False] * 4
    assert [d["previous_care"] for d in data] == [True] * 4 + [False]
    evidence = [_evidence(e) for e in events]
    assert [p for e in evidence for p in e if ".lua." in p] == []  # nothing for or against Lua
    assert evidence[3]["stats.riri.alpha"] == 0.5  # the user's own pick once care ended
    assert evidence[4]  # a follow-up to Riri's reply: evidence about her again


def test_the_session_window_says_which_turns_care_answered() -> None:
    store, session_id = turns.MemoryStore(UTC_USER), None
    for message in (CRISIS, "thank you", "I'm still here", "a bit better", "How do I plan?"):
        response = turns.take_turn(
            uid="u1", message=message, analyze=analyze, store=store, session_id=session_id
        )
        session_id = response["session_id"]
    # The crisis turn and its 3 care turns (CARE_TURNS_AFTER_CRISIS), then one chosen for fit.
    assert [t.care for t in store.sessions[session_id].window] == [True] * 4 + [False]


def test_a_turn_of_a_user_who_never_set_a_time_zone_makes_no_claim_about_their_hours() -> None:
    """The default "UTC" is no one's clock: at 23:00 UTC (08:00 in Tokyo) the ranking said
    "Lua suits your nights." and the hour went into the user's hourly activity."""
    night = turns.NOW + timedelta(hours=11)
    for user in (None, {"settings": {"notifications": False}}):
        response, event = _conversation(user)("I feel a bit lonely tonight", now=night)
        assert event.data["local_hour"] is None and event.data["local_date"] is None
        assert "time" not in event.data["components"]
        reasons = [r for r in response["persona"]["reasons"] if " suits " in r]
        assert reasons == []
        delta = delta_for(Event.from_envelope(event.envelope(), subject="k"))
        assert delta is not None and delta.increments["turns"] == 1
        assert not [k for k in delta.increments if k.startswith("hourly.")]
    # One who set UTC: their hour is 23, and it counts.
    response, event = _conversation()("I feel a bit lonely tonight", now=night)
    assert event.data["local_hour"] == 23 and "time" in event.data["components"]
    delta = delta_for(Event.from_envelope(event.envelope(), subject="k"))
    assert delta is not None and delta.increments["hourly.h23"] == 1


def test_the_turn_event_gives_the_user_s_local_date_which_the_hour_alone_cannot() -> None:
    """At 11:30 UTC it is 00:30 on the next day in Auckland (+13) and 00:30 on the same day in
    Pago Pago (-11): the same local_hour, a day apart."""
    at = datetime(2026, 1, 15, 11, 30, tzinfo=UTC)
    dates = {}
    for zone in ("Pacific/Auckland", "Pacific/Pago_Pago"):
        _, event = _conversation({"settings": {"timezone": zone}})("Good evening", now=at)
        assert event.data["local_hour"] == 0
        dates[zone] = event.data["local_date"]
    assert dates == {"Pacific/Auckland": "2026-01-16", "Pacific/Pago_Pago": "2026-01-15"}
    _, event = _conversation(None)("Good evening", now=at)  # never set a time zone
    assert event.data["local_date"] is None


def test_the_turn_event_carries_the_request_s_locale() -> None:
    turn = _conversation()
    _, event = turn("How do I plan my week?", locale="pt-BR")
    assert event.data["locale"] == "pt-BR"
    _, event = turn("How do I plan my week?")  # no Accept-Language
    assert event.data["locale"] is None


def test_insults_and_complaints_about_the_reply_count_against_its_persona() -> None:
    # The boundaries review: five same-session turns of "you're useless", "this is garbage
    # advice, shut up" gave {"stats.riri.alpha": 1.0}: each a follow-up, +0.2 for Riri. The
    # event carries a flag, never the words.
    turn = _conversation()
    first, event = turn("How do I plan my week?", persona="riri")
    assert event.data["complained"] is False  # nothing before it to complain of
    sid = first["session_id"]
    said = (
        "you're useless",
        "this is garbage advice, shut up",
        "you are a stupid worthless piece of junk",
        "shut up bitch",
        "this isn't helping",
    )
    events = [turn(message, sid, persona="riri")[1] for message in said]
    assert all(e.data["complained"] is True for e in events)
    assert not any(message in str(e.envelope()) for e in events for message in said)
    totals: dict[str, float] = {}
    for e in events:
        for path, amount in _evidence(e).items():
            totals[path] = totals.get(path, 0.0) + amount
    assert totals.get("stats.riri.alpha", 0.0) == 0.0 and totals["stats.riri.beta"] > 0
    # an ordinary follow-up is still a small thumbs-up
    _, event = turn("and what about next month?", sid, persona="riri")
    assert event.data["complained"] is False and _evidence(event)["stats.riri.alpha"] > 0


def test_a_short_answer_said_twice_is_no_re_ask() -> None:
    """The neurodivergent-users review: "yes" answered twice counted as re-asking, which marks
    the persona down (stats.<persona>.beta +0.4) though the user only agreed again."""
    turn = _conversation()
    first, _ = turn("I have ADHD, I can't start my essay")
    sid = first["session_id"]
    events = [turn("yes", sid, now=turns.NOW + timedelta(seconds=30 * i))[1] for i in (1, 2)]
    assert [e.data["repeat_of_previous"] for e in events] == [False, False]
