"""The re-engagement nudge (pure): users the analytics mark at risk of leaving, at most once
per cool-down each.

Who: a row of the churn_risk view (common/analytics/views/churn_risk.sql) with `risk` at least
REENGAGEMENT_MIN_RISK (default 0.6, the view's own "high" band: evaluated on held-out history
as the band where most users do not come back within 14 days) and no turn for at least
MIN_IDLE_DAYS (a user who wrote yesterday is not nudged, whatever the score). The view is keyed
by user_key; a key is matched to a user by deriving it from the uids of users with a device, so
no uid ever goes to analytics. Never: users who anonymise analytics (their old rows may still
score them), who turned notifications off, who deleted their account, or who never set their
time zone (16:00 UTC is 01:00 in Tokyo, and their quiet hours cannot be told); nor anyone
nudged less than REENGAGEMENT_COOLDOWN_DAYS (default 14, the view's horizon) ago; nor, within
30 days of their latest crisis turn (common.chat.limits.CRISIS_REMEMBERED), anyone "pick up
where you left off" would point back at it: the producer leaves out those the churn view finds,
and the user's activity record remembers every crisis turn that long, also those that went to
analytics without a key; nor within HEAVY_REMEMBERED (7 days) of their latest turn about a
heavy life event (the activity record's `heavy_at`: a death, a miscarriage); nor within
LEANING_REMEMBERED (30 days) of their latest turn that leaned on the mentor in place of people
or said they want to use the app less (`leaning_at`: "you're the only one I talk to"). These
rules, and the user's choice to anonymise analytics, are applied again when the nudge is sent
(`withhold_reason`): it may have waited hours for the user's quiet hours to end.

The text names no persona: a nudge in the voice of the persona a user talked with most pulls
on the attachment the boundaries review asks the mentors not to feed ("you're the only one I
can talk to"); nudges made before carry one, and go with the generic text (`nudge_as_sent`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from common.chat.limits import (
    HEAVY_REMEMBERED,
    last_heavy,
    last_leaning,
    last_turn,
    leaned_recently,
    remembered,
)
from common.notifications.models import (
    ACTIVE_SINCE,
    AFTER_CRISIS,
    AFTER_HEAVY_EVENT,
    ANONYMISED,
    COOLING_DOWN,
    ERASED,
    LEANING,
    NOTIFICATIONS_OFF,
    REENGAGEMENT,
    TIMEZONE_UNKNOWN,
    Recipient,
    notification_id,
)
from common.profile.models import ProfileSettings
from common.profile.service import settings_of, timezone_set
from common.push.models import Notification

MIN_IDLE_DAYS = 3
EPOCH = date(1970, 1, 1)


def nudge_period(now: datetime, cooldown_days: int) -> str:
    """The cool-down window `now` falls in, named by its first day (windows of cooldown_days
    from 1970-01-01): a rerun or retry in the window makes the same notification id."""
    days = (now.date() - EPOCH).days
    return (EPOCH + timedelta(days=days - days % cooldown_days)).isoformat()


# The nudge's title and body, the same for everyone (no persona: the module's docstring).
NUDGE_TEXT = (
    "Your mentors are here when you're ready",
    "It has been a while. Pick up where you left off, or tell us what is on your mind.",
)


def withhold_reason(
    note: Notification, activity: dict | None, settings: ProfileSettings, *, now: datetime
) -> str | None:
    """Why a nudge made earlier must not go out at `now` after all, from the user's activity
    record (activity/{uid}) and settings as they are now; None: it may. Made at 16:00 UTC, a
    nudge waits out the quiet hours of users east of UTC for 6-10 hours, and meanwhile the user
    may have chosen to anonymise analytics or had a crisis turn (the producer's rules, applied
    again), or come back ("it has been a while" is no longer true). The record outlives a turn
    by a day, longer than quiet hours can hold a nudge, so a turn since it was made is still
    there."""
    if settings.anonymize_analytics:
        return ANONYMISED
    if remembered((activity or {}).get("crisis_at"), now):
        return AFTER_CRISIS
    if last_heavy(activity, now):
        return AFTER_HEAVY_EVENT
    if last_leaning(activity, now):
        return LEANING
    last = last_turn(activity)
    if last is not None and last > note.created_at:
        return ACTIVE_SINCE
    return None


def nudge_as_sent(note: Notification) -> Notification:
    """The nudge as it may go now: one made when nudges named the persona the user talked with
    most goes with the text the producer makes now, which names none. Not withheld: withholding
    would also hold back the next nudge for the cool-down."""
    if "persona" not in note.data:
        return note
    title, body = NUDGE_TEXT
    data = {k: v for k, v in note.data.items() if k != "persona"}
    return note.model_copy(update={"title": title, "body": body, "data": data})


def reengagement_nudge(
    recipient: Recipient, *, now: datetime, key: str, cooldown_days: int
) -> tuple[Notification | None, str | None]:
    """The nudge for a user the analytics mark at risk, or None and why not."""
    settings = settings_of(recipient.user)
    if recipient.erased:
        return None, ERASED
    if settings.anonymize_analytics:
        return None, ANONYMISED
    if not settings.notifications:
        return None, NOTIFICATIONS_OFF
    # "Pick up where you left off" must not point back at a crisis, even one that went to
    # analytics anonymised (the producer also leaves out those the churn view can see).
    if remembered(recipient.crisis_at, now):
        return None, AFTER_CRISIS
    # Nor after a death or a miscarriage (the boundaries review: a user with a heavy turn 4 days
    # before was pulled back), as the weekly insight holds back (common.notifications.weekly).
    heavy_at = recipient.heavy_at
    if isinstance(heavy_at, datetime) and now - heavy_at < HEAVY_REMEMBERED:
        return None, AFTER_HEAVY_EVENT
    # Nor one who said the app is their only company, or that they want to use it less.
    if leaned_recently(recipient.leaning_at, now):
        return None, LEANING
    last = recipient.notice(REENGAGEMENT).get("enqueued_at")
    # In UTC days: the daily runs start a few seconds apart, and to the second the nudge 14
    # days after one that began a little later would wait a 15th day.
    if (
        isinstance(last, datetime)
        and (now.date() - last.astimezone(UTC).date()).days < cooldown_days
    ):
        return None, COOLING_DOWN
    if not timezone_set(recipient.user):
        return None, TIMEZONE_UNKNOWN
    title, body = NUDGE_TEXT
    period = nudge_period(now, cooldown_days)
    note = Notification(
        notification_id=notification_id(REENGAGEMENT, period, recipient.uid, key=key),
        uid=recipient.uid,
        kind=REENGAGEMENT,
        title=title,
        body=body,
        data={},
        collapse_key=REENGAGEMENT,
        created_at=now,
    )
    return note, None
