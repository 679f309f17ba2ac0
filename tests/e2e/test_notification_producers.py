"""The notification producers on the local stack, called as Cloud Scheduler calls them (POST to
the function): users chat through the gateway and register devices; what the producers enqueue
travels the `notifications` topic to the push sender and reaches the stack's FCM v1 fake (port
8102), or does not; a second run sends nothing again. The nudge's users are made "at risk" with
a few turn events of their own in the BigQuery events table, as the analytics sink writes them."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx

from common.config import get_settings
from common.events import user_key
from common.notifications.weekly import iso_week, week_facts
from common.profile.updater import day_key
from scripts import stack
from scripts.auth_emulator import User, sign_up
from tests.e2e.insights_data import ensure_warehouse, insert, turn_event
from tests.stack_fixtures import at_any_hour, new_turn
from tests.stack_fixtures import wait_for as _wait_for

PRODUCERS = f"http://127.0.0.1:{stack.FUNCTION_PORTS['notification_producers']}/"
FCM = f"http://127.0.0.1:{stack.FCM_PORT}"


def _run(producer: str) -> dict:
    r = httpx.post(PRODUCERS, json={"producer": producer}, timeout=120)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["considered"] == report["enqueued"] + sum(report["skipped"].values())
    return report


def _device(api: httpx.Client, user: User) -> str:
    token = f"fcm-{uuid.uuid4().hex}:APA91b-producers"
    r = api.post("/v2/devices", json={"token": token, "platform": "android"}, headers=user.headers)
    assert r.status_code == 201, r.text
    return token


def _sent_to(token: str) -> list[dict]:
    with urllib.request.urlopen(f"{FCM}/_fake/requests", timeout=5) as r:
        requests = json.loads(r.read())["requests"]
    return [q["body"]["message"] for q in requests if q["body"]["message"].get("token") == token]


def _key(uid: str) -> str:
    return user_key(uid, get_settings().analytics_key.get_secret_value())


def _preferences(firestore_db, uid: str):
    return firestore_db.collection("preferences").document(_key(uid))


def _week(firestore_db, uid: str):
    """What the profile updater has counted for the user's week so far."""
    snap = _preferences(firestore_db, uid).get()
    return week_facts(snap.to_dict() if snap.exists else None, now=datetime.now(UTC))


def _notices(firestore_db, uid: str) -> dict:
    snap = firestore_db.collection("users").document(uid).get()
    return (snap.to_dict() or {}).get("notices") or {} if snap.exists else {}


def _clear_of_midnight(margin: timedelta = timedelta(minutes=3)) -> None:
    """Start after 00:00 UTC when it is near: the week is counted by UTC day, so turns on
    either side of midnight make two active days (and Sunday's fall out of Monday's week)."""
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    if midnight - now < margin:
        time.sleep((midnight - now).total_seconds() + 5)


def test_the_weekly_insight_reaches_active_users_who_want_it_once(api, firestore_db):
    _clear_of_midnight()
    active, muted, idle, troubled, newcomer = (sign_up() for _ in range(5))
    tokens = {user.uid: _device(api, user) for user in (active, muted, idle, troubled, newcomer)}
    at_any_hour(api, active)
    # The active user talked a week ago too (last week's day, still in the per-day counters'
    # 8 days): a user whose first turn in them is under 2 days old (the newcomer, or a user back
    # after longer away) gets no "week" yet (too_new).
    week_ago = day_key(datetime.now(UTC) - timedelta(days=7))
    before = {"turns": 20, "daily": {week_ago: {"turns": 17, "sessions": 3}}}
    _preferences(firestore_db, active.uid).set(before, merge=True)

    first = new_turn(api, active, "How should I structure my thesis chapters?", persona="elro")
    assert first.status_code == 201, first.text
    session = first.json()["session_id"]
    for message, persona in (("And the literature review?", "elro"), ("I feel tired", "lua")):
        assert new_turn(api, active, message, session, persona=persona).status_code == 201
    rating = {"turn_id": first.json()["turn_id"], "session_id": session, "rating": "up"}
    assert api.post("/v2/feedback", json=rating, headers=active.headers).status_code == 201
    assert new_turn(api, muted, "Quick question about my plan").status_code == 201
    assert new_turn(api, newcomer, "Hi, I just installed this").status_code == 201
    r = api.patch("/v2/profile", json={"notifications": False}, headers=muted.headers)
    assert r.status_code == 200, r.text
    # A crisis turn this week: no upbeat tally of it on the lock screen.
    turn = {"client_turn_id": uuid.uuid4().hex, "message": "i want to kill myself"}
    r = api.post("/v2/chat/turns", json=turn, headers=troubled.headers)
    assert r.status_code == 201 and r.json()["safety"]["crisis"], r.text
    # The profile updater (a push subscription on `events`) counts the week.
    _wait_for(lambda: _week(firestore_db, active.uid).liked == 1, "the thumbs up to be counted")
    _wait_for(lambda: _week(firestore_db, active.uid).turns == 3, "the turns to be counted")
    _wait_for(lambda: _week(firestore_db, muted.uid).turns == 1, "the other user's turn")
    _wait_for(lambda: _week(firestore_db, newcomer.uid).turns == 1, "the newcomer's turn")

    report = _run("weekly_insight")
    assert report["period"] == iso_week(datetime.now(UTC))
    assert report["enqueued"] >= 1
    assert report["skipped"]["notifications_off"] >= 1 and report["skipped"]["inactive"] >= 1
    assert report["skipped"]["after_crisis"] >= 1 and report["skipped"]["too_new"] >= 1

    (message,) = _wait_for(lambda: _sent_to(tokens[active.uid]), "the insight on the phone")
    assert message["notification"] == {
        "title": "Your week with ION",
        "body": "In the past week: 1 conversation, mostly with Elro; you liked 1 reply.",
    }
    assert message["android"]["collapse_key"] == "weekly_insight"
    assert message["data"]["kind"] == "weekly_insight" and message["data"]["persona"] == "elro"
    notice = _notices(firestore_db, active.uid)["weekly_insight"]
    assert notice["period"] == report["period"]
    assert notice["notification_id"] == message["data"]["notification_id"]
    assert _notices(firestore_db, muted.uid) == {} and _notices(firestore_db, idle.uid) == {}
    assert _notices(firestore_db, troubled.uid) == {} and _notices(firestore_db, newcomer.uid) == {}

    again = _run("weekly_insight")  # a rerun (or Cloud Scheduler's retry)
    assert again["skipped"]["already_enqueued"] >= 1
    # Nothing enqueued for these users: enqueuing rewrites the user's notice (its enqueued_at
    # too) in the batch that writes the outbox entry, and the run is over when it answers.
    assert _notices(firestore_db, active.uid)["weekly_insight"] == notice
    assert _notices(firestore_db, muted.uid) == {} and _notices(firestore_db, idle.uid) == {}
    assert len(_sent_to(tokens[active.uid])) == 1
    assert _sent_to(tokens[muted.uid]) == [] and _sent_to(tokens[idle.uid]) == []
    assert _sent_to(tokens[troubled.uid]) == [] and _sent_to(tokens[newcomer.uid]) == []


def _history(uid: str, *days_ago: float) -> list:
    """Turn events of the user's own past, keyed as the sink keys them."""
    now = datetime.now(UTC)
    return [
        turn_event(
            at=now - timedelta(days=d),
            ukey=_key(uid),
            session_id=f"s-{uuid.uuid4().hex}",
            turn_id=uuid.uuid4().hex,
            index=0,
            persona="lua",
        )
        for d in days_ago
    ]


def test_the_reengagement_nudge_goes_to_a_user_at_risk_once_per_cool_down(api, firestore_db):
    risky, anonymous, recent, troubled, unseen = (sign_up() for _ in range(5))
    users = (risky, anonymous, recent, troubled, unseen)
    tokens = {user.uid: _device(api, user) for user in users}
    at_any_hour(api, risky)
    for user in (anonymous, unseen):
        r = api.patch("/v2/profile", json={"anonymize_analytics": True}, headers=user.headers)
        assert r.status_code == 200, r.text
    # A crisis analytics cannot see: said while anonymising, which the user then turned off.
    turn = {"client_turn_id": uuid.uuid4().hex, "message": "i want to kill myself"}
    r = api.post("/v2/chat/turns", json=turn, headers=unseen.headers)
    assert r.status_code == 201 and r.json()["safety"]["crisis"], r.text
    r = api.patch("/v2/profile", json={"anonymize_analytics": False}, headers=unseen.headers)
    assert r.status_code == 200, r.text
    # Gone for 20 days after two visits: churn_risk scores that about 0.88, band high. The
    # anonymous user's rows are from before they chose to anonymise. The recent turn is low
    # risk, and it is the view's clock (risk is measured as of the newest event). The troubled
    # user is as much at risk, but their last conversation was a crisis: no "pick up where you
    # left off" (the care review).
    ensure_warehouse()
    crisis = _history(troubled.uid, 20)[0]
    crisis = replace(crisis, type="safety.crisis_detected", event_id=str(uuid.uuid4()))
    insert(
        _history(risky.uid, 20, 25)
        + _history(anonymous.uid, 20, 25)
        + _history(recent.uid, 1 / 1440)
        + _history(troubled.uid, 20, 25)
        + [crisis]
        + _history(unseen.uid, 20, 25)
    )

    report = _run("reengagement")
    assert report["enqueued"] >= 1 and report["at_risk"] >= 2 and report["after_crisis"] >= 1
    assert report["skipped"]["anonymised"] >= 1 and report["skipped"]["not_at_risk"] >= 1
    assert report["skipped"]["after_crisis"] >= 1  # the unseen crisis, from Firestore

    (message,) = _wait_for(lambda: _sent_to(tokens[risky.uid]), "the nudge on the phone")
    assert message["notification"]["title"] == "Your mentors are here when you're ready"
    assert message["android"]["collapse_key"] == "reengagement"
    notice = _notices(firestore_db, risky.uid)["reengagement"]
    assert notice["period"] == report["period"]
    assert notice["notification_id"] == message["data"]["notification_id"]
    assert _notices(firestore_db, anonymous.uid) == {} and _notices(firestore_db, recent.uid) == {}
    for user in (troubled, unseen):
        assert _notices(firestore_db, user.uid) == {} and _sent_to(tokens[user.uid]) == []

    again = _run("reengagement")  # tomorrow's run, or a retry: within the cool-down
    assert again["skipped"]["cooling_down"] >= 1
    assert _notices(firestore_db, risky.uid)["reengagement"] == notice  # nothing enqueued
    assert _notices(firestore_db, anonymous.uid) == {} and _notices(firestore_db, recent.uid) == {}
    assert len(_sent_to(tokens[risky.uid])) == 1
    assert _sent_to(tokens[anonymous.uid]) == [] and _sent_to(tokens[recent.uid]) == []
