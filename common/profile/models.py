"""Profile settings and the profile API's models."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from common import formats
from common.labels import Intent, PersonaId

# [0-9], not \d: pydantic's Rust regex \d matches any Unicode digit ("1٥:3٠", "0𝟗:00").
HHMM = Annotated[
    str,
    formats.pattern(
        r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "must be a time of day as HH:MM, from 00:00 to 23:59"
    ),
]


# Files of the system's zoneinfo directory that ZoneInfo opens but IANA does not name: the
# host's own zone, the "unknown" zone, and the copies under posix/ and right/ (right/ counts leap
# seconds). A runtime may lack them, and then the stored setting would break every request.
_NOT_IANA = re.compile(r"localtime|posixrules|Factory|(posix|right)/.*")


def _check_timezone(value: str) -> str:
    if (
        not re.fullmatch(r"[A-Za-z0-9_+\-/]{1,64}", value)
        or ".." in value
        or _NOT_IANA.fullmatch(value)
    ):
        raise ValueError("not an IANA time zone")
    try:
        ZoneInfo(value)
    # OSError: with the tzdata package, a CPython without gh-85702's fix opens a folder
    # ("America") and raises IsADirectoryError, which pydantic would let out as a 500.
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError("not an IANA time zone") from None
    return value


class QuietHours(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    start: HHMM
    end: HHMM


# What retention_days bounds, for the API description: not how long a conversation is kept.
RETENTION_DAYS = (
    "Days kept: analytics events about the user older than this are deleted, the learned "
    "preferences once nothing was learned for this long, and turns this old in a conversation "
    "still in use. Not how long a conversation is kept: each expires 24 hours (SESSION_TTL_HOURS) "
    "after its last turn and is then deleted with its turns."
)


class ProfileSettings(BaseModel):
    """What the user controls. Defaults are what a new user gets."""

    model_config = ConfigDict(extra="forbid", strict=True)

    personalization: bool = True
    anonymize_analytics: bool = False
    retention_days: Literal[30, 90, 365] = Field(default=90, description=RETENTION_DAYS)
    # A default to show, not the user's clock: PATCH stores only the fields sent, and
    # common.profile.service.timezone_set tells a zone the user set from this one.
    timezone: str = "UTC"
    # No pushes at night unless the user asks for them: the daily nudge goes out at one UTC
    # hour, which is the small hours somewhere.
    quiet_hours: QuietHours | None = Field(
        default=QuietHours(start="22:00", end="08:00"),
        description="No pushes from start to end in the user's time zone (the hours may cross "
        "midnight); null: pushes at any hour.",
    )
    notifications: bool = True

    _tz = field_validator("timezone")(_check_timezone)

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _stored_digits(cls, value: object) -> object:
        """PATCH once stored quiet hours in any script's digits ("1٥:3٠"); it refuses them now
        (ProfilePatch). Stored ones are read as the times they meant, or the user's turns and
        pushes would fail."""
        if not isinstance(value, dict):
            return value
        return {k: _ascii_digits(v) if isinstance(v, str) else v for k, v in value.items()}


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


class ProfilePatch(BaseModel):
    """A partial update of the settings: only the fields sent change."""

    model_config = ConfigDict(extra="forbid", strict=True)

    personalization: bool | None = None
    anonymize_analytics: bool | None = None
    retention_days: Literal[30, 90, 365] | None = Field(default=None, description=RETENTION_DAYS)
    timezone: str | None = None
    quiet_hours: QuietHours | None = None
    notifications: bool | None = None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return None if value is None else _check_timezone(value)


class PersonaPreference(BaseModel):
    satisfaction: float  # posterior mean in [0, 1]
    evidence: float  # how many (weighted) ratings and signals it rests on


class ProfileOut(BaseModel):
    # Keyed by the label sets, which the schema lists: common.profile.service builds the maps
    # from those sets only (a persona stored under an id outside them is not read back).
    settings: ProfileSettings
    preferences: dict[PersonaId, PersonaPreference]
    favourite_persona: PersonaId | None = Field(
        description="The persona the user's ratings and use favour; null when none stands out, "
        "and while personalization is off (ratings and turns are still learned from then, and "
        "used only if it is turned back on)."
    )
    engagement: float
    intent_mix: dict[Intent, int]
    hourly_activity: list[int]
    turns: int
    feedback_count: int
