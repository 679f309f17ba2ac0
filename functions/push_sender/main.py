"""Push sender (Pub/Sub push on `notifications`): sends each `notification.requested` to the
user's devices through FCM, and on `notification.release_due` (Cloud Scheduler) the deferred
ones that are due. A malformed message is logged and acknowledged; a storage outage or another
delivery of the same notification in progress is answered 503, so Pub/Sub delivers it again."""

from __future__ import annotations

import base64
import json
import logging
import time

import functions_framework
from cloudevents.http import CloudEvent
from pydantic import ValidationError

from common import clients
from common.config import get_settings, require_analytics_key
from common.edge import redeliver, utcnow
from common.errors import Unavailable
from common.logs import NEEDS_OPERATOR, setup_logging
from common.push.models import RELEASE_DUE, Notification, notification_from_envelope
from common.push.service import PUSH_LINE, Busy, deliver, outcome_fields, release_due

setup_logging(get_settings().log_level)
require_analytics_key()
log = logging.getLogger(__name__)


def _ports() -> dict:
    return {
        "store": clients.push_store(),
        "sender": clients.push_sender(),
        "outbox": clients.session_store(),
        "publisher": clients.event_publisher(),
        "settings": get_settings(),
        "sleep": time.sleep,
    }


@functions_framework.cloud_event
def push_sender(cloud_event: CloudEvent) -> None:
    message = (cloud_event.data or {}).get("message") or {}
    try:  # parsing only: an error of the delivery itself keeps its traceback
        payload = json.loads(base64.b64decode(message.get("data") or ""))
        if not isinstance(payload, dict):
            raise ValueError("not an object")
        note = None if payload.get("type") == RELEASE_DUE else notification_from_envelope(payload)
    except (ValueError, ValidationError, TypeError) as e:
        # Only our own producers publish here: a message they wrote wrong is a bug to find.
        log.error(
            "dropping a malformed notification: %s",
            type(e).__name__,
            extra={"message_id": message.get("messageId"), NEEDS_OPERATOR: True},
        )
        return  # acknowledged: retrying cannot fix it
    if note is None:
        _release()
    else:
        _deliver(note)


def _release() -> None:
    try:
        report = release_due(clock=utcnow, **_ports())
    except Unavailable as e:  # Firestore down: the next run (or this one again) releases them
        redeliver(e)
    log.info("push release", extra={"released": report.released, **report.outcomes})


def _deliver(note: Notification) -> None:
    try:
        outcome = deliver(note=note, now=utcnow(), **_ports())
    except (Unavailable, Busy) as e:  # Firestore down, or a redelivery meeting the one under way
        redeliver(e)
    log.info(PUSH_LINE, extra=outcome_fields(note, outcome))
