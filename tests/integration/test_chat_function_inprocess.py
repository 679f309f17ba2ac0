"""The chat entry point in-process (functions-framework's test client) against the emulators,
with Gemini served by a local server that speaks its REST protocol."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from common import clients
from common.adapters.firestore_profiles import erase_user
from common.chat import service
from common.chat.limits import CRISIS_REMEMBERED
from common.config import get_settings
from common.errors import Unavailable
from common.events import user_key
from common.profile.erasure import BY_USER
from common.safety import crisis_reply, resources_for
from common.sse import sse_event
from scripts.function_client import function_client
from tests.fakes.gemini_server import FakeGeminiServer, gemini_server_fixture  # noqa: F401


@pytest.fixture
def gemini_chat(monkeypatch, gemini_server: FakeGeminiServer):
    monkeypatch.setenv("RESPONSE_GENERATOR", "gemini")
    monkeypatch.setenv("GEMINI_BASE_URL", gemini_server.base_url)
    monkeypatch.setenv("GEMINI_TIMEOUT_SECONDS", "2")
    get_settings.cache_clear()
    clients.response_generator.cache_clear()
    yield function_client("chat"), gemini_server
    get_settings.cache_clear()
    clients.response_generator.cache_clear()


def _turn(client, user, message, session_id=None, headers_language=None, **extra):
    body = {"session_id": session_id, "client_turn_id": uuid.uuid4().hex, "message": message}
    headers = {
        **user.headers,
        **({"Accept-Language": headers_language} if headers_language else {}),
    }
    return client.post("/v2/chat/turns", json={**body, **extra}, headers=headers)


def test_gemini_writes_the_reply_with_the_persona_and_the_conversation(gemini_chat, user):
    client, server = gemini_chat
    server.reply_text = "Let's take this one step at a time."
    first = _turn(client, user, "I'm nervous about my interview at Spotify on Friday")
    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.json["reply"] == "Let's take this one step at a time."
    assert first.json["degraded"] == []
    second = _turn(client, user, "that advice didn't help", first.json["session_id"])
    assert second.status_code == 201
    sent = server.last_request
    persona = second.json["persona"]["name"]
    assert f"You are {persona}" in sent.system_instruction
    assert any("Spotify" in t for t in sent.content_texts("user"))  # the earlier turn


@pytest.mark.parametrize("stream", [False, True])
def test_a_crisis_gets_the_fixed_safety_reply_and_gemini_is_not_asked(gemini_chat, user, stream):
    client, server = gemini_chat
    first = _turn(client, user, "work has been rough lately")
    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.json["reply"] == server.reply_text  # Gemini writes the ordinary replies
    asked = len(server.requests)
    # Flagged by the baseline's high-precision patterns (tests/unit/test_safety.py), so with or
    # without the persona model.
    r = _turn(client, user, "I'm going to kill myself", first.json["session_id"], stream=stream)
    reply = crisis_reply(resources_for(None, default_locale=get_settings().safety_default_locale))
    if stream:
        assert r.status_code == 200, r.get_data(as_text=True)
        body = r.get_data(as_text=True)
        assert sse_event("token", {"text": reply}) in body  # the whole message, one token
        final = json.loads(body.split("event: final\ndata: ", 1)[1].split("\n", 1)[0])
    else:
        assert r.status_code == 201, r.get_data(as_text=True)
        final = r.json
    assert final["safety"]["crisis"] is True
    assert final["reply"] == reply  # never a model's improvisation
    assert len(server.requests) == asked


def test_a_user_hurt_at_home_is_given_the_line_for_violence_at_home(gemini_chat, user):
    client, server = gemini_chat
    asked = len(server.requests)
    r = _turn(client, user, "mein Mann schlägt mich", headers_language="de-DE")
    assert r.status_code == 201, r.get_data(as_text=True)
    resources = r.json["safety"]["resources"]
    assert r.json["safety"]["crisis"] is True and len(server.requests) == asked
    assert "112" in resources[0] and "116 016" in resources[1], resources
    assert all(line in r.json["reply"] for line in resources)


def test_the_activity_record_remembers_a_crisis_for_30_days(gemini_chat, user):
    """So that no "pick up where you left off" nudge reaches the user meanwhile, also when
    their crisis went to analytics without a key (common.notifications.reengagement)."""
    client, _ = gemini_chat
    first = _turn(client, user, "I'm going to kill myself")
    assert first.status_code == 201 and first.json["safety"]["crisis"], first.get_data(as_text=True)
    record = clients.firestore_client().collection("activity").document(user.uid)
    stored = record.get().to_dict()
    assert stored["expires_at"] == stored["crisis_at"] + CRISIS_REMEMBERED
    later = _turn(client, user, "thanks, that helps a bit", first.json["session_id"])
    assert later.status_code == 201 and not later.json["safety"]["crisis"]
    assert record.get().to_dict()["crisis_at"] == stored["crisis_at"]  # an ordinary turn keeps it


def test_care_after_a_no_carries_into_a_new_session(gemini_chat, user):
    """A user who said no to "Are you safe right now?" and starts a new session is still taken
    with care there (the activity record's not_safe_until): the calm persona, Gemini's care rule."""
    client, server = gemini_chat
    first = _turn(client, user, "I'm going to kill myself")
    no = _turn(client, user, "no", first.json["session_id"])
    assert no.status_code == 201 and no.json["safety"]["crisis"], no.get_data(as_text=True)
    record = clients.firestore_client().collection("activity").document(user.uid).get().to_dict()
    assert (
        record["not_safe_until"] > record["crisis_at"]
        and record["expires_at"] >= record["not_safe_until"]
    )
    new = _turn(client, user, "can you help me plan my week?")
    assert new.status_code == 201, new.get_data(as_text=True)
    assert new.json["session_id"] != first.json["session_id"]
    assert not new.json["safety"]["crisis"] and new.json["persona"]["id"] == "lua"
    assert "CARE:" in server.last_request.system_instruction


@pytest.mark.parametrize("mode", ["error_500", "error_429", "hang", "empty"])
def test_when_gemini_fails_the_template_answers_and_says_so(gemini_chat, user, mode):
    client, server = gemini_chat
    server.fail(mode, hang_seconds=5)
    r = _turn(client, user, "how do I learn SQL quickly?")
    assert r.status_code == 201
    assert r.json["degraded"] == ["reply_generator"]
    assert r.json["reply"].strip()


def test_turns_sent_at_once_past_the_limits_ask_gemini_only_for_those_they_allow(
    gemini_chat, user, monkeypatch
):
    # The abuse review: each instance lets a user have 3 turns in flight, and the limits
    # counted only stored turns, so 12 at once across 4 instances each had Gemini write a reply
    # and 4 were then refused. Each turn now takes its place in the activity record first.
    # Four more at once than the minute's limit allows (it was 8 with 12 sent; 15 since).
    allowed = get_settings().anomaly_burst_minute_max
    at_once = allowed + 4
    monkeypatch.setattr(service, "_TURNS", service._Slots(float("inf"), at_once))
    client, server = gemini_chat
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        sent = range(at_once)
        codes = list(pool.map(lambda i: _turn(client, user, f"at once {i}").status_code, sent))
    assert set(codes) <= {201, 429, 503}, codes  # 503: lost every race for the record
    assert 1 <= codes.count(201) <= len(server.requests) <= allowed


def _left_of(uid: str) -> list[str]:
    """Paths of what the database still holds of the user's conversations and activity."""
    from google.cloud.firestore_v1.base_query import FieldFilter

    db = clients.firestore_client()
    owned = FieldFilter("owner_uid", "==", uid)
    left = [s.reference.path for c in ("sessions", "turn_keys") for s in
            db.collection(c).where(filter=owned).stream()]  # fmt: skip
    left += [s.reference.path for s in db.collection_group("turns").where(filter=owned).stream()]
    activity = db.collection("activity").document(uid).get()
    # but for a finished erasure's tombstone: no data, and gone in ten minutes
    tombstone = activity.exists and set(activity.to_dict()) == {"erasure_done_at", "expires_at"}
    return left + ([activity.reference.path] if activity.exists and not tombstone else [])


def test_while_the_users_erasure_runs_a_turn_is_refused_and_stores_nothing(
    gemini_chat, user, scheduler_paused
):
    # An erasure cut off after its first batches (a timeout) is finished by the cleanup job
    # later; until then a turn would be stored after the erasure listed what to delete. Begun
    # 11 minutes ago: a DELETE sent again finishes it only once its mark is that old (a younger
    # one may be a run still going, and gets 409).
    # The stack's hourly-in-production cleanup runs every minute here and would finish it.
    client, _ = gemini_chat
    first = _turn(client, user, "help me plan my week")
    assert first.status_code == 201, first.get_data(as_text=True)
    ukey = user_key(user.uid, get_settings().analytics_key.get_secret_value())
    db = clients.firestore_client()
    began = datetime.now(UTC) - timedelta(minutes=11)
    with pytest.raises(Unavailable):
        erase_user(
            db, uid=user.uid, ukey=ukey, now=began, requested_by=BY_USER, in_time=lambda: False
        )
    left = _left_of(user.uid)

    for session in (None, first.json["session_id"]):
        r = _turn(client, user, "and what about next week?", session)
        assert r.status_code == 409, r.get_data(as_text=True)
        assert r.json["error"]["code"] == "erasure_in_progress"
        assert r.headers["Retry-After"] == "5"
        # A user in crisis gets the resources all the same: answered, not stored.
        crisis = _turn(client, user, "I'm going to kill myself", session)
        assert crisis.status_code == 201, crisis.get_data(as_text=True)
        assert crisis.json["safety"]["resources"]
        assert crisis.json["degraded"][-1] == service.NOT_STORED
    assert _left_of(user.uid) == left

    clients.profile_store().erase_user(uid=user.uid, ukey=ukey, now=datetime.now(UTC))
    assert _left_of(user.uid) == []
    again = _turn(client, user, "starting over")
    assert again.status_code == 201, again.get_data(as_text=True)


@pytest.mark.parametrize("where", ["a first turn", "a new conversation", "an existing one"])
def test_a_turn_in_flight_when_its_user_erases_everything_is_not_kept(gemini_chat, user, where):
    # The erasure runs while Gemini writes the reply: after the turn read what it needed,
    # before it commits, so the erasure's listing cannot see what the turn is about to write.
    # A first turn has no activity record to commit on: only creates, of documents the
    # erasure never saw, unless the erasure leaves a tombstone of the record.
    client, server = gemini_chat
    session = None
    if where != "a first turn":
        first = _turn(client, user, "help me plan a hard conversation with my team")
        assert first.status_code == 201, first.get_data(as_text=True)
        session = first.json["session_id"] if where == "an existing one" else None
    ukey = user_key(user.uid, get_settings().analytics_key.get_secret_value())
    answer = server.next_reply

    def erase_then_answer() -> str:
        clients.profile_store().erase_user(uid=user.uid, ukey=ukey, now=datetime.now(UTC))
        return answer()

    server.next_reply = erase_then_answer
    r = _turn(client, user, "and if they push back, what then?", session)
    assert r.status_code in (404, 409), r.get_data(as_text=True)
    assert r.json["error"]["code"] in ("profile_erased", "session_not_found")
    assert _left_of(user.uid) == []
    # a message sent after the erasure starts afresh
    server.next_reply = answer
    again = _turn(client, user, "starting over")
    assert again.status_code == 201, again.get_data(as_text=True)
