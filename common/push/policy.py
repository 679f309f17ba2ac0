"""Pure push decisions: opt-out, quiet hours in the user's timezone (also across midnight), the
daily cap, collapsing, and how long to wait before sending again. No clock, no cloud."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from common.profile.models import ProfileSettings, QuietHours
from common.push.models import Notification, SendResult

# FCM says the token is gone for good (the app was uninstalled or the token refreshed): delete
# it. Not a bare `invalid_argument`: that can be the message (too big, a bad field) and would
# delete every device of the user; `invalid_token` is one whose answer names the token
# (common/adapters/fcm_sender.py). Nor `sender_id_mismatch`: every token gets it when this
# project is not the apps' Firebase project, and deleting them would empty the device registry
# in one weekly run; a token truly from another project is deleted when another device got the
# same push (common/push/service.py).
DEAD_TOKEN_ERRORS = frozenset({"unregistered", "invalid_token"})
SENDER_ID_MISMATCH = "sender_id_mismatch"
# FCM refusing our credentials, for every token alike until an operator mends them: the APNs key
# or Web Push credentials uploaded to Firebase (THIRD_PARTY_AUTH_ERROR), the FCM API or the
# sender's role (PERMISSION_DENIED), our OAuth token (UNAUTHENTICATED). Asking again within
# seconds is no use; the push waits for a later delivery, so it goes once they are mended.
CREDENTIAL_ERRORS = frozenset({"third_party_auth_error", "permission_denied", "unauthenticated"})
# Our setup, not the token: logged for an operator, the devices kept.
MISCONFIGURED_ERRORS = CREDENTIAL_ERRORS | {SENDER_ID_MISMATCH}
MAX_BACKOFF_SECONDS = 300.0
# FCM answers QUOTA_EXCEEDED (429) until the project's per-minute quota refills, and its error
# reference says to retry those with a minimum initial delay of one minute: without a
# Retry-After, seconds-long backoff only spends the next sends on the same refusal.
QUOTA_RETRY_SECONDS = 60.0
# Between deliveries of a push FCM could not take, from the second on: 5 minutes (the release's
# period), each next wait twice the last, up to 4 hours. Retried every 5 minutes, a push had
# failed for good 20 minutes into an FCM outage (PUSH_MAX_DELIVERIES) and was never made again.
REDELIVERY_BASE_SECONDS = 300.0
REDELIVERY_MAX_SECONDS = 4 * 3600.0


@dataclass(frozen=True)
class Decision:
    action: Literal["send", "defer", "suppress"]
    reason: str | None = None
    due_at: datetime | None = None  # when a deferred message may go


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def quiet_until(now: datetime, timezone: str, quiet: QuietHours | None) -> datetime | None:
    """The end of the quiet hours `now` falls in (UTC), or None when `now` is not quiet.
    Hours are wall-clock times in the user's zone; a window may cross midnight (22:00-07:00).
    Equal start and end mean no quiet hours."""
    if quiet is None:
        return None
    start, end = _hhmm(quiet.start), _hhmm(quiet.end)
    if start == end:
        return None
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    t = local.time().replace(tzinfo=None)
    if start < end:
        if not start <= t < end:
            return None
        end_day = local.date()
    else:  # across midnight: quiet from start until midnight and from midnight until end
        if end <= t < start:
            return None
        end_day = local.date() if t < end else local.date() + timedelta(days=1)
    # An end in an hour the clocks repeat (autumn) is its first pass, or in the second pass
    # when the first is already over; one the clocks skip (spring) is when they jump over it.
    # Never hand back the past: a release run would defer the message again minute by minute.
    wall = datetime.combine(end_day, end, tzinfo=zone)
    jump = _clocks_jump(wall)
    for until in (jump,) if jump else (wall, wall.replace(fold=1)):
        if until.astimezone(now.tzinfo) > now:
            return until.astimezone(now.tzinfo)
    return now + timedelta(minutes=1)


def _clocks_jump(wall: datetime) -> datetime | None:
    """The instant the clocks jump over `wall` (aware, in its zone), if they skip it (spring
    forward); None if it exists. A skipped wall time read with the offset from before the
    change (fold=0) lies after the one read with the offset from after (fold=1); the change is
    between the two, found to the second."""
    early, late = wall.replace(fold=1).astimezone(UTC), wall.replace(fold=0).astimezone(UTC)
    if early >= late:
        return None
    after = late.astimezone(wall.tzinfo).utcoffset()
    while late - early > timedelta(seconds=1):
        middle = early + (late - early) / 2
        if middle.astimezone(wall.tzinfo).utcoffset() == after:
            late = middle
        else:
            early = middle
    return late.replace(microsecond=0)


def local_day(now: datetime, timezone: str) -> str:
    """The user's calendar day (ISO date) at `now`: the daily cap counts per local day."""
    return now.astimezone(ZoneInfo(timezone)).date().isoformat()


def decide(
    *, settings: ProfileSettings, devices: int, now: datetime, timezone_unknown: bool = False
) -> Decision:
    """Whether a notification may go now. The daily cap is checked when the slot is taken.
    `timezone_unknown`: a push the user did not just cause, for a user who never set their time
    zone: quiet hours are wall-clock times in it, so they cannot be honoured and it is not sent
    (settings.timezone is then only the default "UTC")."""
    if not settings.notifications:
        return Decision("suppress", "notifications_off")
    if devices == 0:
        return Decision("suppress", "no_devices")
    if timezone_unknown:
        return Decision("suppress", "timezone_unknown")
    until = quiet_until(now, settings.timezone, settings.quiet_hours)
    if until is not None:
        return Decision("defer", "quiet_hours", until)
    return Decision("send")


def take_daily_slot(counter: dict | None, *, day: str, cap: int) -> dict | None:
    """The user's counter after one more push today, or None when today's cap is reached."""
    sent = (counter or {}).get("count", 0) if (counter or {}).get("day") == day else 0
    if sent >= cap:
        return None
    return {"day": day, "count": sent + 1}


def is_retryable(result: SendResult) -> bool:
    """Worth sending again within the delivery: throttled, a server error, or no answer at all
    (not a refusal of our setup, even one that came without an HTTP answer)."""
    if result.ok or result.error in DEAD_TOKEN_ERRORS or result.error in MISCONFIGURED_ERRORS:
        return False
    return result.http_status is None or result.http_status == 429 or result.http_status >= 500


def wait_asked(result: SendResult) -> float:
    """The least wait before sending this again: FCM's Retry-After, else for a quota exceeded a
    minute, else none (backoff alone)."""
    if result.retry_after is not None:
        return result.retry_after
    return QUOTA_RETRY_SECONDS if result.error == "quota_exceeded" else 0.0


def retry_delay(attempt: int, *, retry_after: float | None, base: float) -> float:
    """Exponential backoff (base, 2 base, 4 base, ...), never shorter than FCM's Retry-After."""
    backoff = min(base * 2**attempt, MAX_BACKOFF_SECONDS)
    return max(backoff, retry_after or 0.0)


def redelivery_delay(deliveries: int) -> float:
    """The least wait for the next delivery of a push FCM could not take in `deliveries`: none
    after the first (the next release run, or when FCM's Retry-After says), then 5, 10, 20 ...
    minutes, at most 4 hours. PUSH_MAX_DELIVERIES (9) outlast an outage of about 9 hours."""
    if deliveries <= 1:
        return 0.0
    doublings = min(deliveries - 2, 16)  # 5 min * 2**16 is far past the cap
    return min(REDELIVERY_BASE_SECONDS * 2**doublings, REDELIVERY_MAX_SECONDS)


def longest_wait(max_deliveries: int) -> timedelta:
    """The longest a notification may wait and still go out as it should: the user's quiet
    hours (a day at most) and the redeliveries of a push FCM keeps refusing (about 9 hours with
    9). Older, it is stale: sent now it would show as new, a weekly insight replacing this
    week's on the device (the same collapse key)."""
    redeliveries = sum(redelivery_delay(d) for d in range(1, max_deliveries))
    return timedelta(days=1, seconds=redeliveries)


def lifespan(created_at: datetime, now: datetime, max_deliveries: int) -> timedelta:
    """What is left at `now` of the life of a notification made at `created_at`: until it is
    stale (longest_wait), never below zero (stale: not sent at all) nor above longest_wait (a
    clock ahead of ours). Also how long FCM may keep it for a phone that is offline: by
    default FCM keeps a message up to 4 weeks, so it could arrive after the user deleted their
    account or turned notifications off."""
    longest = longest_wait(max_deliveries)
    return min(max(created_at + longest - now, timedelta(0)), longest)


def deferred_key(note: Notification) -> str:
    """The id of a waiting notification: one per user and collapse key, so a newer message with
    the same key replaces the older one; without a key, one per notification."""
    basis = f"{note.uid}\x00{note.collapse_key}" if note.collapse_key else note.notification_id
    return hashlib.sha256(basis.encode()).hexdigest()[:40]


def replaces(new: Notification, waiting_created_at: datetime | None) -> bool:
    """A newer message replaces the one waiting under the same key; a late redelivery of an
    older one does not."""
    return waiting_created_at is None or new.created_at >= waiting_created_at
