"""Chat turns end to end through the local gateway, as the mobile app uses them."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.stack_fixtures import new_turn

CONVERSATION = (
    "I tried restarting the Jenkins build server but the pipeline still fails",
    "my manager wants it fixed by tomorrow and I'm getting anxious",
    "should I roll back to last week's version or keep debugging?",
    "ok rolling back. how do I explain this to the team?",
    "that didn't work, the rollback broke the deploy too",
    "fine, it's deployed now. thanks",
    "what should I learn so this doesn't happen again?",
)


def test_seven_turn_conversation_keeps_five_and_summarises_the_rest(api, user, events):
    session_id = None
    for i, message in enumerate(CONVERSATION):
        r = new_turn(api, user, message, session_id)
        assert r.status_code == 201, r.text
        turn = r.json()
        session_id = session_id or turn["session_id"]
        assert turn["session_id"] == session_id
        assert turn["turn_index"] == i
        assert turn["persona"]["id"] in {"lua", "riri", "elro", "nana"}
        assert turn["persona"]["reasons"]
        assert len(turn["alternatives"]) == 2
        assert turn["persona"]["id"] not in {a["id"] for a in turn["alternatives"]}
        assert turn["reply"].strip()
        assert turn["degraded"] == []
        assert set(turn["analysis"]) == {"sentiment", "tone", "pace", "intent", "entities"}

    r = api.get(f"/v2/sessions/{session_id}", headers=user.headers)
    assert r.status_code == 200
    session = r.json()
    assert session["turn_count"] == 7
    assert [t["turn_index"] for t in session["context_window"]] == [2, 3, 4, 5, 6]
    assert session["context_window"][-1]["message"] == CONVERSATION[-1]
    # Turn 1 has left the window; the summary still knows what the user tried and named.
    assert "restarting the Jenkins build server" in session["summary"]
    assert session["current_persona"] in {"lua", "riri", "elro", "nana"}
    expires = datetime.fromisoformat(session["expires_at"].replace("Z", "+00:00"))
    assert timedelta(hours=23, minutes=58) < expires - datetime.now(UTC) <= timedelta(hours=24)

    # Every turn in the subcollection, for sync, in order.
    page = api.get(f"/v2/sessions/{session_id}/turns?after=-1", headers=user.headers).json()
    assert [t["turn_index"] for t in page["turns"]] == list(range(7))
    assert page["next_after"] is None

    # Events: one session.started and one chat.turn.completed per turn, no text in them.
    got = events.pull(until=8, session_id=session_id)
    types = sorted(e["type"] for e in got)
    assert types == ["chat.turn.completed"] * 7 + ["session.started"]
    assert len({e["event_id"] for e in got}) == 8
    assert all(e["user_key"] and e["user_key"] != user.uid for e in got)
    assert not any(CONVERSATION[0][:20] in str(e) for e in got)


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    """Every run of n words of a text, lower case: what two texts say alike."""
    words = re.findall(r"[\w']+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_back_reference_is_answered_with_the_conversation_in_mind(api, user):
    # One persona for every turn (the request may choose it), so the replies differ only by
    # what the generator is given: the same follow-up once in the session, once in a new one.
    # The template generator is deterministic for a request, so the conversation alone must
    # make the difference.
    def turn(message: str, session_id: str | None = None) -> dict:
        r = new_turn(api, user, message, session_id, persona="elro")
        assert r.status_code == 201, r.text
        out = r.json()
        assert out["persona"]["id"] == "elro" and out["degraded"] == []
        return out

    first = turn("my python script crashes with a KeyError")
    in_session = turn("that didn't work", first["session_id"])
    fresh = turn("that didn't work")
    assert in_session["session_id"] == first["session_id"] != fresh["session_id"]
    assert in_session["analysis"] == fresh["analysis"]  # the same message, read alike
    assert in_session["reply"] != fresh["reply"]
    # What only the in-session reply says comes from the earlier turn: it names the
    # suggestion that did not work, in the first reply's words.
    recalled = _shingles(in_session["reply"]) - _shingles(fresh["reply"])
    assert recalled & _shingles(first["reply"]), (first["reply"], in_session["reply"])


def test_retry_with_the_same_client_turn_id_returns_the_same_turn(api, user, events):
    body = {
        "session_id": None,
        "client_turn_id": "retry-" + uuid.uuid4().hex,
        "message": "How do I prepare for a system design interview?",
    }
    first = api.post("/v2/chat/turns", json=body, headers=user.headers)
    again = api.post("/v2/chat/turns", json=body, headers=user.headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    session_id = first.json()["session_id"]
    session = api.get(f"/v2/sessions/{session_id}", headers=user.headers).json()
    assert session["turn_count"] == 1
    assert len(events.pull(until=2, session_id=session_id)) == 2  # started + one turn

    reused = api.post(
        "/v2/chat/turns", json={**body, "message": "something else"}, headers=user.headers
    )
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "client_turn_id_reused"


def test_a_key_whose_session_was_deleted_does_not_block_a_new_turn(api, user, firestore_db):
    # Sessions and their turns can go (the cleanup job, production TTL) before their
    # idempotency keys: a client that sends that client_turn_id again gets a new turn.
    body = {"client_turn_id": "late-" + uuid.uuid4().hex, "message": "still on for Friday?"}
    first = api.post("/v2/chat/turns", json=body, headers=user.headers)
    assert first.status_code == 201
    session = firestore_db.collection("sessions").document(first.json()["session_id"])
    for turn in session.collection("turns").stream():
        turn.reference.delete()
    session.delete()
    again = api.post("/v2/chat/turns", json=body, headers=user.headers)
    assert again.status_code == 201, again.text
    assert again.json()["session_id"] != first.json()["session_id"]
    replay = api.post("/v2/chat/turns", json=body, headers=user.headers)
    assert replay.status_code == 200 and replay.json() == again.json()


def test_the_same_client_turn_id_from_two_users_is_two_turns(api, user, other_user):
    body = {"client_turn_id": "shared-id-1", "message": "hello there"}
    a = api.post("/v2/chat/turns", json=body, headers=user.headers).json()
    b = api.post("/v2/chat/turns", json=body, headers=other_user.headers).json()
    assert a["session_id"] != b["session_id"]


def test_two_devices_posting_at_once_both_get_their_turn(api, user):
    session_id = new_turn(api, user, "starting on two devices").json()["session_id"]
    results: list = []

    def post(text: str) -> None:
        results.append(new_turn(api, user, text, session_id))

    for round_ in range(3):
        threads = [
            threading.Thread(target=post, args=(f"device {d} round {round_}",)) for d in ("A", "B")
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert all(r.status_code == 201 for r in results), [r.text for r in results]
    indexes = sorted(r.json()["turn_index"] for r in results)
    assert indexes == list(range(1, 7))
    page = api.get(f"/v2/sessions/{session_id}/turns", headers=user.headers).json()
    assert [t["turn_index"] for t in page["turns"]] == list(range(7))
    assert len({t["turn_id"] for t in page["turns"]}) == 7


def test_another_users_session_is_not_found(api, user, other_user):
    session_id = new_turn(api, user, "private thoughts").json()["session_id"]
    for path in (f"/v2/sessions/{session_id}", f"/v2/sessions/{session_id}/turns"):
        r = api.get(path, headers=other_user.headers)
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "session_not_found"
    r = new_turn(api, other_user, "let me in", session_id)
    assert r.status_code == 404
    assert api.get(f"/v2/sessions/{session_id}", headers=user.headers).json()["turn_count"] == 1


def test_an_expired_session_is_gone_before_it_is_deleted(api, user, firestore_db):
    session_id = new_turn(api, user, "a short chat").json()["session_id"]
    past = datetime.now(UTC) - timedelta(seconds=1)
    firestore_db.collection("sessions").document(session_id).update({"expires_at": past})
    # The stack's cleanup job (every 60 s) may delete it meanwhile: the 404s hold either way,
    # and SessionState.visible_to's expiry check is unit-tested.
    assert api.get(f"/v2/sessions/{session_id}", headers=user.headers).status_code == 404
    r = api.get(f"/v2/sessions/{session_id}/turns", headers=user.headers)
    assert r.status_code == 404
    r = new_turn(api, user, "still there?", session_id)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "session_not_found"


def test_sync_pages_through_turns_after_an_index(api, user):
    session_id = None
    for i in range(4):
        session_id = new_turn(api, user, f"message number {i}", session_id).json()["session_id"]
    r = api.get(f"/v2/sessions/{session_id}/turns?after=0&limit=2", headers=user.headers).json()
    assert [t["turn_index"] for t in r["turns"]] == [1, 2]
    assert r["next_after"] == 2
    r = api.get(f"/v2/sessions/{session_id}/turns?after=2&limit=2", headers=user.headers).json()
    assert [t["turn_index"] for t in r["turns"]] == [3]
    assert r["next_after"] is None


def test_session_etag_answers_304_until_something_changes(api, user):
    session_id = new_turn(api, user, "etag check").json()["session_id"]
    first = api.get(f"/v2/sessions/{session_id}", headers=user.headers)
    etag = first.headers["ETag"]
    same = api.get(f"/v2/sessions/{session_id}", headers={**user.headers, "If-None-Match": etag})
    assert same.status_code == 304
    assert same.headers["ETag"] == etag and same.headers["Cache-Control"] == "private, no-cache"
    weak = {**user.headers, "If-None-Match": f"W/{etag}"}  # as a compressing proxy passes it
    assert api.get(f"/v2/sessions/{session_id}", headers=weak).status_code == 304
    new_turn(api, user, "something new", session_id)
    changed = api.get(f"/v2/sessions/{session_id}", headers={**user.headers, "If-None-Match": etag})
    assert changed.status_code == 200


def test_explicit_persona_choice_is_honoured(api, user):
    r = new_turn(api, user, "explain recursion to me", persona="nana")
    assert r.json()["persona"]["id"] == "nana"
    assert "You asked for Nana." in r.json()["persona"]["reasons"]


def test_legacy_enhanced_endpoint(api, user, other_user):
    body = {
        "userId": user.uid,
        "message": "I'm anxious about my first day at Google",
        "sessionId": None,
        "enableAIAnalysis": True,
        "conversationHistory": [],
    }
    r = api.post("/api/chat/enhanced", json=body, headers=user.headers)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["success"] is True and out["response"]
    assert out["analysis"]["tone"]["label"]
    again = api.post("/api/chat/enhanced", json=body, headers=user.headers).json()
    assert again["sessionId"] == out["sessionId"]  # a retry, not a second turn
    r = api.post(
        "/api/chat/enhanced", json={**body, "userId": other_user.uid}, headers=user.headers
    )
    assert r.status_code == 403
    body2 = {
        **body,
        "sessionId": out["sessionId"],
        "enableAIAnalysis": False,
        "conversationHistory": [
            {"role": "user", "content": body["message"]},
            {"role": "assistant", "content": out["response"]},
        ],
        "message": "what should I wear?",
    }
    second = api.post("/api/chat/enhanced", json=body2, headers=user.headers).json()
    assert second["sessionId"] == out["sessionId"]
    assert "analysis" not in second
    session = api.get(f"/v2/sessions/{out['sessionId']}", headers=user.headers).json()
    assert session["turn_count"] == 2


@pytest.mark.parametrize("path", ["/v2/chat/turns", "/api/chat/enhanced"])
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer a.b.c"],
)
def test_no_or_bad_token_is_401(api, path, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    r = api.post(path, json={"client_turn_id": "x", "message": "hi"}, headers=headers)
    assert r.status_code == 401
    assert r.json()["error"]["code"] in {"missing_token", "invalid_token"}


def test_a_turn_says_where_its_time_went(api, user):
    """Server-Timing through the gateway: every phase of the turn, the handler, the gateway.
    Not `publish`: the turn's events are published once the answer has gone out."""
    from common import timing

    r = new_turn(api, user, f"how do I plan my week? ({uuid.uuid4().hex[:6]})")
    assert r.status_code == 201
    phases = timing.parse(r.headers.get("Server-Timing"))
    turn_phases = ["auth", "context", "analyze", "rank", "reply", "commit"]
    assert list(phases) == [*turn_phases, "total", "gateway"]
    assert sum(phases[p] for p in turn_phases) <= phases["total"] + 1  # 0.1 ms roundings
    assert phases["total"] <= phases["gateway"]
