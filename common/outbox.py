"""Event delivery through the transactional outbox: publish after the commit (a turn: once its
answer is sent), and let the relay (scheduled) publish whatever could not go out then. At least
once; the analytics sink de-duplicates by event_id."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from common import logs
from common.errors import Unavailable
from common.events import Event, EventPublisher, PublishError
from common.ports import OutboxStore

log = logging.getLogger(__name__)

# A Pub/Sub (or Firestore) outage fails every turn's delivery: one line per instance per 30 s
# with the count (logs.Throttle), keyed by what failed; the relay sends the events later.
_FAILED = logs.Throttle(logs.FAILURE_LOG_SECONDS)


def deliver_now(
    events: list[Event], *, publisher: EventPublisher, outbox: OutboxStore, now: datetime
) -> bool:
    """Publish events just committed with their turn; never fails the turn. True if delivered."""
    if not events:
        return True
    ids = [e.event_id for e in events]
    try:
        publisher.publish(events)
    except PublishError as e:
        _FAILED.warning(
            log,
            "publish",
            "events kept in the outbox for the relay: %s",
            e,
            extra={"events": len(ids)},
        )
        with contextlib.suppress(Unavailable):  # else they fall due after the grace period
            outbox.mark_due(ids, now)
        return False
    # the failures held back since an outage's last line, told now rather than at the next one
    _FAILED.resolved(log, "publish", "events kept in the outbox for the relay, then published")
    try:
        outbox.delete_outbox(ids)
    except Unavailable:
        _FAILED.warning(
            log, "delete", "delivered events stay in the outbox; the relay will re-send them"
        )
        return True
    _FAILED.resolved(log, "delete", "delivered events stay in the outbox, then deleted")
    return True


@dataclass(frozen=True)
class RelayReport:
    claimed: int
    published: int
    failed: int
    more_due: bool = False  # its last batch came full at its bound or time: more is due


def moving(now: datetime) -> Callable[[], datetime]:
    """A clock that starts at `now` (a run's time) and moves with the monotonic clock: what an
    entry written or claimed late in a long run is dated with."""
    started = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - started)


# Batches start only this long into a run, so that the last one (a claim of two round trips, a
# publish of up to PUBLISH_TIMEOUT_SECONDS, 2 s, a topic, the deletes; each Firestore call
# bounded to 5 s) ends inside the function's 60 s timeout. 20 batches could outlast it (leasing
# one entry at a time, 2,000 due events took 33-63 s; a Pub/Sub slow to answer, up to 80 s):
# killed, a run loses its report and leaves its last batch published but not deleted, to go out
# again, and the next run, a minute later, finds the one instance (max_instances 1) busy.
RELAY_BUDGET_SECONDS = 40


def relay_outbox(
    *,
    publisher: EventPublisher,
    outbox: OutboxStore,
    now: datetime,
    batch_size: int,
    lease_seconds: int = 30,
    max_batches: int = 20,
    budget_seconds: float = RELAY_BUDGET_SECONDS,
) -> RelayReport:
    """Publish due outbox entries in bounded batches until none is due, Pub/Sub fails or
    `budget_seconds` have passed. Each batch is claimed at the time it is claimed (`now` moved
    on by the time taken so far): dated from the run's start, a lease taken late in a long run
    would have expired already."""
    claimed = published = failed = 0
    clock = moving(now)
    full = False  # the last batch came full: more may be due than the run published
    for _ in range(max_batches):
        at = clock()
        if at - now >= timedelta(seconds=budget_seconds):
            break
        events = outbox.claim_due(now=at, limit=batch_size, lease_seconds=lease_seconds)
        full = len(events) == batch_size
        if not events:
            break
        claimed += len(events)
        try:
            publisher.publish(events)
        except PublishError as e:
            failed += len(events)
            full = False
            log.warning("outbox relay could not publish: %s", e)
            break
        outbox.delete_outbox([e.event_id for e in events])
        published += len(events)
    report = RelayReport(claimed, published, failed, more_due=full)
    if claimed:  # a quiet run logs nothing; one that found work says what it did
        log.log(logging.WARNING if report.more_due else logging.INFO, "outbox relay: %s", report)
    return report
