"""Devices through the gateway, and a notification through the stack: published on the
`notifications` topic, pushed by the Pub/Sub emulator to the push sender, sent with
firebase-admin to the stack's local FCM v1 server (port 8102)."""

from __future__ import annotations

import base64
import json
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from common.devices.models import device_id
from common.push.models import Notification, notification_event
from tests.e2e.redelivery import FunctionLog
from tests.stack_fixtures import PUBSUB, at_any_hour
from tests.stack_fixtures import wait_for as _wait_for

FCM = "http://127.0.0.1:8102"


def _token(label: str = "") -> str:
    return f"fcm-{uuid.uuid4().hex}:APA91b{label}"


def _register(api, user, token: str, platform: str = "android", **extra):
    body = {"token": token, "platform": platform, **extra}
    return api.post("/v2/devices", json=body, headers=user.headers)


def _device_ids(firestore_db, uid: str) -> set[str]:
    devices = firestore_db.collection("users").document(uid).collection("devices")
    return {d.id for d in devices.stream()}


def test_register_refresh_and_delete_a_device(api, user, firestore_db):
    token = _token()
    first = _register(api, user, token)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["created"] is True and body["platform"] == "android"
    assert body["device_id"] == device_id(token) and token not in first.text

    again = _register(api, user, token)  # the app registers on every start
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["created_at"] == body["created_at"]
    assert again.json()["last_seen_at"] >= body["last_seen_at"]
    assert _device_ids(firestore_db, user.uid) == {device_id(token)}

    # FCM refreshed the token: the new one replaces the old in one write.
    fresh = _token("fresh")
    assert _register(api, user, fresh, previous_token=token).status_code == 201
    assert _device_ids(firestore_db, user.uid) == {device_id(fresh)}

    r = api.delete(f"/v2/devices/{urllib.parse.quote(fresh, safe='')}", headers=user.headers)
    assert r.status_code == 204
    assert _device_ids(firestore_db, user.uid) == set()
    again = api.delete(f"/v2/devices/{fresh}", headers=user.headers)
    assert again.status_code == 404 and again.json()["error"]["code"] == "device_not_found"


def test_another_users_token_is_not_found_and_a_phone_changing_hands_moves_it(
    api, user, other_user, firestore_db
):
    token = _token()
    assert _register(api, user, token).status_code == 201

    r = api.delete(f"/v2/devices/{token}", headers=other_user.headers)
    assert r.status_code == 404
    assert _device_ids(firestore_db, user.uid) == {device_id(token)}

    # The other user signs in on the same phone: the token is theirs now, and only theirs.
    assert _register(api, other_user, token, platform="ios").status_code == 201
    assert _device_ids(firestore_db, other_user.uid) == {device_id(token)}
    assert _device_ids(firestore_db, user.uid) == set()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"token": "short", "platform": "android"}, "token"),
        ({"token": "a" * 40, "platform": "blackberry"}, "platform"),
        ({"token": "a" * 40}, "platform"),
        ({"token": "a" * 40, "platform": "web", "uid": "someone-else"}, "uid"),
        ({"token": "has spaces in it, not a token", "platform": "web"}, "token"),
    ],
)
def test_bad_registrations_are_400(api, user, body, field):
    r = api.post("/v2/devices", json=body, headers=user.headers)
    assert r.status_code == 400
    assert r.json()["error"]["field"] == field


def test_devices_need_a_signed_in_user(api):
    assert api.post("/v2/devices", json={"token": "a" * 40, "platform": "ios"}).status_code == 401
    assert api.delete(f"/v2/devices/{'a' * 40}").status_code == 401


# The stack's push path


def _fcm(method: str, path: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(
        f"{FCM}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read() or b"{}")


def _sent_to(token: str) -> list[dict]:
    return [
        r
        for r in _fcm("GET", "/_fake/requests")["requests"]
        if r["body"]["message"].get("token") == token
    ]


def _publish_raw(data: bytes, attributes: dict | None = None) -> None:
    message = {"data": base64.b64encode(data).decode(), "attributes": attributes or {}}
    req = urllib.request.Request(
        f"{PUBSUB}/topics/notifications:publish",
        data=json.dumps({"messages": [message]}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(req, timeout=5).close()


def _publish(note: Notification) -> None:
    event = notification_event(note)
    _publish_raw(event.encode(), event.attributes())


def _note(uid: str) -> Notification:
    return Notification(
        notification_id=f"e2e-{uuid.uuid4().hex}",
        uid=uid,
        kind="reengagement",
        title="Lua is here when you need her",
        body="It has been a while. How are things going?",
        collapse_key="reengagement",
        created_at=datetime.now(UTC),
    )


def test_a_published_notification_reaches_the_phone_and_dead_tokens_go(api, user, firestore_db):
    at_any_hour(api, user)
    live, dead = _token("live"), _token("dead")
    assert _register(api, user, live).status_code == 201
    assert _register(api, user, dead, platform="ios").status_code == 201
    _fcm("POST", f"/_fake/tokens/{dead}", {"then": "UNREGISTERED"})

    note = _note(user.uid)
    handled = FunctionLog("push_sender")
    _publish(note)

    (request,) = _wait_for(lambda: _sent_to(live), "the message at the fake FCM server")
    assert request["answer"] == "ok"
    assert request["body"]["message"]["android"]["collapse_key"] == "reengagement"
    _wait_for(lambda: _device_ids(firestore_db, user.uid) == {device_id(live)}, "clean-up")

    # Published again (a producer retry) once the first delivery is over: not sent again. The
    # push sender's log line for the copy says it was handled (a duplicate writes nothing).
    def pushes() -> list[dict]:
        return handled.records("push", notification_id=note.notification_id)

    done = len(_wait_for(pushes, "the first delivery to finish"))
    _publish(note)
    records = _wait_for(lambda: (r := pushes())[done:] and r, "the push sender to handle the copy")
    assert records[0]["status"] == "sent"
    assert {r["status"] for r in records[1:]} == {"duplicate"}
    assert len(_sent_to(live)) == 1


def _waiting(firestore_db, uid: str, collection: str = "deferred_notifications") -> list[dict]:
    from google.cloud.firestore_v1.base_query import FieldFilter

    query = firestore_db.collection(collection).where(filter=FieldFilter("owner_uid", "==", uid))
    return [d.to_dict() for d in query.stream()]


def _publish_release() -> None:
    """What Cloud Scheduler publishes (the local scheduler does too, every 30 s)."""
    _publish_raw(b'{"type":"notification.release_due"}')


def test_a_throttled_message_waits_and_the_scheduled_release_sends_it(api, user, firestore_db):
    at_any_hour(api, user)
    token = _token("throttled")
    assert _register(api, user, token).status_code == 201
    # Retry-After longer than PUSH_RETRY_MAX_WAIT_SECONDS (10 s): deferred, not slept on.
    _fcm("POST", f"/_fake/tokens/{token}", {"answers": ["QUOTA_EXCEEDED"], "retry_after": 11})

    _publish(_note(user.uid))

    (waiting,) = _wait_for(lambda: _waiting(firestore_db, user.uid), "the deferred message")
    assert waiting["reason"] == "retry"
    _wait_for(lambda: datetime.now(UTC) >= waiting["due_at"], "its due time", timeout=15)
    _publish_release()
    answers = _wait_for(
        lambda: [r["answer"] for r in _sent_to(token)] == ["QUOTA_EXCEEDED", "ok"],
        "the release",
    )
    assert answers
    _wait_for(lambda: _waiting(firestore_db, user.uid) == [], "the waiting copy to go")


def test_export_shows_devices_and_waiting_pushes_and_erasure_removes_them(api, user, firestore_db):
    token = _token("export")
    assert _register(api, user, token, platform="web").status_code == 201
    # Quiet hours around the current time, in UTC: the notification waits.
    now = datetime.now(UTC)
    quiet = {
        "start": (now - timedelta(hours=1)).strftime("%H:%M"),
        "end": (now + timedelta(hours=2)).strftime("%H:%M"),
    }
    r = api.patch(
        "/v2/profile", json={"timezone": "UTC", "quiet_hours": quiet}, headers=user.headers
    )
    assert r.status_code == 200, r.text
    note = _note(user.uid)
    _publish(note)
    _wait_for(lambda: _waiting(firestore_db, user.uid), "the deferred message")
    assert _sent_to(token) == []

    export = api.get("/v2/profile/export", headers=user.headers).json()
    assert [d["platform"] for d in export["devices"]] == ["web"]
    (pending,) = export["pending_notifications"]
    assert pending["notification"]["body"] == note.body
    (record,) = export["push_notifications"]  # its delivery record
    assert (record["notification_id"], record["status"]) == (note.notification_id, "deferred")

    assert api.delete("/v2/profile", headers=user.headers).status_code == 200
    assert _device_ids(firestore_db, user.uid) == set()
    assert _waiting(firestore_db, user.uid) == []
    assert _waiting(firestore_db, user.uid, "push_notifications") == []
