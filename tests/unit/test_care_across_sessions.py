"""Care after a no to "Are you safe right now?" lasts a day whichever session the user writes in
(the care review: a user who closed the app and began a new session ten minutes later got an
ordinary persona reply with task advice). The user's activity record keeps its end,
`not_safe_until`, as it keeps `crisis_at`."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from common.adapters.firestore_profiles import FirestoreProfileStore, erase_user
from common.chat import service
from common.chat.limits import CRISIS_REMEMBERED, activity_doc, care_after_no, care_language
from common.chat.models import TurnCreate
from common.profile.erasure import BY_USER, ERASURE_DONE
from common.safety import CARE_QUESTION, CARE_REMINDER, resources_for
from common.sessions.state import NOT_SAFE_CARE
from tests.fakes import turns
from tests.fakes.firestore_rpc import FirestoreRpc

UID = "u1"
# Advice an ordinary reply gives and a reply in care never does (test_crisis_turn_words.py).
ADVICE = re.compile(r"grounded|excitement|curious|\d\)|Option|First,|step", re.IGNORECASE)


def _turn(
    store: turns.ActivityStore,
    message: str,
    at: datetime,
    session_id: str | None = None,
    *,
    publisher: turns.Publisher | None = None,
    generator=None,
    locale: str | None = None,
) -> dict:
    body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id)
    overrides = {"publisher": publisher or turns.Publisher()}
    if generator is not None:
        overrides["generator"] = generator
    response, _ = service.take_turn(
        uid=UID, body=body, **turns.turn_ports(store, **overrides), now=at, locale=locale
    )
    return response


def _said_no(store: turns.ActivityStore, at: datetime = turns.NOW) -> dict:
    """A crisis and a no to the question its reply ends with, a minute later: the "no" turn."""
    first = _turn(store, "I want to kill myself", at)
    no = _turn(store, "no", at + timedelta(minutes=1), first["session_id"])
    assert no["safety"]["crisis"] is True
    return no


def test_a_new_session_within_the_day_is_in_care_from_its_first_turn():
    store, publisher = turns.ActivityStore(), turns.Publisher()
    no = _said_no(store)
    later = turns.NOW + timedelta(minutes=11)  # the app closed, a new session ten minutes on
    reply = _turn(store, "can you help me plan my thesis chapter?", later, publisher=publisher)
    assert reply["session_id"] != no["session_id"] and reply["turn_index"] == 0
    assert reply["safety"]["crisis"] is False  # care, not another crisis reply
    assert reply["persona"]["id"] == "lua"
    # The reply path of care: it checks in first, and gives no plan or steps; it names the
    # resources, which this session never showed.
    assert reply["reply"].startswith(CARE_QUESTION) and not ADVICE.search(reply["reply"])
    assert "the resources I shared" not in reply["reply"]
    (event,) = [e for e in publisher.events if e.type == "chat.turn.completed"]
    assert event.data["persona_source"] == "care"
    # Later turns of it remind, as in the session that said no.
    again = _turn(store, "ok", later + timedelta(minutes=1), reply["session_id"])
    assert again["persona"]["id"] == "lua" and again["reply"].endswith(CARE_REMINDER)
    # A generator (Gemini) is asked for a reply in care: its care rule.
    model = turns.RecordingGenerator()
    _turn(store, "hi", later + timedelta(hours=1), generator=model)
    assert [req.care for req in model.asked] == [True]


def test_a_care_turn_asks_the_generator_with_the_locales_resources():
    # The prompts review: in care, Gemini was told to remind of "the resources" with none in
    # its prompt (a care turn's analysis carries none): it could invent a US line for a UK user.
    store, model = turns.ActivityStore(), turns.RecordingGenerator()
    _said_no(store)
    later = turns.NOW + timedelta(minutes=11)
    reply = _turn(store, "hi", later, generator=model, locale="en-GB")
    (req,) = model.asked
    assert req.care and any("Samaritans" in r for r in req.care_resources)
    assert req.care_resources == resources_for("en-GB", default_locale="en-US")
    assert reply["safety"]["resources"] == []  # the contract: resources on a crisis turn only
    # Off care, none.
    _turn(store, "hi", later + NOT_SAFE_CARE, generator=model, locale="en-GB")
    assert not model.asked[-1].care and model.asked[-1].care_resources == ()


def test_a_no_in_the_new_session_answers_nothing():
    # There was no question in it: a "no" is no crisis, though the turn is taken with care.
    store = turns.ActivityStore()
    _said_no(store)
    reply = _turn(store, "no", turns.NOW + timedelta(minutes=11))
    assert reply["safety"]["crisis"] is False and reply["persona"]["id"] == "lua"


def test_care_in_a_new_session_ends_a_day_after_the_no():
    store, publisher = turns.ActivityStore(), turns.Publisher()
    _said_no(store)
    ended = turns.NOW + timedelta(minutes=1) + NOT_SAFE_CARE
    reply = _turn(store, "can you help me plan my thesis chapter?", ended, publisher=publisher)
    (event,) = [e for e in publisher.events if e.type == "chat.turn.completed"]
    assert event.data["persona_source"] != "care"
    assert CARE_QUESTION not in reply["reply"] and not reply["reply"].endswith(CARE_REMINDER)


def test_a_crisis_in_another_session_within_the_day_extends_care():
    """As a crisis turn in the session that said no does (the own-diff review: in another
    session it left the first day's end, and a user in crisis again 20 h after a no, in a new
    session, had an hour of care left)."""
    store = turns.ActivityStore()
    _said_no(store)
    assert store.activity[UID]["not_safe_until"] == turns.NOW + timedelta(minutes=1) + NOT_SAFE_CARE
    # Ten hours on, a crisis in another session, answered "yes": care a day from that crisis.
    at = turns.NOW + timedelta(hours=10)
    other = _turn(store, "I want to die", at)
    _turn(store, "yes, I'm at home", at + timedelta(minutes=1), other["session_id"])
    assert store.activity[UID]["not_safe_until"] == at + NOT_SAFE_CARE
    assert store.sessions[other["session_id"]].not_safe_until == at + NOT_SAFE_CARE
    # A third session, past the first day, within the second: care.
    reply = _turn(store, "can you help me plan my thesis?", turns.NOW + timedelta(hours=30))
    assert reply["persona"]["id"] == "lua" and reply["reply"].startswith(CARE_QUESTION)


def test_a_first_crisis_a_day_after_the_no_is_its_sessions_only():
    store = turns.ActivityStore()
    _said_no(store)
    until = store.activity[UID]["not_safe_until"]
    at = until + timedelta(hours=1)
    other = _turn(store, "I want to die", at)
    assert care_after_no(store.activity[UID], at) is None  # not extended: past, dropped
    assert store.sessions[other["session_id"]].not_safe_until is None


def test_a_later_no_in_another_session_moves_the_end_later():
    store = turns.ActivityStore()
    _said_no(store)
    _said_no(store, turns.NOW + timedelta(hours=5))
    assert store.activity[UID]["not_safe_until"] == (
        turns.NOW + timedelta(hours=5, minutes=1) + NOT_SAFE_CARE
    )


def test_the_record_lives_as_long_as_the_care_it_keeps():
    store = turns.ActivityStore()
    _said_no(store)
    record = store.activity[UID]
    assert record["expires_at"] >= record["not_safe_until"] > turns.NOW
    # However it came to be there, past the 30 days of crisis_at too.
    far = turns.NOW + CRISIS_REMEMBERED + timedelta(days=1)
    doc = activity_doc([(turns.NOW, "h")], limited_until=None, crisis_at=turns.NOW,
                       not_safe_until=far)  # fmt: skip
    assert doc["expires_at"] == far and care_after_no(doc, turns.NOW) == far
    assert care_after_no(doc, far) is None and care_after_no(None, turns.NOW) is None


def test_an_ordinary_turn_keeps_the_end_in_the_record():
    store = turns.ActivityStore()
    _said_no(store)
    until = store.activity[UID]["not_safe_until"]
    assert until is not None
    _turn(store, "thanks", turns.NOW + timedelta(hours=2))
    assert store.activity[UID]["not_safe_until"] == until


def test_an_erased_users_record_and_its_care_are_gone_and_the_export_shows_it():
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    until = now + NOT_SAFE_CARE
    record = activity_doc([(now, "h")], limited_until=None, crisis_at=now, not_safe_until=until)
    rpc = FirestoreRpc({"activity/u1": record}, queries=True)
    export = FirestoreProfileStore(rpc.client, sessions=None).export_user(uid="u1", ukey="k1")
    assert export["recent_activity"]["not_safe_until"] == "2026-12-07T12:00:00.000000Z"
    erase_user(
        rpc.client, uid="u1", ukey="k1", now=now + timedelta(minutes=5), requested_by=BY_USER
    )
    assert set(rpc.docs["activity/u1"]) == {ERASURE_DONE, "expires_at"}  # the tombstone only
    assert care_after_no(rpc.docs["activity/u1"], now + timedelta(minutes=6)) is None


def test_the_record_keeps_the_crisis_language_with_care_after_a_no_only():
    until = turns.NOW + NOT_SAFE_CARE
    kept = activity_doc([(turns.NOW, "h")], limited_until=None, not_safe_until=until,
                        crisis_language="es")  # fmt: skip
    assert care_language(kept, turns.NOW) == "es" and care_language(kept, until) is None
    # without care after a no there is no care for it to speak in
    alone = activity_doc([(turns.NOW, "h")], limited_until=None, crisis_language="es")
    assert alone["crisis_language"] is None and care_language(alone, turns.NOW) is None
    # a record written before it was kept: the locale's, as before
    assert care_language({"not_safe_until": until}, turns.NOW) is None
