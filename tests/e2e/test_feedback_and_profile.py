"""Feedback, the profile updater, settings, export and erasure, through the gateway."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from common.chat import service
from common.config import get_settings
from common.events import anonymous_id, user_key
from tests.e2e.redelivery import FunctionLog, publish_event
from tests.stack_fixtures import new_turn
from tests.stack_fixtures import wait_for as _wait_for

KEY = get_settings().analytics_key.get_secret_value()


def _feedback(api, user, turn, rating, **extra):
    body = {"turn_id": turn["turn_id"], "session_id": turn["session_id"], "rating": rating, **extra}
    return api.post("/v2/feedback", json=body, headers=user.headers)


def _profile(api, user) -> dict:
    r = api.get("/v2/profile", headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_feedback_is_idempotent_and_the_last_rating_counts_once(api, user, events):
    turn = new_turn(api, user, "how should I structure my thesis chapters?").json()
    persona = turn["persona"]["id"]
    first = _feedback(api, user, turn, "up")
    assert first.status_code == 201 and first.json()["created"] is True
    again = _feedback(api, user, turn, "up")
    assert again.status_code == 200 and again.json()["changed"] is False
    changed = _feedback(api, user, turn, 2)
    assert changed.status_code == 200 and changed.json()["reward"] == 0.25

    got = events.pull(until=2, session_id=turn["session_id"])
    fb = [e for e in got if e["type"] == "feedback.submitted"]
    assert [e["data"]["reward"] for e in fb] == [1.0, 0.25]
    assert [e["data"]["previous_reward"] for e in fb] == [None, 1.0]

    # The profile updater learns from it: one rating, the last one.
    def learned():
        p = _profile(api, user)
        return (
            p
            if p["feedback_count"] == 1 and p["preferences"][persona]["satisfaction"] < 0.5
            else None
        )

    p = _wait_for(learned, "the profile updater to apply the feedback")
    assert p["preferences"][persona]["evidence"] >= 1.0
    assert p["turns"] == 1


def test_a_rating_outlives_its_document_in_a_long_session(api, user, events, firestore_db):
    # The rating document expires with the session as it was when rated, but every turn extends
    # the session: after the document expired, the same turn rated again is a change of the
    # last rating, never a second one.
    from google.cloud.firestore_v1.base_query import FieldFilter

    turn = new_turn(api, user, "how do I ask for a raise?").json()
    assert _feedback(api, user, turn, "up").status_code == 201
    (doc,) = (
        firestore_db.collection("feedback")
        .where(filter=FieldFilter("owner_uid", "==", user.uid))
        .get()
    )
    doc.reference.delete()  # what the TTL or the cleanup job does once it expires
    again = _feedback(api, user, turn, "down")
    assert again.status_code == 200 and again.json()["created"] is False
    got = events.pull(until=2, session_id=turn["session_id"])
    fb = [e["data"]["previous_reward"] for e in got if e["type"] == "feedback.submitted"]
    assert fb == [None, 1.0]


def test_feedback_on_someone_elses_or_a_missing_turn_is_not_found(api, user, other_user):
    turn = new_turn(api, user, "private question about my salary").json()
    assert _feedback(api, other_user, turn, "up").status_code == 404
    missing = {**turn, "turn_id": uuid.uuid4().hex}
    r = _feedback(api, user, missing, "up")
    assert r.status_code == 404 and r.json()["error"]["code"] == "turn_not_found"


def test_bad_feedback_is_a_400(api, user):
    turn = new_turn(api, user, "quick question").json()
    for rating in (0, 6, "meh", True, None, 3.5):
        r = _feedback(api, user, turn, rating)
        assert r.status_code == 400, rating
        assert r.json()["error"]["field"] == "rating"
    r = _feedback(api, user, turn, "up", comment="x" * 1001)
    assert r.status_code == 400


def test_a_redelivered_event_changes_nothing(api, user):
    turn = new_turn(api, user, "a message to rate").json()
    subject = user_key(user.uid, get_settings().analytics_key.get_secret_value())
    envelope = {
        "event_id": str(uuid.uuid4()),
        "type": "feedback.submitted",
        "schema_version": 1,
        "occurred_at": "2026-11-22T10:00:00+00:00",
        "user_key": subject,
        "session_id": turn["session_id"],
        "data": {
            "turn_id": turn["turn_id"],
            "persona": "nana",
            "rating": "up",
            "reward": 1.0,
            "previous_reward": None,
        },
    }
    handled = FunctionLog("profile_updater")
    for _ in range(3):  # the same event three times, as an at-least-once delivery may
        publish_event(envelope, subject)
    _wait_for(lambda: _profile(api, user)["feedback_count"] >= 1, "the event to be applied")
    # The two copies handled, and refused. The updater's line has no event id: any rating it
    # did not apply counts, but no other test redelivers one meanwhile.
    _wait_for(
        lambda: (
            len(handled.records("profile event", type="feedback.submitted", applied=False)) >= 2
        ),
        "the updater to handle the copies",
    )
    p = _profile(api, user)
    assert p["feedback_count"] == 1
    assert p["preferences"]["nana"]["evidence"] == 1.0


def test_settings_validate_and_personalization_off_means_no_learned_policy(api, user, events):
    r = api.patch("/v2/profile", json={"timezone": "Mars/Olympus"}, headers=user.headers)
    assert r.status_code == 400 and r.json()["error"]["field"] == "timezone"
    r = api.patch("/v2/profile", json={"retention_days": 45}, headers=user.headers)
    assert r.status_code == 400
    r = api.patch("/v2/profile", json={"personalization": None}, headers=user.headers)
    assert r.status_code == 400
    r = api.patch(
        "/v2/profile",
        json={
            "personalization": False,
            "timezone": "Europe/Berlin",
            "quiet_hours": {"start": "22:00", "end": "07:30"},
        },
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    s = r.json()["settings"]
    assert (s["personalization"], s["timezone"], s["quiet_hours"]["end"]) == (
        False,
        "Europe/Berlin",
        "07:30",
    )
    r = api.patch("/v2/profile", json={"quiet_hours": None}, headers=user.headers)
    assert r.json()["settings"]["quiet_hours"] is None
    assert r.json()["settings"]["timezone"] == "Europe/Berlin"  # untouched

    session_id = None
    for i in range(8):
        turn = new_turn(api, user, f"personalization is off, message {i}", session_id).json()
        session_id = turn["session_id"]
        assert _feedback(api, user, turn, "up").status_code == 201
        if i == 0:
            # A learned policy chooses only for a profile that is no longer new (a rating
            # counted): with the setting ignored, the next turns would be the policy's.
            _wait_for(lambda: _profile(api, user)["feedback_count"] >= 1, "the rating counted")
    got = events.pull(until=8, session_id=session_id)
    turns = [e for e in got if e["type"] == "chat.turn.completed"]
    assert len(turns) == 8
    assert {e["data"]["persona_source"] for e in turns} <= {"ensemble", "exploration"}
    assert {e["data"]["policy"] for e in turns} == {"thompson"}  # in force, if not choosing


def test_anonymised_users_events_carry_no_user_key(api, user, events):
    api.patch("/v2/profile", json={"anonymize_analytics": True}, headers=user.headers)
    turn = new_turn(api, user, "keep me out of the analytics please").json()
    got = events.pull(until=2, session_id=anonymous_id(turn["session_id"], KEY))
    assert got and all(e["user_key"] is None for e in got)
    # nor the learned profile, which changes a little each turn and would link the rows
    turns = [e for e in got if e["type"] == "chat.turn.completed"]
    assert turns and all(e["data"]["profile"] is None for e in turns)


def test_anonymising_mid_conversation_leaves_nothing_that_links_to_the_keyed_rows(
    api, user, events
):
    # The session and the turn ids of the rows from before would link the keyless ones to them.
    first = new_turn(api, user, "how do I ask my manager for a raise?").json()
    api.patch("/v2/profile", json={"anonymize_analytics": True}, headers=user.headers)
    second = new_turn(api, user, "and what if she says no?", first["session_id"]).json()
    assert _feedback(api, user, first, "up").status_code in (200, 201)
    got = events.pull(until=2, session_id=anonymous_id(first["session_id"], KEY))
    assert {e["type"] for e in got} == {"chat.turn.completed", "feedback.submitted"}
    assert all(e["user_key"] is None for e in got)
    by_type = {e["type"]: e["data"] for e in got}
    assert by_type["chat.turn.completed"]["turn_id"] == anonymous_id(second["turn_id"], KEY)
    assert by_type["feedback.submitted"]["turn_id"] == anonymous_id(first["turn_id"], KEY)
    wire = json.dumps(got)
    assert first["session_id"] not in wire and first["turn_id"] not in wire


def test_export_returns_everything_stored_about_the_user(api, user):
    api.patch("/v2/profile", json={"notifications": False}, headers=user.headers)
    first = new_turn(api, user, "first conversation").json()
    second = new_turn(api, user, "a reply in it", first["session_id"]).json()
    other = new_turn(api, user, "another conversation").json()
    _feedback(api, user, second, 4)
    r = api.get("/v2/profile/export", headers=user.headers)
    assert r.status_code == 200
    export = r.json()
    assert export["uid"] == user.uid
    assert export["profile"]["settings"]["notifications"] is False
    # the settings in effect: the one set, and the defaults of those never set
    effective = export["effective_settings"]
    assert effective["notifications"] is False and effective["retention_days"] == 90
    assert effective["quiet_hours"] == {"start": "22:00", "end": "08:00"}
    sessions = {s["session_id"]: s for s in export["sessions"]}
    assert set(sessions) == {first["session_id"], other["session_id"]}
    assert [t["message"] for t in sessions[first["session_id"]]["turns"]] == [
        "first conversation",
        "a reply in it",
    ]
    assert [f["rating"] for f in export["feedback"]] == [4]
    # the anomaly limits' record: when each of the three messages came, and a hash of it
    assert len(export["recent_activity"]["recent"]) == 3


def _documents_about(db, *ids: str) -> set[str]:
    """Paths of the documents, top-level or in the subcollections the code writes, whose id,
    parent path or content holds any of `ids`."""
    snaps = [d for c in db.collections() for d in c.stream()]
    for group in ("turns", "devices", "applied_events"):
        snaps += list(db.collection_group(group).stream())
    found = set()
    for snap in snaps:
        path = snap.reference.path
        text = path + " " + json.dumps(snap.to_dict(), default=str)
        if any(i in text for i in ids):
            found.add(path)
    return found


def test_a_head_request_on_the_profile_never_erases(api, user):
    turn = new_turn(api, user, "keep all of this").json()
    refused = api.head("/v2/profile", headers=user.headers)
    assert refused.status_code == 405 and refused.headers["Allow"] == "DELETE, GET, PATCH"
    assert api.get(f"/v2/sessions/{turn['session_id']}", headers=user.headers).status_code == 200


def _ended_before(subject: str, persona: str) -> dict:
    """A `session.ended` of the user's that happened a minute ago (one reply, then they left)."""
    return {
        "event_id": str(uuid.uuid4()),
        "type": "session.ended",
        "schema_version": 1,
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "user_key": subject,
        "session_id": uuid.uuid4().hex,
        "data": {"persona": persona, "turn_count": 1, "tone": None, "intent": None},
    }


def test_erasure_leaves_nothing_behind(api, user, other_user, firestore_db):
    from google.cloud.firestore_v1.base_query import FieldFilter

    keep = new_turn(api, other_user, "someone else's conversation").json()
    turn = new_turn(api, user, "please forget me after this").json()
    new_turn(api, user, "one more", turn["session_id"])
    _feedback(api, user, turn, "down")
    subject = user_key(user.uid, get_settings().analytics_key.get_secret_value())
    _wait_for(
        lambda: firestore_db.collection("preferences").document(subject).get().exists,
        "the profile updater to learn something",
    )

    # A notification producer's walk stopped at this user's device.
    walk = firestore_db.document(f"producer_cursors/erasure-test-{uuid.uuid4().hex}")
    walk.set({"cursor": f"users/{user.uid}/devices/phone"})

    before = _documents_about(firestore_db, user.uid, subject)
    assert {
        f"activity/{user.uid}",
        f"preferences/{subject}",
        f"sessions/{turn['session_id']}",
        walk.path,
    } <= before

    r = api.delete("/v2/profile", headers=user.headers)
    assert r.status_code == 200, r.text
    assert r.json()["deleted"]["sessions"] == 1 and r.json()["deleted"]["turns"] == 2
    # Every document in the database, by id or content: only the erasure record keeps the key
    # (the cleanup job needs it to erase the analytics rows), and the activity record's
    # tombstone says no more than when (a turn in flight fails on it; it expires in 10 min).
    left = _documents_about(firestore_db, user.uid, subject)
    assert left == {f"erasures/{subject}", f"activity/{user.uid}"}
    tombstone = firestore_db.document(f"activity/{user.uid}").get().to_dict()
    assert set(tombstone) == {"erasure_done_at", "expires_at"}
    assert tombstone["expires_at"] - tombstone["erasure_done_at"] == timedelta(minutes=10)
    assert walk.get().get("cursor") is None  # the walk starts over
    walk.delete()

    for collection in ("sessions", "turn_keys", "feedback"):
        left = (
            firestore_db.collection(collection)
            .where(filter=FieldFilter("owner_uid", "==", user.uid))
            .get()
        )
        assert left == [], collection
    assert (
        not firestore_db.collection("sessions")
        .document(turn["session_id"])
        .collection("turns")
        .get()
    )
    assert not firestore_db.collection("users").document(user.uid).get().exists
    # Events from before the erasure that arrive after it must not bring the preferences back.
    # The user's own may still be in flight, but leave no trace when refused: one more, whose
    # handling the updater's log shows (no other test ends a session meanwhile).
    handled = FunctionLog("profile_updater")
    publish_event(_ended_before(subject, turn["persona"]["id"]), subject)
    late = _wait_for(
        lambda: handled.records("profile event", type="session.ended"), "the late event handled"
    )
    assert late[0]["applied"] is False
    assert not firestore_db.collection("preferences").document(subject).get().exists
    outbox = (
        firestore_db.collection("outbox").where(filter=FieldFilter("subject", "==", subject)).get()
    )
    assert outbox == []
    erasure = firestore_db.collection("erasures").document(subject).get().to_dict()
    assert erasure["firestore"] == "done" and erasure["analytics"] == "pending"
    assert "uid" not in erasure  # kept only while the erasure is unfinished
    assert api.get(f"/v2/sessions/{turn['session_id']}", headers=user.headers).status_code == 404
    # Nobody else lost anything.
    assert (
        api.get(f"/v2/sessions/{keep['session_id']}", headers=other_user.headers).status_code == 200
    )


def test_a_burst_is_limited_with_retry_after_and_one_anomaly_event(api, user, events):
    session_id = None
    minute = get_settings().anomaly_burst_minute_max
    for i in range(minute):
        r = new_turn(api, user, f"quick message number {i}", session_id)
        assert r.status_code == 201, r.text
        session_id = r.json()["session_id"]
    for _ in range(2):
        r = new_turn(api, user, "and one more", session_id)
        assert r.status_code == 429
        assert r.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(r.headers["Retry-After"]) <= 60
    got = events.pull(until=10, session_id=session_id)
    anomalies = [e for e in got if e["type"] == "anomaly.detected"]
    assert len(anomalies) == 1  # the first refusal of the spell, not every one
    assert anomalies[0]["data"]["reasons"] == ["burst_minute"]
    turns = api.get(f"/v2/sessions/{session_id}/turns", headers=user.headers).json()["turns"]
    assert len(turns) == minute  # refused turns are not stored


def test_turns_sent_at_once_are_limited_as_if_sent_one_by_one(api, user):
    # Each turn reads the user's activity before it is answered; the commit's precondition on
    # that record makes concurrent turns count each other, so the one past the minute's limit
    # is refused. As many at once as an instance lets one user have in flight (more are
    # refused at once).
    minute = get_settings().anomaly_burst_minute_max
    with ThreadPoolExecutor(max_workers=service.TURNS_PER_USER) as pool:
        sent = range(minute + 4)
        codes = list(pool.map(lambda i: new_turn(api, user, f"at once {i}").status_code, sent))
    assert sorted(codes) == [201] * minute + [429] * 4


def test_the_same_message_over_and_over_is_limited(api, user):
    said = [new_turn(api, user, "BUY CHEAP FOLLOWERS NOW") for _ in range(4)]
    assert [r.status_code for r in said] == [201, 201, 201, 429]
    # Told apart from a burst: only that text waits for Retry-After (the client review).
    assert said[-1].json()["error"]["code"] == "repeated_message"
    assert said[-1].json()["error"]["field"] == "message"
    assert new_turn(api, user, "ok, something else then").status_code == 201


def test_a_user_in_crisis_saying_the_same_thing_again_is_not_limited(api, user, other_user):
    # The repetition limit is for bots. "I want to die" a fourth time gets the resources again,
    # not a 429; so does a fourth "no" in a session in care (the answer to "are you safe?").
    for _ in range(4):
        r = new_turn(api, user, "I want to die")
        assert r.status_code == 201, r.text
        assert r.json()["safety"]["crisis"] is True
    first = new_turn(api, other_user, "no")
    session_id = first.json()["session_id"]
    codes = [first.status_code] + [new_turn(api, other_user, "no", session_id).status_code]
    codes.append(new_turn(api, other_user, "no", session_id).status_code)
    crisis = new_turn(api, other_user, "I can't go on anymore", session_id)
    assert crisis.status_code == 201 and crisis.json()["safety"]["crisis"] is True
    codes.append(new_turn(api, other_user, "no", session_id).status_code)  # in care
    assert codes == [201] * 4


def test_a_crisis_message_past_the_burst_limit_gets_the_resources(api, user, events):
    # As many short messages in a minute as the limit allows (15), then the next says it: the
    # crisis reply, not a 429 (the contract review). The burst is reported; an ordinary
    # message seconds after the crisis is answered too (the safety review: it was a 429 with
    # no resources).
    session_id = None
    for text in ("i cant", "i just cant", "its too much", "nobody cares", "whatever", "idk",
                 "why bother", "its all falling apart", "ok", "hmm", "one sec", "let me think",
                 "so", "right", "anyway"):  # fmt: skip
        r = new_turn(api, user, text, session_id)
        assert r.status_code == 201, r.text
        session_id = r.json()["session_id"]
    crisis = new_turn(api, user, "i want to kill myself", session_id)
    assert crisis.status_code == 201, crisis.text
    assert crisis.json()["safety"]["crisis"] is True and crisis.json()["safety"]["resources"]
    answer = new_turn(api, user, "no", session_id)  # to "Are you safe right now?" (diff review)
    assert answer.status_code == 201, answer.text
    assert answer.json()["safety"]["crisis"] is True
    assert new_turn(api, user, "hello?", session_id).status_code == 201
    got = events.pull(until=10, session_id=session_id)
    reported = [e["data"] for e in got if e["type"] == "anomaly.detected"]
    assert {"reasons": ["burst_minute"], "limited": False} in [
        {k: d[k] for k in ("reasons", "limited")} for d in reported
    ]


def test_an_idempotent_replay_is_never_limited(api, user):
    body = {"client_turn_id": "replay-" + uuid.uuid4().hex, "message": "sync me"}
    first = api.post("/v2/chat/turns", json=body, headers=user.headers)
    for i in range(8):
        new_turn(api, user, f"filler {i}", first.json()["session_id"])
    assert api.post("/v2/chat/turns", json=body, headers=user.headers).status_code == 200
