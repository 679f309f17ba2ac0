"""What the producers read about a user, what they decide, and what a run reports."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from common.events import user_key

WEEKLY_INSIGHT = "weekly_insight"
REENGAGEMENT = "reengagement"

# users/{uid}.notices.{kind}: the last notification a producer enqueued for the user
# ({"period", "notification_id", "enqueued_at"}). It lives in the user's own document, so that
# the export shows it and erasing the user removes it; the cleanup job deletes it once it is
# older than the user's retention.
NOTICES = "notices"

# Why a user got nothing (the keys of a report's `skipped`).
NOT_AT_RISK = "not_at_risk"
NOTIFICATIONS_OFF = "notifications_off"
ERASED = "erased"  # an erasure of the user's data (DELETE /v2/profile) is still running
ANONYMISED = "anonymised"  # chose to anonymise analytics: never targeted from analytics
INACTIVE = "inactive"  # no turn in the last 7 days
# The weekly insight: the user's first turn (or first turn back after over 8 days away) was
# less than 2 days before the run (a "week" of a first conversation minutes old reads as a form
# letter)
TOO_NEW = "too_new"
ALREADY_ENQUEUED = "already_enqueued"  # this period's notification is on its way
COOLING_DOWN = "cooling_down"  # nudged less than the cool-down ago
# A crisis turn less than CRISIS_REMEMBERED (30 days) ago (the re-engagement nudge), or in the
# week the weekly insight tells (Monday 00:00 UTC to the run)
AFTER_CRISIS = "after_crisis"
# A turn about a heavy life event (a death, a miscarriage): in the week the weekly insight
# tells (a tally of it reads as tone-deaf, as after a crisis), or less than HEAVY_REMEMBERED
# (7 days) ago (the re-engagement nudge: "it has been a while" pulls back a grieving user)
AFTER_HEAVY_EVENT = "after_heavy_event"
# A turn that leaned on the mentor in place of people ("you're the only one I talk to") or
# said they want to use the app less, less than LEANING_REMEMBERED (30 days) ago: neither
# producer pulls them back to the app (the loneliness review)
LEANING = "leaning"
ACTIVE_SINCE = "active_since"  # a turn after the nudge was made (checked as it is sent)
# Never set a time zone (PATCH /v2/profile): their quiet hours, wall-clock times in it, cannot
# be told, and a push at the scheduler's UTC hour lands in the small hours somewhere. Checked
# last: counted only for users who would otherwise get it (and again as it is sent).
TIMEZONE_UNKNOWN = "timezone_unknown"
# The kinds the scheduled producers make: nothing the user just did asked for them.
SCHEDULED = frozenset({WEEKLY_INSIGHT, REENGAGEMENT})


@dataclass(frozen=True)
class Recipient:
    """One user with a registered device, as the producers see them."""

    uid: str
    user_key: str
    user: dict | None = None  # users/{uid}: settings and the producers' notices
    preferences: dict | None = None  # preferences/{user_key}: the profile updater's counters
    erased: bool = False  # an erasure is running: erasures/{user_key} has a part not done yet
    crisis_at: datetime | None = None  # their latest crisis turn, as activity/{uid} keeps it
    heavy_at: datetime | None = None  # their latest turn about a heavy life event, likewise
    leaning_at: datetime | None = None  # their latest turn that leaned on the mentor, likewise

    def notice(self, kind: str) -> dict[str, Any]:
        return ((self.user or {}).get(NOTICES) or {}).get(kind) or {}


@dataclass(frozen=True)
class AtRisk:
    """One row of the churn_risk view (common/analytics/views/churn_risk.sql)."""

    user_key: str
    risk: float
    band: str
    recency_days: float
    last_crisis_at: datetime | None = None  # their latest crisis turn since `crisis_since`


@dataclass
class ProducerReport:
    """One run: every user it reaches is considered once and is either enqueued or skipped for
    one reason (considered == enqueued + sum(skipped)). A run reaches every user with a device
    unless it is `resumed` (earlier runs reached those before) or not `complete` (the next run
    goes on from there)."""

    producer: str
    period: str
    considered: int = 0
    enqueued: int = 0
    skipped: Counter = field(default_factory=Counter)
    published_inline: bool = True  # False: some wait in the outbox for the relay
    complete: bool = True  # False: the run stopped at its page bound; the next one resumes
    resumed: bool = False  # began where the previous run stopped, not at the first device
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "producer": self.producer,
            "period": self.period,
            "considered": self.considered,
            "enqueued": self.enqueued,
            "skipped": dict(sorted(self.skipped.items())),
            "published_inline": self.published_inline,
            "complete": self.complete,
            "resumed": self.resumed,
            **self.extra,
        }


def notification_id(kind: str, period: str, uid: str, *, key: str) -> str:
    """The id of a user's notification of one kind in one period: the same on every rerun or
    retry (the push sender sends an id once), and no pseudonym analytics could link to the
    user (push events carry it): a keyed hash of kind, period and uid."""
    return f"{kind}.{period}.{user_key(f'{kind}|{period}|{uid}', key)}"


def notice(period: str, note_id: str, now: datetime) -> dict[str, Any]:
    return {"period": period, "notification_id": note_id, "enqueued_at": now}
