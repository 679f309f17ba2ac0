"""The push sender with the real firebase-admin client against a local FCM v1 server, and the
real Firestore and Pub/Sub emulators: quiet hours, the daily cap, token clean-up, retries,
redelivery. Instants are set hours of the day after tomorrow, so the stack's own scheduled
release (on the real clock) never takes these notifications first; nothing depends on how long
anything takes. Japan keeps no summer time, and 14:30 UTC is afternoon in London all year. A
user takes pushes at any hour unless a test gives them quiet hours (a new user's default,
22:00-08:00, would make the tests that run on the real clock depend on the hour)."""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as dtime

import firebase_admin
import pytest
from google.cloud.firestore_v1.base_query import FieldFilter

from common import clients
from common.adapters.firestore_push import DEFERRED, PUSH_NOTIFICATIONS, _record_id
from common.chat.limits import activity_doc
from common.config import get_settings
from common.devices.models import device_id
from common.errors import ErasureInProgress
from common.events import user_key
from common.profile.erasure import ERASING
from common.push.models import Notification, notification_event
from common.push.service import Outcome, deliver, release_due
from scripts.function_client import function_client
from tests.fakes.fcm_server import FakeFcmServer
from tests.fakes.turns import Publisher
from tests.stack_fixtures import Subscription

PROJECT = "demo-ion"
NIGHT = {"start": "22:00", "end": "07:00"}
DAY = (datetime.now(UTC) + timedelta(days=2)).date()


def at(hour: int, minute: int = 0) -> datetime:
    """That time of DAY, in UTC."""
    return datetime.combine(DAY, dtime(hour, minute), tzinfo=UTC)


T0 = at(14, 30)  # 23:30 in Tokyo (quiet), 14:30 or 15:30 in London (awake)


@pytest.fixture(scope="module")
def fcm() -> Iterator[FakeFcmServer]:
    """One fake FCM server for the module; firebase-admin (through common.clients) talks to it."""
    with FakeFcmServer() as server:
        saved = os.environ.get("FCM_BASE_URL")
        os.environ["FCM_BASE_URL"] = server.base_url
        _reset_clients()
        yield server
        if saved is None:
            os.environ.pop("FCM_BASE_URL", None)
        else:
            os.environ["FCM_BASE_URL"] = saved
        _reset_clients()


def _reset_clients() -> None:
    get_settings.cache_clear()
    for factory in (clients.messaging_app, clients.push_sender):
        factory.cache_clear()
    name = f"ion-fcm-{PROJECT}"
    if name in firebase_admin._apps:
        firebase_admin.delete_app(firebase_admin.get_app(name))


@pytest.fixture(scope="module")
def function(fcm):
    return function_client("push_sender")


def _user(firestore_db, *, settings: dict | None = None, platforms=("android",)):
    """A user with settings (UTC, as an app sets it at sign-in: a scheduled push to a user who
    never set one is suppressed; no quiet hours unless they say) and devices; (uid, [tokens])."""
    uid = f"push-{uuid.uuid4().hex[:12]}"
    firestore_db.collection("users").document(uid).set(
        {"settings": {"timezone": "UTC", "quiet_hours": None, **(settings or {})}}
    )
    tokens = []
    for platform in platforms:
        token = f"tok-{uuid.uuid4().hex}:{platform}"
        clients.device_store().upsert(
            uid=uid, token=token, platform=platform, now=T0, previous_token=None
        )
        tokens.append(token)
    return uid, tokens


def _note(uid: str, **kw) -> Notification:
    return Notification.model_validate(
        {
            "notification_id": f"n-{uuid.uuid4().hex}",
            "uid": uid,
            "kind": "weekly_insight",
            "title": "Your week with ION",
            "body": "You and Lua talked three times this week.",
            "created_at": T0,
            **kw,
        }
    )


def _deliver(
    note: Notification, *, now: datetime = T0, sleeps: list | None = None, **settings
) -> Outcome:
    ports = _ports(sleeps)
    ports["settings"] = ports["settings"].model_copy(update=settings)
    return deliver(note=note, now=now, **ports)


def _release(*, now: datetime, sleeps: list | None = None):
    return release_due(clock=lambda: now, **_ports(sleeps))


def _ports(sleeps: list | None) -> dict:
    return {
        "store": clients.push_store(),
        "sender": clients.push_sender(),
        "outbox": clients.session_store(),
        "publisher": clients.event_publisher(),
        "settings": get_settings(),
        "sleep": (sleeps if sleeps is not None else []).append,
    }


def _record(firestore_db, note: Notification) -> dict:
    ref = firestore_db.collection(PUSH_NOTIFICATIONS).document(_record_id(note.notification_id))
    return ref.get().to_dict()


def _devices(firestore_db, uid: str) -> set[str]:
    return {
        d.id for d in firestore_db.collection("users").document(uid).collection("devices").stream()
    }


def _push_events(sub: Subscription, note: Notification, n: int) -> list[dict]:
    """The events about this notification, once `n` of them have arrived (or 10 s passed)."""
    mine: list[dict] = []
    deadline = time.monotonic() + 10
    while len(mine) < n and time.monotonic() < deadline:
        got = sub.pull(until=1, wait=1)
        mine += [e for e in got if e.get("data", {}).get("notification_id") == note.notification_id]
    return mine


def _pubsub_push(function, note: Notification):
    event = notification_event(note)
    body = {
        "message": {
            "attributes": event.attributes(),
            "data": base64.b64encode(event.encode()).decode(),
            "messageId": uuid.uuid4().hex[:16],
            "publishTime": T0.isoformat(),
        },
        "subscription": f"projects/{PROJECT}/subscriptions/notifications-push-sender",
    }
    return function.post(f"/projects/{PROJECT}/topics/notifications", json=body)


def test_each_device_gets_the_message_with_its_collapse_key(fcm, firestore_db, events):
    uid, (android, ios) = _user(firestore_db, platforms=("android", "ios"))
    note = _note(uid, collapse_key="weekly", data={"screen": "insights"})

    outcome = _deliver(note)

    assert (outcome.status, outcome.sent) == ("sent", 2)
    (to_android,), (to_ios,) = fcm.sent_to(android), fcm.sent_to(ios)
    assert to_android.project == PROJECT
    assert to_android.authorization.startswith("Bearer ")
    message = to_android.message
    assert message["notification"] == {"title": note.title, "body": note.body}
    assert message["data"] == {
        "screen": "insights",
        "notification_id": note.notification_id,
        "kind": "weekly_insight",
    }
    assert message["android"]["collapse_key"] == "weekly"
    assert message["android"]["notification"]["tag"] == "weekly"
    assert message["apns"]["headers"]["apns-collapse-id"] == "weekly"
    assert message["webpush"]["headers"]["Topic"] == "weekly"
    assert message["webpush"]["notification"] == {"tag": "weekly"}  # replaces a shown one
    assert to_ios.message["token"] == ios

    (sent,) = [e for e in _push_events(events, note, 1) if e["type"] == "push.sent"]
    assert sent["user_key"] == user_key(uid, get_settings().analytics_key.get_secret_value())
    assert uid not in json.dumps(sent)  # never the raw uid
    assert sent["data"]["devices"] == 2
    # The record names its owner: their export lists it, their erasure deletes it.
    assert _record(firestore_db, note)["owner_uid"] == uid


def test_a_redelivered_notification_is_sent_once(fcm, firestore_db, function):
    uid, (token,) = _user(firestore_db)
    note = _note(uid)

    for _ in range(3):  # Pub/Sub delivers at least once
        assert _pubsub_push(function, note).status_code == 200

    assert len(fcm.for_token(token)) == 1
    assert _record(firestore_db, note)["status"] == "sent"


def test_notifications_off_sends_nothing(fcm, firestore_db, events):
    uid, (token,) = _user(firestore_db, settings={"notifications": False})
    note = _note(uid)

    outcome = _deliver(note)

    assert (outcome.status, outcome.reason) == ("suppressed", "notifications_off")
    assert fcm.for_token(token) == []
    (event,) = _push_events(events, note, 1)
    assert (event["type"], event["data"]["reason"]) == ("push.suppressed", "notifications_off")


def test_a_scheduled_push_to_a_user_who_never_set_a_time_zone_waits(fcm, firestore_db, events):
    # Quiet hours are the user's; with no zone stored they cannot be told, so nothing is sent.
    uid, (token,) = _user(firestore_db)
    firestore_db.collection("users").document(uid).set({"settings": {"quiet_hours": None}})
    note = _note(uid)

    outcome = _deliver(note)

    assert (outcome.status, outcome.reason) == ("suppressed", "timezone_unknown")
    assert fcm.for_token(token) == []
    (event,) = _push_events(events, note, 1)
    assert (event["type"], event["data"]["reason"]) == ("push.suppressed", "timezone_unknown")


def test_quiet_hours_defer_in_the_users_timezone_then_release(fcm, firestore_db):
    # The same instant: 23:30 in Tokyo (quiet) and 14:30 in London (not).
    tokyo, (tokyo_token,) = _user(
        firestore_db, settings={"timezone": "Asia/Tokyo", "quiet_hours": NIGHT}
    )
    london, (london_token,) = _user(
        firestore_db, settings={"timezone": "Europe/London", "quiet_hours": NIGHT}
    )
    to_tokyo, to_london = _note(tokyo), _note(london)

    assert _deliver(to_london).status == "sent"
    outcome = _deliver(to_tokyo)
    assert (outcome.status, outcome.reason) == ("deferred", "quiet_hours")
    assert len(fcm.sent_to(london_token)) == 1
    assert fcm.for_token(tokyo_token) == []

    # 07:00 in Tokyo is 22:00 UTC the same day: the UTC date and the user's date differ.
    wake = at(22)
    waiting = firestore_db.collection(DEFERRED).where(
        filter=FieldFilter("notification_id", "==", to_tokyo.notification_id)
    )
    (doc,) = [d.to_dict() for d in waiting.stream()]
    assert doc["due_at"] == wake and doc["owner_uid"] == tokyo

    _release(now=wake - timedelta(minutes=1))
    assert fcm.for_token(tokyo_token) == []  # still night in Tokyo

    _release(now=wake)
    assert len(fcm.sent_to(tokyo_token)) == 1
    assert _record(firestore_db, to_tokyo)["status"] == "sent"
    assert list(waiting.stream()) == []

    _release(now=wake + timedelta(hours=1))  # nothing waits any more: never twice
    assert len(fcm.for_token(tokyo_token)) == 1


def test_a_nudge_that_waited_out_quiet_hours_past_a_crisis_turn_is_not_sent(fcm, firestore_db):
    uid, (token,) = _user(firestore_db, settings={"timezone": "Asia/Tokyo", "quiet_hours": NIGHT})
    nudge = _note(
        uid, kind="reengagement", collapse_key="reengagement", body="It has been a while."
    )
    assert _deliver(nudge).status == "deferred"
    crisis = T0 + timedelta(hours=1)  # 00:30 in Tokyo
    activity = activity_doc([(crisis, "h")], limited_until=None, crisis_at=crisis)
    firestore_db.collection("activity").document(uid).set(activity)

    _release(now=at(22))  # 07:00 in Tokyo

    assert fcm.for_token(token) == []
    record = _record(firestore_db, nudge)
    assert (record["status"], record["reason"]) == ("suppressed", "after_crisis")


def test_a_newer_message_with_the_same_collapse_key_replaces_a_waiting_one(fcm, firestore_db):
    uid, (token,) = _user(firestore_db, settings={"timezone": "Asia/Tokyo", "quiet_hours": NIGHT})
    old = _note(uid, collapse_key="nudge", body="The old nudge")
    new = _note(
        uid, collapse_key="nudge", body="The new nudge", created_at=T0 + timedelta(minutes=5)
    )

    assert _deliver(old).status == "deferred"
    assert _deliver(new, now=T0 + timedelta(minutes=5)).status == "deferred"

    _release(now=at(22))
    (sent,) = fcm.sent_to(token)
    assert sent.message["notification"]["body"] == "The new nudge"
    assert _record(firestore_db, old)["status"] == "replaced"


def test_a_waiting_notification_this_version_cannot_read_is_set_aside(fcm, firestore_db, caplog):
    """One stored by a version whose model was looser (the schema review): it raised inside the
    claim, so every release stopped there and the notifications due behind it never went."""
    uid, (token,) = _user(firestore_db, settings={"timezone": "Asia/Tokyo", "quiet_hours": NIGHT})
    good = _note(uid)
    assert _deliver(good).status == "deferred"  # due at 22:00 UTC (07:00 in Tokyo)
    # More than a claim's page of them, due first: a page of nothing but unreadable ones
    # must not look like nothing due.
    stale = _note(uid).model_dump(mode="json") | {"kind": "a kind no longer known"}
    refs = [
        firestore_db.collection(DEFERRED).document(f"stale-{uuid.uuid4().hex}")
        for _ in range(get_settings().push_release_batch + 1)
    ]
    for ref in refs:
        ref.set(
            {
                "notification_id": stale["notification_id"],
                "owner_uid": uid,
                "notification": stale,
                "created_at": T0,
                "due_at": at(21),
                "reason": "quiet_hours",
                "deferred_at": T0,
            }
        )
    with caplog.at_level("ERROR"):
        _release(now=at(22))
    assert len(fcm.sent_to(token)) == 1 and _record(firestore_db, good)["status"] == "sent"
    for ref in refs:
        kept = ref.get().to_dict()
        assert kept["unreadable"] == "ValidationError"
        assert kept["due_at"] == at(22) + timedelta(days=30) and kept["notification"] == stale
    logged = [r for r in caplog.records if "cannot be read" in r.getMessage()]
    assert len(logged) == len(refs) and all(r.needs_operator for r in logged)
    for ref in refs:
        ref.delete()


def test_the_daily_cap_counts_the_users_local_day(fcm, firestore_db, events):
    cap = get_settings().push_daily_cap
    # Tokyo is UTC+9: 16:00 UTC is 01:00 the next day there, a new day with a fresh cap.
    uid, (token,) = _user(firestore_db, settings={"timezone": "Asia/Tokyo"})
    morning = at(1)  # 10:00 in Tokyo
    notes = [_note(uid) for _ in range(cap + 1)]

    outcomes = [_deliver(n, now=morning) for n in notes]

    assert [o.status for o in outcomes] == ["sent"] * cap + ["suppressed"]
    assert outcomes[-1].reason == "daily_cap"
    assert len(fcm.sent_to(token)) == cap
    (event,) = _push_events(events, notes[-1], 1)
    assert (event["type"], event["data"]["reason"]) == ("push.suppressed", "daily_cap")

    next_day = at(16)  # 01:00 the next day in Tokyo
    assert _deliver(_note(uid), now=next_day).status == "sent"


def _erase(uid: str, when: datetime) -> str:
    ukey = user_key(uid, get_settings().analytics_key.get_secret_value())
    clients.profile_store().erase_user(uid=uid, ukey=ukey, now=when)
    return ukey


def test_a_notification_made_before_the_users_erasure_is_not_sent_and_leaves_no_event(
    fcm, firestore_db
):
    uid, (token,) = _user(firestore_db, settings={"timezone": "UTC"})
    note = _note(uid)  # made at T0
    _erase(uid, T0 + timedelta(minutes=1))  # then the user deletes their account
    ports = _ports(None)
    published = ports["publisher"] = Publisher()  # whatever it is given, kept

    outcome = deliver(note=note, now=T0 + timedelta(minutes=2), **ports)

    # Before: suppressed for "no_devices", with a push.suppressed event under the erased key.
    assert (outcome.status, outcome.reason) == ("suppressed", "erased")
    assert published.events == [] and fcm.for_token(token) == []
    assert not firestore_db.collection("users").document(uid).get().exists
    # Its record stays (a redelivery is a duplicate) but no longer names the erased user.
    record = _record(firestore_db, note)
    assert record["status"] == "suppressed" and "owner_uid" not in record


def test_a_notification_after_an_erasure_reaches_the_new_account(fcm, firestore_db):
    uid, _ = _user(firestore_db)
    _erase(uid, T0 - timedelta(hours=1))
    token = f"tok-{uuid.uuid4().hex}:android"  # signed up again, on a new phone
    clients.device_store().upsert(
        uid=uid, token=token, platform="android", now=T0, previous_token=None
    )
    # and the app set the phone's time zone at sign-in (without one a scheduled push waits)
    firestore_db.collection("users").document(uid).set(
        {"settings": {"timezone": "UTC", "quiet_hours": None}}
    )

    assert _deliver(_note(uid)).status == "sent"
    assert len(fcm.for_token(token)) == 1


@pytest.mark.parametrize("write", ["take_slot", "defer"])
def test_an_erasure_begun_during_a_delivery_refuses_its_writes_about_the_user(firestore_db, write):
    """Between read_user and these writes, the user's erasure begins: the daily counter would
    bring users/{uid} back, the waiting copy would keep the uid and the text."""
    uid = f"push-{uuid.uuid4().hex[:12]}"
    note = _note(uid)
    store = clients.push_store()
    claim = store.begin(note.notification_id, uid=uid, release=False, now=T0, lease=60)
    firestore_db.collection("activity").document(uid).set({ERASING: T0 + timedelta(seconds=1)})

    with pytest.raises(ErasureInProgress):  # so Pub/Sub delivers it again, and then it is seen
        if write == "take_slot":
            store.take_slot(note, day=str(DAY), cap=3, now=T0)
        else:
            store.defer(
                note,
                due_at=at(22),
                reason="quiet_hours",
                now=T0,
                delivery=claim.deliveries,
                events=[],
            )

    assert not firestore_db.collection("users").document(uid).get().exists
    waiting = firestore_db.collection(DEFERRED).where(filter=FieldFilter("owner_uid", "==", uid))
    assert list(waiting.stream()) == []
    firestore_db.collection("activity").document(uid).delete()


def test_a_record_the_erasure_deleted_during_the_delivery_records_nothing(firestore_db):
    """The user's erasure deletes their delivery records (by owner_uid) while FCM sends: the
    delivery ends without the record coming back or an event going out under their key."""
    from common.events import Event

    uid = f"push-{uuid.uuid4().hex[:12]}"
    note = _note(uid)
    store = clients.push_store()
    store.begin(note.notification_id, uid=uid, release=False, now=T0, lease=60)
    record = firestore_db.collection(PUSH_NOTIFICATIONS).document(_record_id(note.notification_id))
    record.delete()  # as erase_user drains the user's push_notifications
    store.mark_sent(note.notification_id, ["d1"])  # FCM delivered: nothing to note it on
    sent = Event(type="push.sent", occurred_at=T0, user_key="k", data={}, subject="k")

    assert not store.finish(note.notification_id, status="sent", reason=None, now=T0, events=[sent])
    assert not record.get().exists
    assert not firestore_db.collection("outbox").document(sent.event_id).get().exists


def test_unregistered_and_invalid_tokens_are_removed(fcm, firestore_db, events):
    uid, (good, gone, bad) = _user(firestore_db, platforms=("android", "ios", "web"))
    fcm.respond(gone, then="UNREGISTERED")
    fcm.respond(bad, then="INVALID_ARGUMENT")
    note = _note(uid)

    outcome = _deliver(note)

    assert (outcome.status, outcome.sent, outcome.removed) == ("sent", 1, 2)
    assert _devices(firestore_db, uid) == {device_id(good)}
    (event,) = [e for e in _push_events(events, note, 1) if e["type"] == "push.sent"]
    assert event["data"]["removed_tokens"] == 2
    assert event["data"]["errors"] == {"unregistered": 1, "invalid_token": 1}

    # The next message goes to the good token only.
    _deliver(_note(uid))
    assert len(fcm.for_token(gone)) == 1 and len(fcm.for_token(good)) == 2


def test_a_token_from_another_project_is_removed_only_when_another_device_got_it(fcm, firestore_db):
    uid, (good, foreign) = _user(firestore_db, platforms=("android", "ios"))
    fcm.respond(foreign, then="SENDER_ID_MISMATCH")  # a staging build's token, say
    outcome = _deliver(_note(uid))
    assert (outcome.status, outcome.sent, outcome.removed) == ("sent", 1, 1)
    assert _devices(firestore_db, uid) == {device_id(good)}

    # Every device refused: perhaps this project is wrong, and its devices stay.
    alone, (token,) = _user(firestore_db)
    fcm.respond(token, then="SENDER_ID_MISMATCH")
    outcome = _deliver(_note(alone))
    assert (outcome.status, outcome.reason) == ("failed", "all_devices_failed")
    assert _devices(firestore_db, alone) == {device_id(token)}


def test_quota_exceeded_waits_as_long_as_retry_after_says(fcm, firestore_db):
    uid, (token,) = _user(firestore_db)
    fcm.respond(token, "QUOTA_EXCEEDED", retry_after=3)
    sleeps: list[float] = []

    outcome = _deliver(_note(uid), sleeps=sleeps)

    assert outcome.status == "sent"
    assert sleeps == [3.0]  # FCM's Retry-After, not the shorter first backoff (1 s)
    assert [r.answer for r in fcm.for_token(token)] == ["QUOTA_EXCEEDED", "ok"]


def test_unavailable_then_success_backs_off_without_the_sdk_retrying_on_its_own(fcm, firestore_db):
    uid, (token,) = _user(firestore_db)
    fcm.respond(token, "UNAVAILABLE", "INTERNAL")
    sleeps: list[float] = []

    outcome = _deliver(_note(uid), sleeps=sleeps)

    assert outcome.status == "sent"
    assert sleeps == [1.0, 2.0]  # exponential backoff from PUSH_RETRY_BASE_SECONDS
    assert [r.answer for r in fcm.for_token(token)] == ["UNAVAILABLE", "INTERNAL", "ok"]


def test_a_retry_after_beyond_the_budget_defers_instead_of_dropping(fcm, firestore_db):
    uid, (token,) = _user(firestore_db)
    fcm.respond(token, "QUOTA_EXCEEDED", retry_after=600)
    note, sleeps = _note(uid), []

    outcome = _deliver(note, sleeps=sleeps)

    assert (outcome.status, outcome.reason) == ("deferred", "retry")
    assert sleeps == []  # not waiting ten minutes inside a function
    assert _record(firestore_db, note)["due_at"] == T0 + timedelta(seconds=600)

    _release(now=T0 + timedelta(seconds=599))
    assert len(fcm.for_token(token)) == 1
    _release(now=T0 + timedelta(seconds=600))
    assert [r.answer for r in fcm.for_token(token)] == ["QUOTA_EXCEEDED", "ok"]
    assert _record(firestore_db, note)["status"] == "sent"


def test_a_message_fcm_keeps_failing_ends_as_failed_and_the_token_stays(fcm, firestore_db, events):
    uid, (token,) = _user(firestore_db)
    fcm.respond(token, then="INTERNAL")
    note, sleeps = _note(uid), []

    outcome = _deliver(note, sleeps=sleeps, push_max_deliveries=1)

    assert (outcome.status, outcome.reason) == ("failed", "retries_exhausted")
    assert sleeps == [1.0, 2.0] and len(fcm.for_token(token)) == 3  # bounded
    assert _devices(firestore_db, uid) == {device_id(token)}  # a server error says nothing of it
    (event,) = _push_events(events, note, 1)
    assert event["type"] == "push.failed" and event["data"]["errors"] == {"internal": 1}


def test_an_expired_apns_key_defers_the_push_until_it_is_replaced(fcm, firestore_db):
    uid, (android, ios) = _user(firestore_db, platforms=("android", "ios"))
    fcm.respond(ios, then="THIRD_PARTY_AUTH_ERROR")
    note = _note(uid)

    outcome = _deliver(note)

    assert (outcome.status, outcome.reason) == ("deferred", "retry")
    assert _devices(firestore_db, uid) == {device_id(android), device_id(ios)}  # both kept
    # google-auth refreshes our token and repeats a request FCM answered 401 (twice): a send
    # to a refused key is 3 requests, not one.
    refused = len(fcm.for_token(ios))
    assert refused == 3
    fcm.respond(ios)  # the key was replaced
    _release(now=T0 + timedelta(minutes=5))
    assert [r.answer for r in fcm.for_token(ios)] == ["THIRD_PARTY_AUTH_ERROR"] * refused + ["ok"]
    assert len(fcm.for_token(android)) == 1
    assert _record(firestore_db, note)["status"] == "sent"


def test_a_retry_sends_only_to_the_devices_that_did_not_get_it(fcm, firestore_db):
    uid, (first, second) = _user(firestore_db, platforms=("android", "ios"))
    fcm.respond(second, "UNAVAILABLE", retry_after=600)
    note = _note(uid)

    assert _deliver(note).status == "deferred"
    _release(now=T0 + timedelta(seconds=600))

    assert len(fcm.for_token(first)) == 1  # it had the message already
    assert [r.answer for r in fcm.for_token(second)] == ["UNAVAILABLE", "ok"]


def test_a_malformed_message_is_acknowledged(function, fcm, caplog):
    body = {
        "message": {"data": base64.b64encode(b"{not json").decode(), "messageId": "1"},
        "subscription": f"projects/{PROJECT}/subscriptions/notifications-push-sender",
    }
    with caplog.at_level("ERROR"):
        r = function.post(f"/projects/{PROJECT}/topics/notifications", json=body)
    assert r.status_code == 200
    (logged,) = [r for r in caplog.records if "malformed" in r.getMessage()]
    assert logged.message_id == "1" and logged.needs_operator is True
