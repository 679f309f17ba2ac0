"""Event delivery through the transactional outbox: publish inline after the commit, and let
the relay (scheduled) publish whatever could not go out then. At least once; the analytics sink
de-duplicates by event_id."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from common.errors import Unavailable
from common.events import Event, EventPublisher, PublishError
from common.ports import OutboxStore

log = logging.getLogger(__name__)


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
        log.warning("events kept in the outbox for the relay: %s", e, extra={"events": len(ids)})
        with contextlib.suppress(Unavailable):  # else they fall due after the grace period
            outbox.mark_due(ids, now)
        return False
    try:
        outbox.delete_outbox(ids)
    except Unavailable:
        log.warning("delivered events stay in the outbox; the relay will re-send them")
    return True


@dataclass(frozen=True)
class RelayReport:
    claimed: int
    published: int
    failed: int
    more_due: bool = False  # every batch came full: the backlog outlasted the run


def moving(now: datetime) -> Callable[[], datetime]:
    """A clock that starts at `now` (a run's time) and moves with the monotonic clock: what an
    entry written or claimed late in a long run is dated with."""
    started = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - started)


def relay_outbox(
    *,
    publisher: EventPublisher,
    outbox: OutboxStore,
    now: datetime,
    batch_size: int,
    lease_seconds: int = 30,
    max_batches: int = 20,
) -> RelayReport:
    """Publish due outbox entries in bounded batches until none is due or Pub/Sub fails.
    Each batch is claimed at the time it is claimed (`now` moved on by the time taken so far):
    dated from the run's start, a lease taken late in a long run would have expired already."""
    claimed = published = failed = 0
    clock = moving(now)
    more_due = False
    for _ in range(max_batches):
        events = outbox.claim_due(now=clock(), limit=batch_size, lease_seconds=lease_seconds)
        if not events:
            break
        claimed += len(events)
        try:
            publisher.publish(events)
        except PublishError as e:
            failed += len(events)
            log.warning("outbox relay could not publish: %s", e)
            break
        outbox.delete_outbox([e.event_id for e in events])
        published += len(events)
    else:  # the last batch allowed, and full: more may be due than a run publishes
        more_due = claimed > 0 and len(events) == batch_size
    report = RelayReport(claimed, published, failed, more_due)
    if claimed:  # a quiet run logs nothing; one that found work says what it did
        log.log(logging.WARNING if report.more_due else logging.INFO, "outbox relay: %s", report)
    return report
