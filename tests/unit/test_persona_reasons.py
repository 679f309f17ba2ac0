"""The reasons a turn gives for its persona tell the truth, through the service with the real
ranking (wiring.rank_personas: the router's reasons and the hour's line, which the fake rank
in tests/fakes/turns.py leaves out)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from common.chat import service, wiring
from common.chat.models import TurnCreate
from common.errors import Unavailable
from common.safety import CARE_REASONS
from tests.fakes import turns

NIGHT = turns.NOW.replace(hour=3)  # the user's hour too: no time zone is set


def _turn(
    store: turns.MemoryStore,
    message: str,
    at: datetime,
    session_id: str | None = None,
    *,
    locale: str | None = None,
) -> dict:
    body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id)
    response, _ = service.take_turn(
        uid="u1",
        body=body,
        **turns.turn_ports(store, rank=wiring.rank_personas),
        now=at,
        locale=locale,
    )
    return response


@pytest.mark.parametrize(
    "message", ["I want to kill myself", "I don't want to be here anymore, everything is pointless"]
)
def test_a_crisis_and_its_care_turns_give_the_care_line_alone(message):
    # The reasons review: at 03:00, "Staying gentle after what you shared." and then "Your pace
    # is steady: Lua matches it", "You're checking in: Lua asks how you really are", "Lua suits
    # your nights.": the router's readings and the hour, which chose nothing here.
    store = turns.MemoryStore()
    crisis = _turn(store, message, NIGHT)
    assert crisis["safety"]["crisis"] is True
    care = _turn(store, "ok. i'm still here", NIGHT + timedelta(minutes=1), crisis["session_id"])
    for turn in (crisis, care):
        assert turn["persona"]["id"] == "lua"
        assert turn["persona"]["reasons"] == ["Staying gentle after what you shared."]


@pytest.mark.parametrize(
    ("locale", "message", "language"),
    [
        ("de-DE", "Ich will nicht mehr leben", "de"),
        ("fr-FR", "je veux mourir", "fr"),
        ("es-ES", "quiero morir", "es"),
        ("ja-JP", "死にたい", "ja"),
        ("pt-BR", "Eu quero morrer", "pt"),
    ],
)
def test_the_care_line_is_in_the_crisis_replys_language(locale, message, language):
    store = turns.MemoryStore()
    crisis = _turn(store, message, turns.NOW, locale=locale)
    assert crisis["safety"]["crisis"] is True
    later = turns.NOW + timedelta(minutes=1)
    care = _turn(store, "ok", later, crisis["session_id"], locale=locale)
    for turn in (crisis, care):
        assert turn["persona"]["reasons"] == [CARE_REASONS[language]]


class _DownOnRead(turns.MemoryStore):
    def read_turn_context(self, **kw):
        raise Unavailable("Conversation storage is unavailable.", code="storage_unavailable")


def test_a_crisis_answered_without_its_session_gives_the_care_line_in_its_language():
    said = _turn(_DownOnRead(), "Ich will nicht mehr leben", turns.NOW, locale="de-DE")
    assert said["degraded"] == [service.NOT_STORED]
    assert said["persona"]["reasons"] == [CARE_REASONS["de"]]
