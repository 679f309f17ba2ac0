"""The FCM message the sender builds, and how FCM's answers are read: firebase-admin's own error
mapping runs on FCM v1 error bodies as they come over the wire (no network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from firebase_admin import _utils, messaging

from common.adapters.fcm_sender import FcmSender, _error_code, build_message
from common.config import Settings
from common.push.models import Device, Notification
from common.push.policy import DEAD_TOKEN_ERRORS, MISCONFIGURED_ERRORS, lifespan, longest_wait
from tests.fakes import fcm_server

MAX_DELIVERIES = Settings().push_max_deliveries
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"


def _note(**kw) -> Notification:
    base = {
        "notification_id": "weekly_insight.2026-W47.abc",
        "uid": "user-1",
        "kind": "weekly_insight",
        "title": "Your week with ION",
        "body": "In the past week: 2 conversations.",
        "created_at": datetime(2026, 11, 22, 18, tzinfo=UTC),
    }
    return Notification.model_validate({**base, **kw})


def _wire(note: Notification, platform: str = "web", *, now: datetime | None = None) -> dict:
    now = now or note.created_at
    ttl = lifespan(note.created_at, now, MAX_DELIVERIES)
    message = build_message(
        note, Device("d1", "fcm-token-1234567890:web", platform), ttl=ttl, now=now
    )
    return messaging._MessagingService.encode_message(message)


# --- the message -----------------------------------------------------------------------------


def test_web_push_carries_the_tag_so_a_repeat_or_a_newer_one_replaces_the_shown_one() -> None:
    wire = _wire(_note(collapse_key="weekly_insight"))
    assert wire["webpush"]["notification"] == {"tag": "weekly_insight"}
    assert wire["webpush"]["headers"]["Topic"] == "weekly_insight"
    assert wire["notification"] == {
        "title": "Your week with ION",
        "body": "In the past week: 2 conversations.",
    }
    assert wire["android"]["notification"]["tag"] == "weekly_insight"

    without_key = _wire(_note())  # a resend after a timeout shows once: tagged by its id
    assert without_key["webpush"]["notification"] == {"tag": "weekly_insight.2026-W47.abc"}
    assert "Topic" not in without_key["webpush"]["headers"]


def test_a_push_lives_on_every_platform_only_as_long_as_it_is_not_stale() -> None:
    # FCM keeps a message for an offline device up to 4 weeks by default: a push could reach a
    # phone after its user deleted their account or turned notifications off (support review).
    note = _note(collapse_key="weekly_insight")
    now = note.created_at + timedelta(hours=30)
    left = note.created_at + longest_wait(MAX_DELIVERIES) - now  # ~3 h 15 min
    wire = _wire(note, "android", now=now)
    ttl = float(wire["android"]["ttl"].rstrip("s"))
    assert 0 < ttl <= left.total_seconds()
    expiration = int(wire["apns"]["headers"]["apns-expiration"])
    assert now.timestamp() < expiration <= (now + left).timestamp()
    assert 0 < int(wire["webpush"]["headers"]["TTL"]) <= left.total_seconds()
    assert wire["webpush"]["headers"]["Topic"] == "weekly_insight"
    # once stale, nothing may be kept: never a negative life
    stale = _wire(note, "android", now=note.created_at + timedelta(days=3))
    assert stale["apns"]["headers"]["apns-expiration"] == "0"
    assert stale["webpush"]["headers"]["TTL"] == "0"
    assert stale["android"]["ttl"] == "0s"


def test_the_fake_fcm_server_accepts_the_message_as_fcm_does() -> None:
    assert fcm_server._invalid_message({"message": _wire(_note(collapse_key="k"))}) is None


def test_the_data_sent_is_the_data_whose_size_was_checked() -> None:
    note = _note(data={"screen": "insights"})
    sent = {"screen": "insights", "notification_id": note.notification_id, "kind": "weekly_insight"}
    assert _wire(note, "android")["data"] == note.fcm_data == sent


# --- FCM's answers -----------------------------------------------------------------------------


def _sdk_error(status: int, body: dict) -> Exception:
    """What messaging.send raises for this HTTP answer."""
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers["Content-Type"] = "application/json; charset=UTF-8"
    error = requests.HTTPError(response=response)
    return _utils.handle_platform_error_from_requests(
        error, messaging._MessagingService._build_fcm_error_requests
    )


def _error(status: int, state: str, message: str, *details: dict) -> dict:
    return {"error": {"code": status, "message": message, "status": state, "details": details}}


INVALID_TOKEN = _error(  # today's answer (FCM's error-code reference, example 2)
    400,
    "INVALID_ARGUMENT",
    "The registration token is not a valid FCM registration token",
    {"@type": FCM_ERROR, "errorCode": "INVALID_ARGUMENT"},
)
INVALID_TOKEN_FIELD = _error(  # an older answer: the field violation names message.token
    400,
    "INVALID_ARGUMENT",
    "Request contains an invalid argument.",
    {"@type": FCM_ERROR, "errorCode": "INVALID_ARGUMENT"},
    {
        "@type": BAD_REQUEST,
        "fieldViolations": [
            {"field": "message.token", "description": "Invalid registration token"}
        ],
    },
)
PAYLOAD_TOO_BIG = {
    "error": {
        "code": 400,
        "message": "Request contains an invalid argument.",
        "status": "INVALID_ARGUMENT",
    }
}
BAD_DATA_VALUE = _error(  # FCM's error-code reference, example 1
    400,
    "INVALID_ARGUMENT",
    "Invalid value at 'message.data[0].value' (TYPE_STRING), 12",
    {
        "@type": BAD_REQUEST,
        "fieldViolations": [
            {
                "field": "message.data[0].value",
                "description": "Invalid value at 'message.data[0].value' (TYPE_STRING), 12",
            }
        ],
    },
)
UNREGISTERED = _error(
    404,
    "NOT_FOUND",
    "Requested entity was not found.",
    {"@type": FCM_ERROR, "errorCode": "UNREGISTERED"},
)


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (400, INVALID_TOKEN, "invalid_token"),
        (400, INVALID_TOKEN_FIELD, "invalid_token"),
        (400, PAYLOAD_TOO_BIG, "invalid_argument"),  # the message, not the token: it stays
        (400, BAD_DATA_VALUE, "invalid_argument"),
        (404, UNREGISTERED, "unregistered"),
    ],
)
def test_only_an_invalid_argument_that_names_the_token_reads_as_a_bad_token(
    status: int, body: dict, code: str
) -> None:
    assert _error_code(_sdk_error(status, body)) == code


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (  # the APNs key or Web Push credentials uploaded to Firebase
            401,
            _error(
                401,
                "UNAUTHENTICATED",
                "Auth error from APNS or Web Push Service",
                {"@type": FCM_ERROR, "errorCode": "THIRD_PARTY_AUTH_ERROR"},
            ),
            "third_party_auth_error",
        ),
        (  # the FCM API disabled, or the push sender's role missing
            403,
            _error(403, "PERMISSION_DENIED", "Firebase Cloud Messaging API has not been used"),
            "permission_denied",
        ),
        (  # our OAuth token
            401,
            _error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."),
            "unauthenticated",
        ),
    ],
)
def test_a_refusal_of_our_credentials_reads_as_a_setup_error(
    status: int, body: dict, code: str
) -> None:
    """Logged for an operator and the push deferred (common/push): not one device's failure."""
    assert _error_code(_sdk_error(status, body)) == code
    assert code in MISCONFIGURED_ERRORS and code not in DEAD_TOKEN_ERRORS


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ("INVALID_ARGUMENT", "invalid_token"),
        ("UNREGISTERED", "unregistered"),
        ("SENDER_ID_MISMATCH", "sender_id_mismatch"),
        ("THIRD_PARTY_AUTH_ERROR", "third_party_auth_error"),
        ("QUOTA_EXCEEDED", "quota_exceeded"),
    ],
)
def test_the_fake_fcm_servers_answers_read_as_fcms_do(answer: str, code: str) -> None:
    status, state, fcm_code, message = fcm_server.ERRORS[answer]
    error = _sdk_error(status, fcm_server._status(status, state, message, fcm_code))
    assert _error_code(error) == code


def test_the_fake_fcm_servers_refusal_of_a_malformed_message_is_not_a_bad_token() -> None:
    problem = fcm_server._invalid_message({"message": {"token": "t", "topic": "x"}})
    assert problem is not None
    error = _sdk_error(400, fcm_server._status(400, "INVALID_ARGUMENT", problem))
    assert _error_code(error) == "invalid_argument"


# --- one request per device ---------------------------------------------------------------------


@pytest.fixture
def fake_fcm(monkeypatch):
    """A firebase-admin app whose messages go to a fake FCM server, with a token that has
    nothing to refresh it from: (app, server)."""
    import uuid

    import firebase_admin
    from google.oauth2.credentials import Credentials

    with fcm_server.FakeFcmServer() as fcm:
        url = fcm.base_url + "/v1/projects/{0}/messages:send"
        monkeypatch.setattr(messaging._MessagingService, "FCM_URL", url)
        app = firebase_admin.initialize_app(
            Credentials(token="fixed"),
            options={"projectId": "demo-ion"},
            name=f"fcm-test-{uuid.uuid4().hex}",
        )
        try:
            yield app, fcm
        finally:
            firebase_admin.delete_app(app)


def test_the_sender_gives_fcm_what_is_left_of_the_pushs_life(fake_fcm) -> None:
    # The mutation review: a sender that passed its arguments to lifespan the other way round,
    # or a lifespan without its ceiling, gave FCM the whole life (or more) of a push already
    # 20 h old, and every test still passed.
    app, fcm = fake_fcm
    phone = Device("d1", "fcm-token-1234567890:android", "android")
    sender = FcmSender(app, max_deliveries=MAX_DELIVERIES)
    sender.send(_note(created_at=datetime.now(UTC) - timedelta(hours=20)), [phone])
    sender.send(_note(created_at=datetime.now(UTC) + timedelta(hours=3)), [phone])  # clock ahead

    old, ahead = (
        float(r.message["android"]["ttl"].rstrip("s")) for r in fcm.for_token(phone.token)
    )
    left = (longest_wait(MAX_DELIVERIES) - timedelta(hours=20)).total_seconds()
    assert left - 60 < old <= left
    assert ahead == longest_wait(MAX_DELIVERIES).total_seconds()  # never more than a whole life


def test_a_device_whose_request_gets_no_answer_does_not_fail_the_others(fake_fcm, caplog) -> None:
    """A token refresh that fails after a 401 (here: a token with nothing to refresh it from)
    made send_each raise for the whole batch, and the service then re-sent the push to the
    phone that already had it. One request per device keeps each answer its own."""
    app, fcm = fake_fcm
    phone, tablet = (
        Device("d1", "fcm-token-1234567890:android", "android"),
        Device("d2", "fcm-token-0987654321:ios", "ios"),
    )
    fcm.respond(tablet.token, then="THIRD_PARTY_AUTH_ERROR")
    results = FcmSender(app, max_deliveries=MAX_DELIVERIES).send(_note(), [phone, tablet])

    assert [(r.device_id, r.ok) for r in results] == [("d1", True), ("d2", False)]
    assert results[1].error == "unknown" and results[1].http_status is None  # retried later
    assert [r.answer for r in fcm.for_token(phone.token)] == ["ok"]  # once
    assert "raised" in caplog.text and "Traceback" in caplog.text  # why, for an operator


def test_a_503_is_answered_once_not_retried_inside_the_sdk(fake_fcm) -> None:
    """The SDK's own policy re-sends a 503 and sleeps its Retry-After inside the call (with 600
    s, a hung function); FcmSender mounts an adapter without status retries on the SDK's
    private session (_own_retries), so the service decides. An SDK upgrade that moved send()
    off that session would bring the sleeps back: this fails then (three requests, a success)."""
    app, fcm = fake_fcm
    phone = Device("d1", "fcm-token-1234567890:android", "android")
    fcm.respond(phone.token, "UNAVAILABLE", "UNAVAILABLE", then="ok", retry_after=1)
    (result,) = FcmSender(app, max_deliveries=MAX_DELIVERIES).send(_note(), [phone])

    assert (result.ok, result.error, result.http_status) == (False, "unavailable", 503)
    assert [r.answer for r in fcm.for_token(phone.token)] == ["UNAVAILABLE"]
