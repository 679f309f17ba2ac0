"""GET /v2/profile/export of a long history (the power-user review): one unpaged read per
collection outlived its 5 s deadline and held every turn in memory (~20 KB a turn, 512 MB an
instance), for a conversation kept going daily (90 days x 180 turns). Every read is now a page
and the body is written as it is read."""

from __future__ import annotations

import json
import logging
import tracemalloc
from datetime import timedelta
from types import ModuleType

import flask
import pytest
from google.api_core import exceptions

from common import clients, logs
from common.adapters import firestore_calls
from common.adapters.firestore_profiles import EXPORT_PAGE, FirestoreProfileStore
from common.adapters.firestore_sessions import decode_session
from common.auth import Caller
from common.breaker import CircuitBreaker
from common.json_stream import CutOff
from common.timestamps import rfc3339
from tests.fakes.firestore_rpc import FirestoreRpc
from tests.fakes.functions import load_main
from tests.fakes.turns import NOW

UID, SID = "u1", "s" * 32
PATH = "/v2/profile/export"
app = flask.Flask(__name__)


def _session(sid: str = SID) -> dict:
    return {
        "session_id": sid,
        "owner_uid": UID,
        "created_at": NOW,
        "last_interaction_at": NOW,
        "expires_at": NOW + timedelta(days=1),
        "turn_count": 2,
        "context_window": "[]",
        "summary": {},
        "current_persona": "lua",
    }


ANALYSIS = {
    "sentiment": {"label": "negative", "score": -0.3},
    "tone": {"label": "anxious", "confidence": 0.7},
    "pace": {"label": "steady", "confidence": 0.6},
    "intent": {"label": "planning", "confidence": 0.6},
    "entities": [],
}


def _turn(i: int, *, sid: str = SID, reply: str = "Let's slow down.", when=NOW) -> dict:
    """A turn as the chat function stores it, its response as JSON text."""
    response = {
        "turn_index": i,
        "persona": {"id": "lua", "name": "Lua", "score": 0.5, "reasons": ["Fits anxious"]},
        "alternatives": [{"id": "riri", "name": "Riri", "score": 0.2}] * 2,
        "reply": reply,
        "analysis": ANALYSIS,
        "safety": {"crisis": False, "resources": []},
        "degraded": [],
    }
    return {
        "turn_id": f"t{i:05d}",
        "turn_index": i,
        "session_id": sid,
        "owner_uid": UID,
        "message": "ça va? 🙂 I feel overwhelmed by the tickets this week",
        "reply": reply,
        "created_at": when + timedelta(seconds=i),
        "fingerprint": "f" * 16,
        "persona_scores": {"lua": 0.5, "riri": 0.2, "elro": 0.2, "nana": 0.1},
        "propensity": 0.9,
        "response": json.dumps(response),
    }


def _heavy(n: int, reply: str = "Let's slow down.") -> FirestoreRpc:
    """A user whose one conversation has `n` turns (ids in turn order: the fake ignores
    order_by and answers in path order, as Firestore would answer the query's order)."""
    rpc = FirestoreRpc({f"sessions/{SID}": _session()}, queries=True)
    for i in range(n):
        rpc.put(f"sessions/{SID}/turns/t{i:05d}", _turn(i, reply=reply))
    return rpc


@pytest.fixture
def profile(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    profile = load_main("profile")
    monkeypatch.setattr(profile, "authenticate", lambda request: Caller(uid=UID))
    # each test's outages its own: a page failing counts against the instance's breaker
    monkeypatch.setattr(
        firestore_calls, "STORAGE_BREAKER", CircuitBreaker(failures=3, reset_seconds=2.0)
    )
    return profile


def _export(profile: ModuleType, rpc: FirestoreRpc, monkeypatch) -> flask.Response:
    store = FirestoreProfileStore(rpc.client, sessions=None)
    monkeypatch.setattr(clients, "profile_store", lambda: store)
    with app.test_request_context(PATH):
        return profile.profile(flask.request)


def _session_turn_queries(rpc: FirestoreRpc) -> list:
    return [
        q
        for q in rpc.sent
        if q.from_[0].collection_id == "turns" and not q.from_[0].all_descendants
    ]


def test_every_read_of_a_long_history_is_a_page(profile, monkeypatch):
    rpc = _heavy(2000)
    for i in range(EXPORT_PAGE + 5):  # a rating of most turns: more than a page too
        rpc.put(f"feedback/{UID}_t{i:05d}", {"owner_uid": UID, "turn_id": f"t{i:05d}"})
    response = _export(profile, rpc, monkeypatch)
    export = json.loads(response.get_data())

    assert [t["turn_index"] for t in export["sessions"][0]["turns"]] == list(range(2000))
    assert len(export["feedback"]) == EXPORT_PAGE + 5
    limits = [q.limit if "limit" in q else None for q in rpc.sent]
    assert limits and all(n is not None and 0 < n <= EXPORT_PAGE for n in limits), limits
    # each of the session's pages asks Firestore for its turns in order
    pages = _session_turn_queries(rpc)
    assert len(pages) == 2000 // EXPORT_PAGE + 1
    assert {tuple(o.field.field_path for o in q.order_by) for q in pages} == {
        ("turn_index",),
        ("turn_index", "__name__"),  # after the first: from the last turn read
    }


def test_a_small_users_export_is_the_document_it_was_written_as_it_is_read(profile, monkeypatch):
    other = "o" * 32  # a session that is gone: its turns are listed on their own, oldest first
    push = {"owner_uid": UID, "status": "sent", "lease_until": NOW}
    rpc = FirestoreRpc(
        {
            f"users/{UID}": {"settings": {"timezone": "Europe/Berlin"}, "updated_at": NOW},
            f"users/{UID}/devices/d1": {"platform": "ios", "created_at": NOW},
            f"sessions/{SID}": _session(),
            f"sessions/{SID}/turns/t00000": _turn(0),
            f"sessions/{SID}/turns/t00001": _turn(1),
            f"sessions/{other}/turns/t00000": _turn(0, sid=other, when=NOW + timedelta(hours=1)),
            f"sessions/{other}/turns/t00001": _turn(1, sid=other, when=NOW - timedelta(hours=1)),
            f"feedback/{UID}_t00001": {"owner_uid": UID, "rating": 4, "created_at": NOW},
            "deferred_notifications/n1": {"owner_uid": UID, "due_at": NOW},
            "push_notifications/p1": {**push, "created_at": NOW + timedelta(minutes=1)},
            "push_notifications/p2": {**push, "created_at": NOW},
        },
        queries=True,
    )
    response = _export(profile, rpc, monkeypatch)

    assert response.is_streamed and response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == 'attachment; filename="ion-export.json"'
    assert response.headers["X-Request-Id"] and "Content-Length" not in response.headers
    body = response.get_data()
    export = json.loads(body)
    # the bytes json_response wrote for the same document
    assert body == json.dumps(export, ensure_ascii=False, separators=(",", ":")).encode()
    assert list(export) == [
        "uid",
        "profile",
        "learned_preferences",
        "previous_learned_preferences",
        "sessions",
        "turns_without_session",
        "feedback",
        "devices",
        "pending_notifications",
        "push_notifications",
        "recent_activity",
        "effective_settings",
        "analytics",
    ]

    def turn(i: int, sid: str = SID, when=NOW) -> dict:
        stored = {**_turn(i, sid=sid, when=when), "response": json.loads(_turn(i)["response"])}
        del stored["fingerprint"]
        return {**stored, "created_at": rfc3339(stored["created_at"])}

    session = json.loads(json.dumps(decode_session(_session()).to_dict(), default=rfc3339))
    assert export["uid"] == UID
    assert export["profile"] == {
        "settings": {"timezone": "Europe/Berlin"},
        "updated_at": rfc3339(NOW),
    }
    assert (export["learned_preferences"], export["previous_learned_preferences"]) == ({}, {})
    assert export["sessions"] == [{**session, "turns": [turn(0), turn(1)]}]
    assert list(export["sessions"][0])[-1] == "turns"
    assert export["turns_without_session"] == [
        turn(1, other, NOW - timedelta(hours=1)),
        turn(0, other, NOW + timedelta(hours=1)),
    ]
    assert export["feedback"] == [{"owner_uid": UID, "rating": 4, "created_at": rfc3339(NOW)}]
    assert export["devices"] == [{"platform": "ios", "created_at": rfc3339(NOW)}]
    assert export["pending_notifications"] == [{"owner_uid": UID, "due_at": rfc3339(NOW)}]
    assert [p["created_at"] for p in export["push_notifications"]] == [
        rfc3339(NOW),
        rfc3339(NOW + timedelta(minutes=1)),
    ]
    assert all("lease_until" not in p for p in export["push_notifications"])
    assert export["recent_activity"] == {}
    assert export["effective_settings"]["timezone"] == "Europe/Berlin"
    assert set(export["analytics"]) == {"user_key", "note"}


def test_exporting_thousands_of_turns_holds_a_page_of_them_not_the_history(profile, monkeypatch):
    """The review measured ~20 KB of Python a turn held (a 900-character reply); held at once,
    2,000 turns are ~40 MB. Read a page at a time, what is held at once does not grow with the
    history: a page of turns, the fake's encoded answer to it and a chunk of the body, under
    one page at the review's 20 KB a turn (6 MB; measured: 2.8 MB for 300 turns, 4.2 MB for 2,000
    or 5,000)."""
    n, reply = 2000, "x" * 900
    rpc = _heavy(n, reply)
    tracemalloc.start()
    try:
        response = _export(profile, rpc, monkeypatch)
        size = sum(len(chunk) for chunk in response.response)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert size > n * len(reply)  # the whole export went out
    assert peak < EXPORT_PAGE * 20_000, f"{peak / 1e6:.1f} MB at once"


def _failing_page(rpc: FirestoreRpc, nth: int) -> None:
    """The session's `nth` page of turns (from 1) outlives its deadline."""
    answer, asked = rpc.api.run_query.side_effect, []

    def run_query(request: dict, **kw):
        source = request["structured_query"].from_[0]
        if source.collection_id == "turns" and not source.all_descendants:
            asked.append(request)
            if len(asked) == nth:
                raise exceptions.DeadlineExceeded("Deadline Exceeded")
        return answer(request=request, **kw)

    rpc.api.run_query.side_effect = run_query


def test_a_page_failing_mid_export_drops_the_connection_before_the_end(
    profile, monkeypatch, caplog
):
    """The 200 and the start of the body are sent: a truncated document that parses would look
    whole. The body stops before its end (the server drops the connection, CutOff) and what came
    does not parse; the failure is logged with the 503 the answer could not be."""
    rpc = _heavy(2000)
    _failing_page(rpc, 3)
    with caplog.at_level(logging.WARNING, logger="common.http"):
        response = _export(profile, rpc, monkeypatch)
        assert response.status_code == 200
        got = []
        with pytest.raises(CutOff):
            for chunk in response.response:
                got.append(chunk)
    body = b"".join(got)
    assert body.startswith(b'{"uid":"u1"') and b'"turn_id":"t00300"' in body  # page 2
    with pytest.raises(ValueError):
        json.loads(body)
    (record,) = caplog.records
    assert getattr(record, logs.STREAMED_STATUS) == 503
    assert record.code == "storage_unavailable"


def test_a_page_failing_before_the_body_starts_is_an_ordinary_503(profile, monkeypatch):
    rpc = _heavy(2000)
    _failing_page(rpc, 1)
    response = _export(profile, rpc, monkeypatch)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.get_json()["error"]["code"] == "storage_unavailable"
