"""A crisis event says which lines and which reply the user was shown: the resources file's
entry and version, the reply's kind and language. The raw locale and a count did not.

The safety-operations review's probe: a crisis turn with no Accept-Language under
SAFETY_DEFAULT_LOCALE en-US and under en-GB made the same event (locale null, 3 resources
shown), though one user was shown US lines and the other UK ones."""

from __future__ import annotations

import hashlib
import uuid

from common.chat import service
from common.chat.models import TurnCreate
from common.config import Settings
from common.safety import RESOURCES_FILE
from tests.fakes import turns
from tests.fakes.turns import NOW

CRISIS = "I want to kill myself"
FRIEND = "my friend wants to kill herself what do i do"


def _crisis_events(
    messages: list[str], locale: str | None = None, settings: Settings | None = None
) -> list[dict]:
    """The safety.crisis_detected events' data of `messages` sent in one session."""
    ports = turns.turn_ports(turns.ActivityStore(), settings=settings or Settings())
    session_id = None
    for message in messages:
        body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id)
        said, _ = service.take_turn(uid="u1", body=body, now=NOW, locale=locale, **ports)
        session_id = said["session_id"]
    return [e.data for e in ports["publisher"].events if e.type == "safety.crisis_detected"]


def test_a_crisis_event_names_the_resources_and_the_reply_shown():
    (event,) = _crisis_events([CRISIS], locale="de-LU")
    version = hashlib.sha256(RESOURCES_FILE.read_bytes()).hexdigest()[:12]
    assert event["resources_key"] == "de"  # Luxembourg has no entry: it reads the German one
    assert event["resources_version"] == version
    # The reply shown: in the language of the message (English), not of the locale.
    assert (event["reply"], event["reply_language"]) == ("first", "en")


def test_the_reply_after_a_no_and_the_one_about_someone_else_are_named():
    first, again = _crisis_events([CRISIS, "no"])
    assert (first["reply"], again["reply"]) == ("first", "again")
    (friend,) = _crisis_events(["mon amie veut se suicider"], locale="fr-FR")
    assert (friend["reply"], friend["reply_language"]) == ("someone_else", "fr")
    # The dark-humour review: a take-back in the words just answered is still a crisis
    first, back = _crisis_events([CRISIS, "i'm not going to kill myself, it was a joke"])
    assert (first["reply"], back["reply"]) == ("first", "taken_back")


def test_with_no_header_the_default_locales_entry_is_named():
    us, gb = (
        _crisis_events([CRISIS], settings=Settings(safety_default_locale=default))[0]
        for default in ("en-US", "en-GB")
    )
    assert us["locale"] is gb["locale"] is None
    assert (us["resources_key"], gb["resources_key"]) == ("en-us", "en-gb")


def test_a_crisis_event_names_the_patterns_kinds_so_an_emergency_is_told_apart():
    # The emergency review: a heart attack and a wish to die made the same event. The kinds are
    # labels only, never the text; a no to the safety question has those of what it answers.
    (heart,) = _crisis_events(["I think I'm having a heart attack"], locale="en-US")
    assert (heart["reply"], heart["kinds"]) == ("emergency", ["emergency"])
    first, no = _crisis_events([CRISIS, "no"])
    assert (first["kinds"], no["kinds"]) == (["suicide"], ["suicide"])
    (friend,) = _crisis_events([FRIEND])
    assert friend["kinds"] == ["third_party"]
