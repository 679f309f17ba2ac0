"""PushSender on FCM HTTP v1 through firebase-admin, one `messaging.send` per device, on a few
threads. Not `send_each`: when any one of its requests fails without an HTTP answer (a token
refresh that fails after a 401, say) it raises for the whole batch, and nothing says which
devices already had the push, so retrying them all would send it twice to some.

The SDK's own HTTP retries are replaced: it re-sends 500/503 up to four times and sleeps for
whatever Retry-After says, unbounded, inside the call; here a connection that never opened is
tried once more and every other retry is the push service's (bounded, visible, never a second
copy of a message FCM may already have taken)."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from common.push.models import Device, Notification, SendResult
from common.push.policy import lifespan

# Devices sent to at once: a user has at most 20 (common/devices/service.py), one request each.
log = logging.getLogger(__name__)

SEND_THREADS = 20


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _error_code(error: Exception) -> str:
    from firebase_admin import messaging

    named = {
        messaging.UnregisteredError: "unregistered",
        messaging.SenderIdMismatchError: "sender_id_mismatch",
        messaging.QuotaExceededError: "quota_exceeded",
        messaging.ThirdPartyAuthError: "third_party_auth_error",
    }
    for kind, code in named.items():
        if isinstance(error, kind):
            return code
    code = str(getattr(error, "code", "unknown")).lower()
    if code == "invalid_argument" and _names_the_token(error):
        return "invalid_token"
    return code


def _names_the_token(error: Exception) -> bool:
    """Whether an INVALID_ARGUMENT is about the registration token, not the message (too big, a
    bad field): FCM says so in its message ("The registration token is not a valid FCM
    registration token") or, in older answers, in a BadRequest field violation on
    `message.token`. Anything else leaves the token alone."""
    if "registration token" in str(error).lower():
        return True
    http = getattr(error, "http_response", None)
    if http is None:
        return False
    try:
        details = http.json()["error"]["details"]
        violations = [v for d in details for v in d.get("fieldViolations") or ()]
        return any(v.get("field") == "message.token" for v in violations)
    except (AttributeError, KeyError, TypeError, ValueError):  # no answer, or not JSON
        return False


def _refusal(device: Device, error: Exception) -> SendResult:
    http = getattr(error, "http_response", None)
    return SendResult(
        device_id=device.device_id,
        ok=False,
        error=_error_code(error),
        http_status=http.status_code if http is not None else None,
        retry_after=(
            parse_retry_after(http.headers.get("Retry-After"), datetime.now(UTC))
            if http is not None
            else None
        ),
    )


def _apns_collapse_id(tag: str) -> str:
    return tag if len(tag.encode()) <= 64 else hashlib.sha256(tag.encode()).hexdigest()[:64]


def build_message(note: Notification, device: Device, *, ttl: timedelta, now: datetime) -> Any:
    """The FCM message for one device: the collapse key (or the notification id) on every
    platform's header, so a newer message replaces an older one, and a repeat shows once; and
    on each platform the notification's remaining life (`ttl`, from `now`: policy.lifespan) as
    how long FCM, APNs or the Web Push service may keep it for a device that is offline."""
    from firebase_admin import messaging

    seconds = max(int(ttl.total_seconds()), 0)
    # APNs: when it expires (UNIX seconds); 0: deliver once, keep nothing.
    expiration = str(int(now.timestamp()) + seconds) if seconds else "0"
    apns_headers = {"apns-collapse-id": _apns_collapse_id(note.tag), "apns-expiration": expiration}
    # Topic replaces a message still queued at the push service; the tag replaces one already
    # shown (the browser merges it with the title and body above).
    web_headers = {"TTL": str(seconds)} | (
        {"Topic": note.collapse_key} if note.collapse_key else {}
    )
    return messaging.Message(
        token=device.token,
        notification=messaging.Notification(title=note.title, body=note.body),
        data=note.fcm_data,  # the data Notification's size check measured
        android=messaging.AndroidConfig(
            collapse_key=note.collapse_key,
            priority="normal",
            ttl=timedelta(seconds=seconds),
            notification=messaging.AndroidNotification(tag=note.tag),
        ),
        apns=messaging.APNSConfig(headers=apns_headers),
        webpush=messaging.WebpushConfig(
            headers=web_headers,
            notification=messaging.WebpushNotification(tag=note.tag),
        ),
    )


def _own_retries(app: Any) -> None:
    """Mount an adapter without status retries on the messaging service's session."""
    import requests
    from firebase_admin import messaging
    from urllib3.util.retry import Retry

    service = messaging._get_messaging_service(app)  # no public hook exists
    retry = Retry(total=1, connect=1, read=0, status=0, other=0, redirect=0)
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=100, max_retries=retry)
    for prefix in ("http://", "https://", "https://fcm.googleapis.com"):
        service._client.session.mount(prefix, adapter)


class FcmSender:
    def __init__(self, app: Any, *, max_deliveries: int) -> None:
        self._app = app
        self._max_deliveries = max_deliveries  # PUSH_MAX_DELIVERIES: when a push is stale
        _own_retries(app)

    def send(self, note: Notification, devices: list[Device]) -> list[SendResult]:
        if len(devices) <= 1:
            return [self._send_one(note, d) for d in devices]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(SEND_THREADS, len(devices)), "fcm-send") as pool:
            return list(pool.map(lambda d: self._send_one(note, d), devices))

    def _send_one(self, note: Notification, device: Device) -> SendResult:
        """One device's answer: FCM's, or no answer (what failed is logged by the service)."""
        from firebase_admin import exceptions, messaging

        now = datetime.now(UTC)
        ttl = lifespan(note.created_at, now, self._max_deliveries)
        try:
            messaging.send(build_message(note, device, ttl=ttl, now=now), app=self._app)
        except ValueError:  # the SDK refused to encode it: nothing went out, and never will
            return SendResult(device.device_id, ok=False, error="invalid_message", http_status=400)
        except exceptions.FirebaseError as e:
            return _refusal(device, e)
        except Exception:  # no answer from FCM (a token that could not be refreshed): retried
            # With its traceback: the same path takes an SDK upgrade's TypeError in building the
            # message, which would otherwise read as FCM not answering, delivery after delivery.
            log.warning("FCM send to a device raised; it is retried", exc_info=True)
            return SendResult(device.device_id, ok=False, error="unknown")
        return SendResult(device_id=device.device_id, ok=True)
