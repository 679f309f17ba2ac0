"""What a turn tells analytics and the profile updater about the turn before it."""

from __future__ import annotations

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


def test_the_turn_after_the_crisis_safety_message_says_nothing_about_a_persona() -> None:
    store, publisher = turns.MemoryStore(), turns.Publisher()

    def turn(message: str, session_id: str | None = None) -> tuple[dict, Event]:
        response = turns.take_turn(
            uid="u1",
            message=message,
            analyze=analyze,
            store=store,
            publisher=publisher,
            session_id=session_id,
        )
        return response, [e for e in publisher.events if e.type == "chat.turn.completed"][-1]

    first, _ = turn(CRISIS)
    assert first["safety"]["crisis"] and first["persona"]["id"] == "lua"  # shown under care
    sid = first["session_id"]
    _, after_crisis = turn("thank you, I will call them", sid)
    assert after_crisis.data["previous_persona"] == "lua"
    assert after_crisis.data["previous_crisis"] is True
    assert _evidence(after_crisis) == {}  # no follow-up credited to Lua for the safety message
    _, later = turn("it helped to talk", sid)
    assert later.data["previous_crisis"] is False
    assert _evidence(later)  # Lua wrote the care reply before it: a follow-up counts for her
