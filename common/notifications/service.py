"""Running the producers (keyword-only services over ports).

Both walk the users who have a registered device (nobody else can be reached), page by page,
starting where the producer's previous run stopped (a run reads pages while its time lasts, at most
MAX_PAGES; after the last device the next run starts over), so every user is reached within a few
runs however many there are; read what decides (users/{uid}, preferences/{user_key},
erasures/{user_key}, activity/{uid}) for a hundred users in one round trip; and enqueue what they
decide through the outbox: one atomic batch writes the `notification.requested` events and each
user's notice (users/{uid}.notices.{kind}), then the events are published at once and the outbox
entries removed (if Pub/Sub is down the relay publishes them later). Ids are stable per user and
period, so a rerun, a retry or two runs at once never send a user the same notification twice: the
notice skips them, and the push sender sends an id once.

A run is paced to `notification_outbox_writes_per_second` outbox writes and deletes: each entry
is written and deleted on `next_attempt_at`, an indexed timestamp that only grows, which
Firestore takes at ~500 writes a second (the chat turns' own entries share that end of the
index); unpaced, a run made 850-1,900 a second (docs/CAPACITY.md section 3)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from common.chat.limits import CRISIS_REMEMBERED
from common.config import Settings
from common.events import Event, EventPublisher, user_key
from common.notifications.models import (
    ERASED,
    NOT_AT_RISK,
    REENGAGEMENT,
    WEEKLY_INSIGHT,
    AtRisk,
    ProducerReport,
    Recipient,
    notice,
)
from common.notifications.reengagement import MIN_IDLE_DAYS, nudge_period, reengagement_nudge
from common.notifications.weekly import iso_week, weekly_insight
from common.outbox import deliver_now, moving
from common.ports import OutboxStore
from common.push.models import Notification, notification_event

log = logging.getLogger(__name__)

PAGE_SIZE = 300  # device documents per page
# A run reads pages while its time lasts (the function passes a deadline), at most 300,000
# devices; the next run goes on (complete: false).
MAX_PAGES = 1000
READ_BATCH = 100  # users whose documents are read in one round trip (4 documents each)
MAX_AT_RISK = 100_000  # churn_risk rows read per run, riskiest first


@dataclass(frozen=True)
class Outgoing:
    note: Notification
    event: Event  # the notification.requested event carrying it
    notice: dict  # what users/{uid}.notices.{kind} becomes


class AudienceStore(Protocol):
    def device_users(self, *, limit: int, cursor: str | None) -> tuple[list[str], str | None]:
        """The owners of the next `limit` device documents (in document order, so a user's
        devices are adjacent) and the cursor of the next page, None when there is none."""

    def load_cursor(self, producer: str) -> str | None:
        """Where the producer's last run stopped; None: from the first device."""

    def save_cursor(self, producer: str, cursor: str | None, *, now: datetime) -> None: ...

    def recipients(self, users: list[tuple[str, str]], *, crisis: bool = False) -> list[Recipient]:
        """Each (uid, user_key) with users/{uid}, preferences/{user_key} and whether the
        user's erasure is still running (erasures/{user_key} exists and is not done in both
        parts, Firestore and analytics); with `crisis`, also their latest crisis turn as
        activity/{uid} keeps it."""

    def enqueue(self, outgoing: list[Outgoing], *, due: datetime, now: datetime) -> list[Outgoing]:
        """Atomically: each event in the outbox (the relay's from `due` on) and each user's
        notice; except for users whose erasure runs or was asked for since `now` (the
        recipients were read before it): those enqueued."""


class RiskReader(Protocol):
    def at_risk(
        self, *, min_risk: float, min_idle_days: float, limit: int, crisis_since: datetime
    ) -> list[AtRisk]:
        """churn_risk rows with risk >= min_risk and recency_days >= min_idle_days, each with
        the user's latest crisis turn since `crisis_since`."""


Decide = Callable[[Recipient], tuple[Notification | None, str | None]]


def _run(
    report: ProducerReport,
    *,
    audience: AudienceStore,
    publisher: EventPublisher,
    outbox: OutboxStore,
    settings: Settings,
    now: datetime,
    decide: Decide,
    wanted: Callable[[str], bool] = lambda _key: True,
    page_size: int = PAGE_SIZE,
    max_pages: int = MAX_PAGES,
    deadline: float | None = None,  # on `clock`: the next page starts before it or not at all
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> ProducerReport:
    key = settings.analytics_hmac_key()
    dated = moving(now)
    seen: set[str] = set()
    cursor = audience.load_cursor(report.producer)
    report.resumed = cursor is not None
    began, spent = clock(), 0  # the last page's start, and its outbox writes and deletes
    for _ in range(max_pages):
        # The next page waits until the last one's writes fit the budget (module docstring).
        wait = max(0.0, began + spent / settings.notification_outbox_writes_per_second - clock())
        if deadline is not None and clock() + wait >= deadline:
            # The function's timeout is near: the next run goes on from here.
            report.complete = False
            break
        if wait:
            sleep(wait)
        began, spent = clock(), 0
        uids, cursor = audience.device_users(limit=page_size, cursor=cursor)
        fresh = [uid for uid in dict.fromkeys(uids) if uid not in seen]
        seen.update(fresh)
        report.considered += len(fresh)
        pairs = [(uid, user_key(uid, key)) for uid in fresh]
        chosen = [pair for pair in pairs if wanted(pair[1])]
        if len(chosen) < len(pairs):
            report.skipped[NOT_AT_RISK] += len(pairs) - len(chosen)
        for start in range(0, len(chosen), READ_BATCH):
            outgoing = []
            batch = chosen[start : start + READ_BATCH]
            # Both producers hold back after the user's latest crisis turn (Recipient.crisis_at).
            for recipient in audience.recipients(batch, crisis=True):
                note, reason = decide(recipient)
                if note is None:
                    report.skipped[reason or "unknown"] += 1
                    continue
                event = notification_event(note, subject=recipient.user_key)
                outgoing.append(Outgoing(note, event, notice(report.period, event.event_id, now)))
            if outgoing:
                # The relay's turn comes a grace after the entries are written, not after the
                # run began: a run lasts minutes, and the relay would publish them alongside.
                due = dated() + timedelta(seconds=settings.outbox_grace_seconds)
                enqueued = audience.enqueue(outgoing, due=due, now=now)
                if len(enqueued) < len(outgoing):  # erased since their documents were read
                    report.skipped[ERASED] += len(outgoing) - len(enqueued)
                report.enqueued += len(enqueued)
                spent += 2 * len(enqueued)  # each entry written, then deleted (or marked due)
                events = [o.event for o in enqueued]
                if not deliver_now(events, publisher=publisher, outbox=outbox, now=now):
                    report.published_inline = False
        # After each page, so a run cut short (timeout) is resumed where it stopped; None at the
        # end: the next run starts over. Revisiting a user is harmless (the notices skip them).
        audience.save_cursor(report.producer, cursor, now=now)
        if cursor is None:
            break
    else:
        report.complete = False
    # WARNING when users were left for a later run (the weekly insight's alert counts these).
    level = logging.INFO if report.complete else logging.WARNING
    log.log(level, "notification producer", extra={"report": report.as_dict()})
    return report


def produce_weekly_insights(
    *,
    audience: AudienceStore,
    publisher: EventPublisher,
    outbox: OutboxStore,
    settings: Settings,
    now: datetime,
    page_size: int = PAGE_SIZE,
    max_pages: int = MAX_PAGES,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> ProducerReport:
    """A weekly insight for every user with a device and a turn in the ISO week so far, except
    those with a crisis turn in it (weekly.weekly_insight)."""
    key = settings.analytics_hmac_key()
    days = now.weekday() + 1  # the ISO week so far, Monday to today (weekly.week_facts)
    report = ProducerReport(WEEKLY_INSIGHT, iso_week(now), extra={"window_days": days})
    return _run(
        report,
        audience=audience,
        publisher=publisher,
        outbox=outbox,
        settings=settings,
        now=now,
        decide=lambda r: weekly_insight(r, now=now, key=key),
        page_size=page_size,
        max_pages=max_pages,
        deadline=deadline,
        clock=clock,
        sleep=sleep,
    )


def produce_reengagement_nudges(
    *,
    audience: AudienceStore,
    risks: RiskReader,
    publisher: EventPublisher,
    outbox: OutboxStore,
    settings: Settings,
    now: datetime,
    page_size: int = PAGE_SIZE,
    max_pages: int = MAX_PAGES,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> ProducerReport:
    """A nudge for every user with a device whom the churn_risk view marks at risk
    (common/notifications/reengagement.py says who exactly)."""
    key = settings.analytics_hmac_key()
    cooldown = settings.reengagement_cooldown_days
    rows = risks.at_risk(
        min_risk=settings.reengagement_min_risk,
        min_idle_days=MIN_IDLE_DAYS,
        limit=MAX_AT_RISK,
        crisis_since=now - CRISIS_REMEMBERED,
    )
    # "Pick up where you left off" must not reach a user whose last conversations were a
    # crisis: the nudge waits CRISIS_REMEMBERED after their latest crisis turn.
    after_crisis = {row.user_key for row in rows if row.last_crisis_at is not None}
    at_risk = {row.user_key for row in rows} - after_crisis
    report = ProducerReport(
        REENGAGEMENT,
        nudge_period(now, cooldown),
        extra={
            "at_risk": len(at_risk),
            "after_crisis": len(after_crisis),
            "min_risk": settings.reengagement_min_risk,
            "cooldown_days": cooldown,
        },
    )
    return _run(
        report,
        audience=audience,
        publisher=publisher,
        outbox=outbox,
        settings=settings,
        now=now,
        decide=lambda r: reengagement_nudge(r, now=now, key=key, cooldown_days=cooldown),
        wanted=at_risk.__contains__,
        page_size=page_size,
        max_pages=max_pages,
        deadline=deadline,
        clock=clock,
        sleep=sleep,
    )
