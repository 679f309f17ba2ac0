"""The weekly insight (pure): how a user's last 7 days went and with whom, from the counters
the profile updater keeps per UTC day in preferences/{user_key} (`daily.dYYYYMMDD`: turns,
sessions, liked ratings, turns per persona). Sessions, turns and ratings themselves expire 24 h
after a conversation's last turn, so those counters are the week's only record in Firestore.
Held back for a user with a crisis turn in the week it tells (activity/{uid}'s `crisis_at`):
an upbeat tally on the lock screen after that week reads as tone-deaf, and the push may not
say why; nor, for the same reason, after a turn about a heavy life event in that week
(`heavy_at`: a death, a miscarriage). Skipped rather than sent with a neutral body: the push
texts are English only, and a crisis week is skipped too. Nor is there one for a user whose
first turn, or first turn back after over 8 days away, is under 2 days old (TOO_NEW), nor
within 30 days of a turn that leaned on the mentor in place of people or asked to use the app
less (`leaning_at`): a tally of time with the mentors pulls the other way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from common.chat.limits import leaned_recently
from common.labels import PERSONA_IDS
from common.notifications.models import (
    AFTER_CRISIS,
    AFTER_HEAVY_EVENT,
    ALREADY_ENQUEUED,
    ERASED,
    INACTIVE,
    LEANING,
    NOTIFICATIONS_OFF,
    TIMEZONE_UNKNOWN,
    TOO_NEW,
    WEEKLY_INSIGHT,
    Recipient,
    notification_id,
)
from common.personas import PERSONAS
from common.profile.service import settings_of, timezone_set
from common.profile.updater import day_key, day_of
from common.push.models import Notification

TITLE = "Your week with ION"
# No insight until the user's first turn is this old: a first-ever turn at 20:40 on a Sunday
# got "In the past week: 1 conversation, all with Nana." from the 21:00 run.
NEW_USER_AGE = timedelta(days=2)


def iso_week(now: datetime) -> str:
    """The ISO week of `now` in UTC, e.g. 2026-W47: the weekly insight's period."""
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(now: datetime) -> datetime:
    """00:00 UTC on the Monday of `now`'s week: the first moment of the days week_facts counts."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=today.weekday())


def week_withheld(
    *, crisis_at: object, heavy_at: object, now: datetime, leaning_at: object = None
) -> str | None:
    """Why an insight made at `now` is held back: a crisis turn (AFTER_CRISIS), or a turn about
    a heavy life event (AFTER_HEAVY_EVENT), since the start of the week it tells (the activity
    record's crisis_at and heavy_at), or a turn that leaned on the mentor within 30 days of it
    (LEANING, leaning_at). Such an insight is not made, and one made before the turn is not
    sent (common.push.service), also when the turn came after that week ended (an upbeat tally
    hours after one reads as badly). None: none of these."""
    start = week_start(now)
    for at, why in ((crisis_at, AFTER_CRISIS), (heavy_at, AFTER_HEAVY_EVENT)):
        if isinstance(at, datetime) and at >= start:
            return why
    return LEANING if leaned_recently(leaning_at, now) else None


def _count(value: object) -> int:
    return int(value) if isinstance(value, int | float) else 0


@dataclass(frozen=True)
class WeekFacts:
    turns: int = 0
    conversations: int = 0
    active_days: int = 0
    liked: int = 0
    persona_turns: dict[str, int] = field(default_factory=dict)
    lifetime_turns: int | None = None  # the profile's `turns`, every turn ever counted
    # The UTC day of the first turn the per-day counters (kept 8 days) hold: the user's first
    # turn, or their first turn back after longer away; None when they hold none.
    first_day: datetime | None = None

    @property
    def active(self) -> bool:
        return self.turns > 0

    def too_new(self, now: datetime) -> bool:
        """Is the user's first turn (or first turn back after over 8 days: a 365-day user's
        lifetime count outlives the days) less than NEW_USER_AGE before `now`? Without a
        lifetime count, a guess from the week alone: fewer than 2 active days and 3 turns."""
        if self.lifetime_turns is None:
            return self.active_days < 2 and self.turns < 3
        return self.first_day is not None and now - self.first_day < NEW_USER_AGE

    def top_personas(self) -> list[str]:
        """The personas the user talked with most (more than one on a tie), in a stable order."""
        used = {p: n for p, n in self.persona_turns.items() if n > 0}
        if not used:
            return []
        most = max(used.values())
        return [p for p in PERSONA_IDS if used.get(p) == most]


def _first_day(daily: dict) -> datetime | None:
    """The first day with turns in the kept counters."""
    turns = {day_of(k): _count(c.get("turns")) for k, c in daily.items() if isinstance(c, dict)}
    return min((day for day, n in turns.items() if day and n > 0), default=None)


def week_facts(preferences: dict | None, *, now: datetime) -> WeekFacts:
    """The ISO week of `now` so far, in UTC days (Monday to today) of a preferences document:
    the week the insight's id names. Run on Sunday, as scheduled, all 7 days; a run by hand on
    a Wednesday says Monday to Wednesday, not the end of last week (and the week's id is then
    taken: Sunday's run skips the user)."""
    daily = (preferences or {}).get("daily") or {}
    days = [daily.get(day_key(now - timedelta(days=i))) or {} for i in range(now.weekday() + 1)]
    personas: dict[str, int] = {}
    for day in days:
        for persona, n in (day.get("personas") or {}).items():
            if persona in PERSONA_IDS:
                personas[persona] = personas.get(persona, 0) + _count(n)
    turns = sum(_count(d.get("turns")) for d in days)
    lifetime = (preferences or {}).get("turns")
    lifetime = _count(lifetime) if isinstance(lifetime, int | float) else None
    return WeekFacts(
        turns=turns,
        # A conversation is counted on its first turn; one begun before the week still counts.
        conversations=max(sum(_count(d.get("sessions")) for d in days), 1 if turns else 0),
        active_days=sum(1 for d in days if _count(d.get("turns")) > 0),
        liked=max(sum(_count(d.get("liked")) for d in days), 0),  # a changed rating can dip
        persona_turns=personas,
        lifetime_turns=lifetime,
        first_day=_first_day(daily),
    )


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def insight_body(facts: WeekFacts) -> str:
    """e.g. "In the past week: 4 conversations over 3 days, mostly with Elro; you liked 3
    replies." Not "This week": shown after quiet hours, east of UTC+4 it arrives on Monday."""
    text = "In the past week: " + _plural(facts.conversations, "conversation", "conversations")
    if facts.active_days > 1:
        text += f" over {facts.active_days} days"
    top = facts.top_personas()
    talked_to = [p for p, n in facts.persona_turns.items() if n > 0]
    if top and len(top) < len(PERSONAS):  # a four-way tie says nothing
        names = [PERSONAS[p].name for p in top]
        joined = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        # "all with" when those named had every turn (one persona, or a tie of all talked to)
        text += f", {'all' if len(top) == len(talked_to) else 'mostly'} with {joined}"
    if facts.liked:
        text += f"; you liked {_plural(facts.liked, 'reply', 'replies')}"
    return text + "."


def weekly_insight(
    recipient: Recipient, *, now: datetime, key: str
) -> tuple[Notification | None, str | None]:
    """The user's insight for this week, or None and why not."""
    if recipient.erased:
        return None, ERASED
    if not settings_of(recipient.user).notifications:
        return None, NOTIFICATIONS_OFF
    period = iso_week(now)
    if recipient.notice(WEEKLY_INSIGHT).get("period") == period:
        return None, ALREADY_ENQUEUED
    # Before INACTIVE: a crisis turn is a turn in the week, so the user is held back for it
    # (and counted so) whether or not the profile updater's counters have it yet.
    if why := week_withheld(
        crisis_at=recipient.crisis_at,
        heavy_at=recipient.heavy_at,
        leaning_at=recipient.leaning_at,
        now=now,
    ):
        return None, why
    facts = week_facts(recipient.preferences, now=now)
    if not facts.active:
        return None, INACTIVE
    if facts.too_new(now):
        return None, TOO_NEW
    if not timezone_set(recipient.user):
        return None, TIMEZONE_UNKNOWN
    top = facts.top_personas()
    data = {
        "week": period,
        "conversations": str(facts.conversations),
        "turns": str(facts.turns),
        "active_days": str(facts.active_days),
        "liked": str(facts.liked),
    }
    if top:
        data["persona"] = top[0]
    note = Notification(
        notification_id=notification_id(WEEKLY_INSIGHT, period, recipient.uid, key=key),
        uid=recipient.uid,
        kind=WEEKLY_INSIGHT,
        title=TITLE,
        body=insight_body(facts),
        data=data,
        collapse_key=WEEKLY_INSIGHT,  # a newer week's insight replaces an older one
        created_at=now,
    )
    return note, None
