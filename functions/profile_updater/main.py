"""Profile updater (Pub/Sub push on `events`): learns each user's preferences from turn,
feedback and session.ended events, except those from before the user's erasure. A redelivered
event changes nothing; a malformed one is logged and dropped."""

from __future__ import annotations

import base64
import json
import logging

import functions_framework
from cloudevents.http import CloudEvent

from common import clients
from common.config import get_settings
from common.edge import redeliver, utcnow
from common.errors import Unavailable
from common.events import Event
from common.logs import NEEDS_OPERATOR, setup_logging
from common.profile.updater import delta_for

setup_logging(get_settings().log_level)
log = logging.getLogger(__name__)


@functions_framework.cloud_event
def profile_updater(cloud_event: CloudEvent) -> None:
    message = (cloud_event.data or {}).get("message") or {}
    attributes = message.get("attributes") or {}
    try:
        envelope = json.loads(base64.b64decode(message.get("data") or ""))
        event = Event.from_envelope(envelope, subject=attributes.get("subject"))
        delta = delta_for(event)  # ValueError: a value no profile may hold (a NaN reward)
    except (ValueError, KeyError, TypeError) as e:
        # Only our own code publishes here: a message it cannot read is a bug to find (by its
        # ids), and the alert on needs_operator says so.
        ids = {"message_id": message.get("messageId"), "event_id": attributes.get("event_id")}
        log.error(
            "dropping a malformed event: %s",
            type(e).__name__,
            extra={**ids, "type": attributes.get("type"), NEEDS_OPERATOR: True},
        )
        return  # acknowledged: retrying cannot fix it
    if delta is None or not event.subject or not delta.increments:
        return
    try:
        applied = clients.preference_writer().apply(
            subject=event.subject,
            event_id=event.event_id,
            increments=delta.increments,
            occurred_at=event.occurred_at,
            now=utcnow(),
        )
    except Unavailable as e:  # Firestore down: the delivery is retried
        redeliver(e)
    # One event applied is the updater's every call (~1.4 a turn): DEBUG, as the line would
    # cost more than it tells at load (docs/CAPACITY.md, section 5). One not applied, a copy
    # Pub/Sub delivered again or an event from before the user's erasure, is rare: INFO.
    level = logging.DEBUG if applied else logging.INFO
    log.log(level, "profile event", extra={"type": event.type, "applied": applied})
