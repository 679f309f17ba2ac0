"""Analytics sink (Pub/Sub push on `events`, subscription `events-analytics-sink`): each event
becomes one row of the BigQuery `events` table, with its event_id as the row id; one with the
`private` attribute (for the profile updater only) is acknowledged and not stored.

A malformed event is published to the dead-letter topic with the reason and acknowledged, so it
never blocks the others; a BigQuery outage answers 503 and Pub/Sub delivers again (the views
de-duplicate by event_id, so a second copy is harmless). Concurrent deliveries to one instance
share one BigQuery write (common/analytics/sink.py explains why push + group commit)."""

from __future__ import annotations

import base64
import binascii
import logging

import functions_framework
from cloudevents.http import CloudEvent

from common import clients
from common.adapters.bigquery_calls import unavailable_errors
from common.analytics.sink import Message, sink_messages
from common.analytics.warehouse import InsertFailed
from common.config import get_settings
from common.edge import redeliver, utcnow
from common.logs import FAILURE_LOG_SECONDS, NEEDS_OPERATOR, Throttle, setup_logging

setup_logging(get_settings().log_level)
log = logging.getLogger(__name__)

# BigQuery or the dead-letter topic refusing this service (a missing table or topic, IAM) is no
# outage that passes: it lasts until an operator acts, so an ERROR the needs_operator alert
# reads, once per instance, error type and interval with its count (as
# common/adapters/firestore_calls.py says it of Firestore). The delivery is still answered 503,
# to be written once that is fixed.
_REFUSED = Throttle(FAILURE_LOG_SECONDS)


def _refusals() -> tuple[type[BaseException], ...]:
    from google.api_core.exceptions import Forbidden, NotFound  # PermissionDenied is a Forbidden

    return (Forbidden, NotFound)


def _retried() -> tuple[type[Exception], ...]:
    """What a delivery is retried for: BigQuery or Pub/Sub (the dead letter) down, or the
    group's write past its wait (TimeoutError, an OSError)."""
    return (InsertFailed, *unavailable_errors())


def _message(cloud_event: CloudEvent) -> Message:
    pushed = (cloud_event.data or {}).get("message") or {}
    raw = pushed.get("data") or ""
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError, TypeError):
        data = str(raw).encode()  # kept as sent, for the dead letter
    attributes = pushed.get("attributes") or {}
    return Message(
        data=data,
        attributes={str(k): str(v) for k, v in attributes.items()},
        message_id=str(pushed.get("messageId") or pushed.get("message_id") or ""),
    )


@functions_framework.cloud_event
def analytics_sink(cloud_event: CloudEvent) -> None:
    writer = clients.analytics_writer()
    try:
        report = sink_messages(
            [_message(cloud_event)],
            write=lambda rows: [writer.submit(row) for row in rows],
            dead_letter=clients.dead_letter(),
            now=utcnow(),
        )
    except _retried() as e:
        if isinstance(e, _refusals()):
            _REFUSED.log(
                log,
                logging.ERROR,
                type(e).__name__,
                "BigQuery or Pub/Sub refused this service's calls (%s): %s",
                type(e).__name__,
                str(e)[:200],
                extra={NEEDS_OPERATOR: True},
            )
        redeliver(e)
    log.debug("analytics event", extra={"written": report.written, "dead": report.dead_lettered})
