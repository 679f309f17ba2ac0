"""How one event changes what we learned about a user (pure): counters to increment.

Applied with server-side increments behind a per-event marker, so a redelivered event changes
nothing and concurrent events never contend on a transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from common.events import Event
from common.labels import INTENTS, PERSONA_IDS
from common.personalization.context import context_keys, stored_counts
from common.personalization.preferences import (
    EXPLICIT_WEIGHT,
    HOURS,
    Profile,
    engagement_score,
    implicit_updates,
    is_faded,
)
from common.sessions.ending import end_signal


def liked(reward: float) -> int:
    """Does a rating count as liked (thumbs up, 4 or 5 stars)?"""
    return 1 if reward > 0.5 else 0


def day_key(when: datetime) -> str:
    """A Firestore-safe map key for a UTC day: d20261122 (of `when` in UTC, whatever its zone)."""
    return when.astimezone(UTC).strftime("d%Y%m%d")


def day_of(key: str) -> datetime | None:
    """The start of the UTC day a `daily` key names (day_key's inverse); None for another key."""
    try:
        return datetime.strptime(key, "d%Y%m%d").replace(tzinfo=UTC)
    except ValueError:
        return None


# Per-day counters are read for the last 7 days (engagement, the weekly insight) and kept one
# day longer; older days are dropped, so no dated history outlives its use.
DAILY_DAYS_KEPT = 8


def stale_days(daily: dict | None, now: datetime) -> list[str]:
    """The `daily` map's keys older than DAILY_DAYS_KEPT days."""
    oldest = day_key(now - timedelta(days=DAILY_DAYS_KEPT - 1))
    return sorted(k for k in (daily or {}) if k < oldest)


def daily_until(now: datetime) -> datetime:
    """When every day of a `daily` map written now (days up to now's) is stale. A user who
    stopped writing sends no event that would trim the map, so the cleanup job drops it then."""
    today = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
    return today + timedelta(days=DAILY_DAYS_KEPT)


@dataclass(frozen=True)
class ProfileDelta:
    increments: dict[str, float] = field(default_factory=dict)  # dotted field path -> amount

    def add(self, path: str, amount: float) -> None:
        if amount:
            self.increments[path] = self.increments.get(path, 0.0) + amount


def _evidence(
    delta: ProfileDelta, persona: str, reward: float, weight: float, keys: tuple[str, ...] = ()
) -> None:
    """Evidence about a persona, overall and in each context of the message it answered: `weight`
    observations of a success with probability `reward`, a fractional update of its Beta counts
    (the one copy of that rule)."""
    for prefix in ("stats", *(f"ctx.{key}" for key in keys)):
        delta.add(f"{prefix}.{persona}.alpha", weight * reward)
        delta.add(f"{prefix}.{persona}.beta", weight * (1.0 - reward))


def _reward(value: object) -> float:
    """A rating's reward: a number in [0, 1]; ValueError for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"reward must be a number, got {type(value).__name__}")
    if not 0.0 <= value <= 1.0:  # NaN fails this too
        raise ValueError(f"reward must be in [0, 1], got {value}")
    return float(value)


def delta_for(event: Event) -> ProfileDelta | None:
    """The counters an event moves, or None for events that teach nothing about preferences."""
    d = event.data
    delta = ProfileDelta()
    day = day_key(event.occurred_at)
    if event.type == "chat.turn.completed":
        persona = d.get("persona")
        if persona not in PERSONA_IDS:
            return None
        delta.add("turns", 1)
        delta.add(f"daily.{day}.turns", 1)
        if not d.get("crisis"):  # the crisis reply, shown under the care persona, is no one's
            delta.add(f"shown.{persona}", 1)
            delta.add(f"daily.{day}.personas.{persona}", 1)  # who the user talked with, per day
        if d.get("intent") in INTENTS:
            delta.add(f"intent_mix.{d['intent']}", 1)
        hour = d.get("local_hour")  # None for a user whose time zone is unknown: not counted
        if isinstance(hour, int) and 0 <= hour < HOURS:
            delta.add(f"hourly.h{hour}", 1)
        if d.get("turn_index") == 0:
            delta.add("sessions", 1)
            delta.add(f"daily.{day}.sessions", 1)  # conversations begun (the weekly insight)
        # Per day, the sessions used that day, for engagement: a conversation kept going daily
        # counts on each day (events from before the flag: on the day it began).
        if d.get("first_turn_of_day", d.get("turn_index") == 0):
            delta.add(f"daily.{day}.active_sessions", 1)
        previous = d.get("previous_persona")
        if previous in PERSONA_IDS:
            # Asked for on this turn: one kept from an earlier turn is no switch (after care).
            asked = d.get("persona_source") == "requested" and d.get("requested_via") != "session"
            switched = asked and persona != previous
            if d.get("repeat_of_previous"):
                signal, chosen = "re_asked_same_question", None
            elif switched or d.get("refused") == previous:  # asked for another, or "not Riri"
                signal, chosen = "chose_alternative", persona if switched else None
            elif d.get("complained"):  # "you're useless": a follow-up, but no approval
                signal, chosen = "complained", None
            else:
                signal, chosen = "follow_up_same_session", None
            keys = context_keys(d.get("previous_tone"), d.get("previous_intent"))
            updates = implicit_updates(signal, shown=previous, chosen=chosen)
            # After the crisis safety message (written by no persona) or a care reply (the care
            # persona, imposed whatever the user prefers) what the user does next says nothing
            # about the persona shown; older events lack the flags. A persona the user picks
            # then is still their choice: it counts for that one, not against the care persona.
            if d.get("previous_crisis") or d.get("previous_care"):
                updates.pop(previous)
            for pid, (reward, weight) in updates.items():
                _evidence(delta, pid, reward, weight, keys)
        return delta
    if event.type == "feedback.submitted":
        persona = d.get("persona")
        if persona not in PERSONA_IDS:
            return None
        # Stored as increments, a NaN, an infinity or a 5 would stay in the user's counts for
        # good: such an event is malformed (ValueError), as the analytics sink judges it too.
        reward, previous = _reward(d.get("reward")), d.get("previous_reward")
        previous = None if previous is None else _reward(previous)
        keys = context_keys(d.get("tone"), d.get("intent"))
        # A rating of the crisis safety message (shown under the care persona, written by no
        # persona) counts as a rating but says nothing about the persona; nor does one of a
        # turn in care, whose persona was chosen for the crisis, not for fit (as retraining).
        about_persona = not d.get("crisis") and d.get("persona_source") != "care"
        if previous is None:
            if about_persona:
                _evidence(delta, persona, reward, EXPLICIT_WEIGHT, keys)
            delta.add("feedback_count", 1)
            delta.add(f"daily.{day}.feedback", 1)
            delta.add(f"daily.{day}.liked", liked(reward))
        else:  # a changed rating: take the old one out, so the last rating counts once
            delta.add(f"daily.{day}.liked", liked(reward) - liked(previous))  # on the change's day
            for prefix in ("stats", *(f"ctx.{key}" for key in keys)) if about_persona else ():
                delta.add(f"{prefix}.{persona}.alpha", reward - previous)
                delta.add(f"{prefix}.{persona}.beta", previous - reward)
        return delta
    if event.type == "session.ended":
        persona, turns = d.get("persona"), d.get("turn_count")
        ending = end_signal(turns) if isinstance(turns, int) else None
        # A session whose last reply was the crisis safety message or care's: its end is no
        # persona's (the care persona was imposed, not chosen).
        imposed = d.get("last_crisis") or d.get("last_care")
        if persona not in PERSONA_IDS or ending is None or imposed:
            return None
        keys = context_keys(d.get("tone"), d.get("intent"))
        for pid, (reward, weight) in implicit_updates(ending, shown=persona).items():
            _evidence(delta, pid, reward, weight, keys)
        return delta
    return None


def profile_from_doc(prefs: dict | None, *, personalization: bool, now: datetime) -> Profile:
    """The learned profile from its document; engagement over the last 7 days; faded when its
    last update is over PREFERENCES_FADE_DAYS old."""
    prefs = prefs or {}
    days = [day_key(now - timedelta(days=i)) for i in range(7)]
    daily = prefs.get("daily") or {}
    recent = {
        k: sum(float((daily.get(day) or {}).get(k, 0)) for day in days)
        for k in ("turns", "feedback")
    }
    # Days counted before active_sessions was kept have the sessions begun instead.
    recent["active_sessions"] = sum(
        float(counts.get("active_sessions", counts.get("sessions", 0)))
        for counts in (daily.get(day) or {} for day in days)
    )
    hourly = prefs.get("hourly") or {}
    stats = {}
    for p, counts in (prefs.get("stats") or {}).items():
        if p in PERSONA_IDS:
            alpha, beta = stored_counts(counts)
            stats[p] = {"alpha": 1.0 + alpha, "beta": 1.0 + beta}
    return Profile.from_dict(
        {
            "personalization": personalization,
            "stats": stats,
            "hourly": [int(hourly.get(f"h{h}", 0)) for h in range(HOURS)],
            "engagement": engagement_score(
                turns_7d=int(recent["turns"]),
                sessions_7d=int(recent["active_sessions"]),
                feedback_7d=int(recent["feedback"]),
            ),
            "turns": int(prefs.get("turns", 0)),
            "feedback_count": int(prefs.get("feedback_count", 0)),
            "faded": is_faded(prefs.get("updated_at"), now),
        }
    )
