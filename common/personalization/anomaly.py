"""Detectors over a user's recent activity: bursts and bot-like repetition limit the user (429
with Retry-After); activity at an hour the user never writes is only reported, for an anomaly
event, because people do have sleepless nights."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final


@dataclass(frozen=True)
class Thresholds:
    """Limits are the most turns allowed in a window; one more trips them. Windows are
    half-open, (now − window, now]: a turn exactly `window` seconds old has left it."""

    burst_minute_max: int = 15  # turns per 60 s; the 16th is limited
    burst_minute_window_s: int = 60
    # turns per hour; the 151st is limited. A message every 30 s (read a streamed reply, type a
    # line) is an ordinary pace: 120 an hour must pass.
    burst_hour_max: int = 150
    burst_hour_window_s: int = 3600
    repeat_max: int = 3  # copies of any one message per 10 minutes; the 4th limits the user
    repeat_window_s: int = 600
    unusual_hour_share: float = 0.02  # an hour with < 2 % of the user's history is unusual…
    unusual_hour_min_turns: int = 50  # …once the history holds at least 50 turns


DEFAULT_THRESHOLDS: Final = Thresholds()


REPORTED_ONLY: Final = frozenset({"unusual_hour"})  # reasons that never limit a turn


@dataclass(frozen=True)
class Verdict:
    limited: bool
    retry_after: int | None  # whole seconds until a turn would pass; None when not limited
    reasons: tuple[str, ...]  # "burst_minute", "burst_hour", "repeated_message", "unusual_hour"

    def limits(self) -> tuple[str, ...]:
        """The reasons that limit the turn, without those only reported."""
        return tuple(r for r in self.reasons if r not in REPORTED_ONLY)


def _free_in(times: list[datetime], now: datetime, limit: int, window_s: int) -> float | None:
    """Seconds until one more turn would keep the window within `limit`, or None if the window
    is within it now. `times` holds this turn (the latest), which a refusal does not store: a
    retry is counted with the others, so the limit-th most recent of those must have left."""
    recent = sorted((t for t in times if (now - t).total_seconds() < window_s), reverse=True)
    if len(recent) <= limit:
        return None
    return window_s - (now - recent[limit]).total_seconds()


def check(
    activity: Sequence[tuple[datetime, str | None]],
    now: datetime,
    hourly: Sequence[int],
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    *,
    after_crisis: bool = False,
    repeats_expected: bool = False,
    hour_known: bool = True,
) -> Verdict:
    """Judge the turn at `now`. `activity` holds the user's recent (timestamp, message_hash)
    pairs including this turn; `hourly` their 24 turn counts by local hour. `now` must be in the
    user's timezone: its hour is the one compared with their history. `after_crisis`: the turn
    follows a crisis closely (common.chat.limits.LIMITS_OFF_AFTER_CRISIS, or a session's care
    turns), where neither a minute's burst nor the same message again is bot-like (a person in
    distress writes fast, "are you there?", "please", and answers "no" each time they are asked
    how they are): only the hour's limit holds. The chat service does not limit a turn that will be
    answered as a crisis at all. `repeats_expected`: the same message again is not bot-like
    either, but a minute's burst still limits: the message is a short acknowledgement ("ok",
    common.chat.limits.REPEAT_MIN_CHARS), or the user is in care after a no to "Are you safe
    right now?" (a day; sparing the burst for the whole day would spare a script too).
    `hour_known`: False for a user who never set a time zone: `now`'s hour is then no one's
    clock, and no hour is unusual.

    Retry-After is the time until another turn, even the same message again (a client
    retrying), would pass every limit when counted with the rest of `activity`: a limited turn
    is not stored, so it does not count against its own retry.
    """
    if now.tzinfo is None or any(t.tzinfo is None for t, _ in activity):
        raise ValueError("timestamps must be timezone-aware")
    if len(hourly) != 24:
        raise ValueError("hourly must hold 24 counts")
    th = thresholds
    # Windows are measured in UTC: Python subtracts two datetimes of one tzinfo as wall-clock
    # times, so across a DST change local times would be an hour off.
    local_hour = now.hour
    now = now.astimezone(UTC)
    utc = [(t.astimezone(UTC), h) for t, h in activity]
    times = [t for t, _ in utc]
    waits: dict[str, float | None] = {
        "burst_minute": (
            None
            if after_crisis
            else _free_in(times, now, th.burst_minute_max, th.burst_minute_window_s)
        ),
        "burst_hour": _free_in(times, now, th.burst_hour_max, th.burst_hour_window_s),
    }
    # Only this turn's own message counts: another one stored past the cap (a crisis answer, a
    # repeat in care, neither ever limited) must not refuse a different message now.
    same = [t for t, h in utc if h == utc[-1][1]] if utc else []
    waits["repeated_message"] = (
        None
        if after_crisis or repeats_expected
        else _free_in(same, now, th.repeat_max, th.repeat_window_s)
    )
    reasons = [name for name, wait in waits.items() if wait is not None]
    limited = bool(reasons)
    retry_after = None
    if limited:
        retry_after = max(1, math.ceil(max(w for w in waits.values() if w is not None)))

    total = sum(hourly)
    if (
        hour_known
        and total >= th.unusual_hour_min_turns
        and hourly[local_hour] / total < th.unusual_hour_share
    ):
        reasons.append("unusual_hour")
    return Verdict(limited, retry_after, tuple(reasons))
