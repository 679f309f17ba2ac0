"""GET /v2/profile's answer: with personalization off, no learned favourite is shown (the
support review: the answer named a favourite learned while it was off, which nothing uses)."""

from __future__ import annotations

from datetime import UTC, datetime

from common.config import Settings
from common.profile.service import get_profile

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
LIKES_LUA = {"stats": {"lua": {"alpha": 6.0, "beta": 0.0}}, "turns": 12, "feedback_count": 6}


class Store:
    def __init__(self, user: dict | None) -> None:
        self.user = user

    def read_profile(self, *, uid: str, ukey: str):
        return self.user, LIKES_LUA


def _answer(settings: dict):
    store = Store({"settings": settings})
    return get_profile(uid="u1", store=store, settings=Settings(analytics_key="k" * 32), now=NOW)


def test_the_favourite_is_hidden_while_personalization_is_off() -> None:
    off = _answer({"personalization": False})
    assert off.favourite_persona is None
    # what was learned is still there, and shown again once it is back on
    assert off.preferences["lua"].satisfaction > 0.5
    assert _answer({"personalization": True}).favourite_persona == "lua"


def test_the_favourite_is_hidden_once_the_preferences_have_faded() -> None:
    # The final re-read: a profile not updated for PREFERENCES_FADE_DAYS ranks no more, but the
    # answer still named its favourite.
    from datetime import timedelta

    from common.personalization.preferences import PREFERENCES_FADE_DAYS

    class Faded(Store):
        def read_profile(self, *, uid: str, ukey: str):
            return self.user, LIKES_LUA | {"updated_at": NOW - timedelta(PREFERENCES_FADE_DAYS + 1)}

    settings = Settings(analytics_key="k" * 32)
    store = Faded({"settings": {"personalization": True}})
    assert get_profile(uid="u1", store=store, settings=settings, now=NOW).favourite_persona is None
