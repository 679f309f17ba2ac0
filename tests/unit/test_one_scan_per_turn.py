"""A turn scans its message with the crisis patterns once. The regex review: a crafted
4,000-character message costs several hundred ms of CPU to scan, and the in-flight cap, a
limited turn and a turn to a session that is gone each scanned it again (up to 3 times), on
top of the turn's analysis; a message the patterns flag is never refused by any of them."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from common.analysis import safety
from common.chat import service
from common.config import Settings
from common.errors import RateLimited
from tests.fakes import turns
from tests.fakes.turns import NOW

CRISIS = "I don’t want to live anymore"  # ’: the analysis reads it as ', as the limits now do


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the crisis patterns scan (matched_patterns), in order."""
    scanned: list[str] = []
    scan = safety.matched_patterns

    def counted(text: str) -> dict[str, float]:
        scanned.append(text)
        return scan(text)

    monkeypatch.setattr(safety, "matched_patterns", counted)
    return scanned


def _turn(store, message: str, *, at=NOW, session_id: str | None = None) -> dict:
    return turns.take_turn(
        uid="u1",
        message=message,
        analyze=turns.analyze_offline,
        store=store,
        session_id=session_id,
        now=at,
    )


def test_an_ordinary_turn_and_a_crisis_are_scanned_once(scans):
    assert _turn(turns.MemoryStore(), "How do I plan my week?")["safety"]["crisis"] is False
    assert _turn(turns.MemoryStore(), CRISIS)["safety"]["crisis"] is True
    assert len(scans) == 2


def test_a_crisis_about_someone_else_is_scanned_once(scans):
    """The reply for a worried friend asks which patterns matched: the analysis's scan."""
    answered = _turn(turns.MemoryStore(), "my friend wants to kill herself what do i do")
    assert answered["safety"]["crisis"] is True and "Thank you for caring" in answered["reply"]
    assert len(scans) == 1


def test_a_crisis_past_the_in_flight_cap_is_scanned_once(monkeypatch, scans):
    monkeypatch.setattr(service, "_TURNS", service._Slots(float("inf"), service.TURNS_PER_USER))
    for _ in range(service.TURNS_PER_USER):
        assert service._TURNS.take("u1")
    assert _turn(turns.MemoryStore(), CRISIS)["safety"]["crisis"] is True
    assert len(scans) == 1  # was 2: the cap's, then the analysis's
    with pytest.raises(RateLimited):
        _turn(turns.MemoryStore(), "hello?")
    assert len(scans) == 2  # refused at the cap: its one scan


def test_a_limited_crisis_is_scanned_once(scans):
    store = turns.ActivityStore()
    minute = Settings().anomaly_burst_minute_max
    for i in range(minute):  # the minute's burst limit
        _turn(store, f"question {i}", at=NOW + timedelta(seconds=i))
    with pytest.raises(RateLimited):
        _turn(store, "one more", at=NOW + timedelta(seconds=minute + 1))
    del scans[:]
    answered = _turn(store, CRISIS, at=NOW + timedelta(seconds=minute + 2))
    assert answered["safety"]["crisis"] is True
    assert len(scans) == 1  # was 2: the analysis's, then the limits'


def test_a_crisis_to_a_session_that_is_gone_is_scanned_once(scans):
    answered = _turn(turns.MemoryStore(), CRISIS, session_id=uuid.uuid4().hex)
    assert answered["safety"]["crisis"] is True
    assert len(scans) == 1  # was 2: the analysis's, then the session's check


def test_scans_are_kept_for_one_turn_only(scans):
    with safety.scanned_once():
        assert safety.assess_safety(CRISIS) == safety.assess_safety(CRISIS)
    safety.assess_safety(CRISIS)
    assert len(scans) == 2
