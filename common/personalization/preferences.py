"""What we learn about one user: per-persona satisfaction as Beta posteriors, when they write,
and how engaged they are (pure; the profile updater stores it in `users/{uid}`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from common.labels import PERSONA_IDS
from common.routing.ensemble import TIME_AFFINITY, Liking, day_part

NEW_USER_TURNS: Final = 5  # below this many turns, and with no feedback, a user is "new"
FAVOURITE_MIN_EVIDENCE: Final = 3.0  # observations (beyond the prior) before a favourite counts
HOURS: Final = 24
# Learned preferences the profile updater has not written for longer than this no longer rank
# (the ensemble decides, as for a new user), and its next event starts them afresh: a
# default-retention user's are deleted after as long (the cleanup job), and two months of
# planning with Elro still picked Elro, with propensity 1, for a 365-day user's grief message
# seven months on (counts scaled down to 5 % still did).
PREFERENCES_FADE_DAYS: Final = 90
# Hours of the day in each day part, so that activity shares can be compared with uniform use.
PART_HOURS: Final = {part: sum(day_part(h) == part for h in range(HOURS)) for part in TIME_AFFINITY}


@dataclass(frozen=True)
class PersonaStats:
    """Beta(alpha, beta) posterior of "this persona satisfied this user"; (1, 1) is uniform."""

    alpha: float = 1.0
    beta: float = 1.0

    def __post_init__(self) -> None:
        if not (self.alpha > 0 and self.beta > 0):
            raise ValueError(f"Beta counts must be positive, got ({self.alpha}, {self.beta})")

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def evidence(self) -> float:
        """Weighted observations on top of the uniform prior."""
        return self.alpha + self.beta - 2.0


def _uniform_stats() -> dict[str, PersonaStats]:
    return {p: PersonaStats() for p in PERSONA_IDS}


@dataclass(frozen=True)
class Profile:
    """A snapshot of one user's learned preferences."""

    personalization: bool = True
    stats: dict[str, PersonaStats] = field(default_factory=_uniform_stats, hash=False)
    hourly: tuple[int, ...] = (0,) * HOURS  # turns by the user's local hour
    engagement: float = 0.0  # engagement_score(), in [0, 1]
    turns: int = 0
    feedback_count: int = 0  # explicit ratings only
    faded: bool = False  # last updated over PREFERENCES_FADE_DAYS ago: no policy may use it

    def __post_init__(self) -> None:
        if len(self.hourly) != HOURS or any(c < 0 for c in self.hourly):
            raise ValueError("hourly must hold 24 non-negative counts")
        if not 0.0 <= self.engagement <= 1.0:
            raise ValueError(f"engagement must be in [0, 1], got {self.engagement}")
        if unknown := set(self.stats) - set(PERSONA_IDS):
            raise ValueError(f"unknown personas in stats: {sorted(unknown)}")

    def stat(self, persona: str) -> PersonaStats:
        return self.stats.get(persona, PersonaStats())

    @property
    def is_new(self) -> bool:
        """No explicit feedback yet and fewer than NEW_USER_TURNS turns: too little to learn from,
        so every policy routes such a user by the ensemble alone."""
        return self.feedback_count == 0 and self.turns < NEW_USER_TURNS

    def to_dict(self) -> dict[str, Any]:
        return {
            "personalization": self.personalization,
            "stats": {p: {"alpha": s.alpha, "beta": s.beta} for p, s in self.stats.items()},
            "hourly": list(self.hourly),
            "engagement": self.engagement,
            "turns": self.turns,
            "feedback_count": self.feedback_count,
            "faded": self.faded,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        """Inverse of to_dict; missing keys take their defaults (older documents lack some)."""
        stats = _uniform_stats()
        for pid, s in (data.get("stats") or {}).items():
            stats[pid] = PersonaStats(float(s["alpha"]), float(s["beta"]))
        return cls(
            personalization=bool(data.get("personalization", True)),
            stats=stats,
            hourly=tuple(int(c) for c in data.get("hourly") or (0,) * HOURS),
            engagement=float(data.get("engagement", 0.0)),
            turns=int(data.get("turns", 0)),
            feedback_count=int(data.get("feedback_count", 0)),
            faded=bool(data.get("faded", False)),
        )


def is_faded(updated_at: object, now: datetime) -> bool:
    """Were the preferences last written (their `updated_at`) over PREFERENCES_FADE_DAYS before
    `now`? Without a stamp, no."""
    if not isinstance(updated_at, datetime):
        return False
    return now - updated_at > timedelta(days=PREFERENCES_FADE_DAYS)


# --- rewards -------------------------------------------------------------------------------


def explicit_reward(rating: str | int) -> float:
    """A rating as a reward in [0, 1]: "up" 1, "down" 0, stars 1..5 as (r - 1) / 4."""
    if rating == "up":
        return 1.0
    if rating == "down":
        return 0.0
    if isinstance(rating, int) and not isinstance(rating, bool) and 1 <= rating <= 5:
        return (rating - 1) / 4
    raise ValueError(f"rating must be 'up', 'down' or 1..5, got {rating!r}")


EXPLICIT_WEIGHT: Final = 1.0
# (reward, weight) for what the user did rather than said. Every weight is below the explicit
# weight because behaviour is ambiguous: a re-ask may mean a bad answer or a bad connection.
IMPLICIT_SIGNALS: Final[dict[str, tuple[float, float]]] = {
    "follow_up_same_session": (1.0, 0.2),  # kept talking: weakly satisfied
    "chose_alternative": (0.0, 0.5),  # switched away: against the shown persona, and the
    # chosen one gets the mirror image (1.0, 0.5); see implicit_updates()
    "re_asked_same_question": (0.0, 0.4),  # the answer did not land
    # said the reply was useless or insulted the mentor ("you're useless", "garbage advice,
    # shut up"): kept talking, but not satisfied (the boundaries review: it counted as +0.2)
    "complained": (0.0, 0.4),
    "left_right_after_reply": (0.0, 0.3),  # walked away at once
    "long_session": (1.0, 0.3),  # stayed a long time
}


def implicit_updates(
    signal: str, *, shown: str, chosen: str | None = None
) -> dict[str, tuple[float, float]]:
    """The (reward, weight) each persona receives from one implicit signal."""
    reward, weight = IMPLICIT_SIGNALS[signal]
    updates = {shown: (reward, weight)}
    if signal == "chose_alternative" and chosen and chosen != shown:
        updates[chosen] = (1.0 - reward, weight)
    return updates


# --- engagement, favourite, time of day -----------------------------------------------------


def _saturate(x: float, scale: float) -> float:
    """1 − e^(−x/scale): 0 at 0, 0.63 at `scale`, 0.95 at 3 × `scale`, never above 1."""
    return 1.0 - math.exp(-max(0.0, x) / scale)


def engagement_score(*, turns_7d: int, sessions_7d: int, feedback_7d: int) -> float:
    """Engagement in [0, 1] from the last 7 days, a weighted mean of saturated terms:

    0.4 · sat(turns, 20) + 0.3 · sat(sessions, 4) + 0.2 · sat(turns / session, 6)
    + 0.1 · sat(feedback / turns, 0.2), with sat(x, s) = 1 − e^(−x/s).

    Volume counts most; returning (sessions) next; depth per session and the habit of rating
    replies refine it. Saturation keeps a heavy user from dwarfing everyone else. `sessions_7d`
    counts each session once per day it was used: a conversation kept going all week is 7.
    """
    per_session = turns_7d / sessions_7d if sessions_7d else 0.0
    feedback_rate = min(1.0, feedback_7d / turns_7d) if turns_7d else 0.0
    return (
        0.4 * _saturate(turns_7d, 20)
        + 0.3 * _saturate(sessions_7d, 4)
        + 0.2 * _saturate(per_session, 6)
        + 0.1 * _saturate(feedback_rate, 0.2)
    )


def found_helpful(profile: Profile | None, persona: str) -> bool:
    """The user has shown they like `persona`: at least FAVOURITE_MIN_EVIDENCE observations and
    a posterior mean above the prior's 0.5."""
    if profile is None:
        return False
    s = profile.stat(persona)
    return s.evidence >= FAVOURITE_MIN_EVIDENCE and s.mean > 0.5


def liking(profile: Profile | None, persona: str) -> Liking | None:
    """What a turn may say of the user's liking for `persona`: "rated" when found_helpful and
    the user has rated replies, "kept" when found_helpful on what they did alone, else None.
    The Beta counts mix ratings with behaviour (a follow-up adds 0.2) and do not keep them
    apart, so with no rating at all the liking shown is behaviour: kept talking, not helpful."""
    if not found_helpful(profile, persona):
        return None
    return "rated" if profile and profile.feedback_count > 0 else "kept"


def favourite_persona(profile: Profile) -> str | None:
    """The persona with the highest posterior mean among those the user found helpful; None
    when there is none."""
    known = [
        (s.mean, -PERSONA_IDS.index(p), p)
        for p, s in profile.stats.items()
        if found_helpful(profile, p)
    ]
    return max(known)[2] if known else None


def time_of_day_match(profile: Profile, persona: str, local_hour: int) -> float:
    """How much this hour favours `persona` for this user, in [0, 1]:

    TIME_AFFINITY[part][persona] × min(1, share(part) / (hours(part) / 24)),

    where share(part) is the user's fraction of turns in this day part. A day part the user
    uses at least as much as uniform activity would gets the full affinity; a rarely used one
    gets proportionally less. With no history the affinity stands alone.
    """
    part = day_part(local_hour)
    total = sum(profile.hourly)
    if total == 0:
        return TIME_AFFINITY[part][persona]
    share = sum(c for h, c in enumerate(profile.hourly) if day_part(h) == part) / total
    usual = min(1.0, share / (PART_HOURS[part] / HOURS))
    return TIME_AFFINITY[part][persona] * usual
