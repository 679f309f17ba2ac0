"""The profile API's models: what PATCH /v2/profile accepts."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from common.profile.models import ProfilePatch, ProfileSettings, QuietHours


@pytest.mark.parametrize("hhmm", ["00:00", "09:05", "19:59", "23:59"])
def test_quiet_hours_take_ascii_times(hhmm: str) -> None:
    assert QuietHours(start=hhmm, end="07:00").start == hhmm


@pytest.mark.parametrize(
    "hhmm",
    [
        "1٥:3٠",  # Arabic-Indic digits
        "1５:00",  # a fullwidth digit
        "0𝟗:00",  # a mathematical bold digit
        "۰۹:۰۰",  # Extended Arabic-Indic digits
        "24:00",
        "07:60",
        "9:00",
        "09:00\n",
    ],
)
def test_quiet_hours_refuse_anything_but_ascii_hh_mm(hhmm: str) -> None:
    with pytest.raises(ValidationError):
        ProfilePatch.model_validate({"quiet_hours": {"start": hhmm, "end": "07:00"}})


@pytest.mark.parametrize(
    "name", ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "US/Eastern"]
)
def test_iana_names_are_kept(name):
    assert ProfileSettings(timezone=name).timezone == name
    assert ProfilePatch(timezone=name).timezone == name


@pytest.mark.parametrize(
    "name",
    # The host's own zone and zoneinfo's other files: ZoneInfo opens them here, but a runtime
    # without them would fail every request of a user who stored one.
    [
        *("localtime", "posixrules", "Factory", "posix/Europe/Berlin", "right/UTC"),
        *("Mars/Olympus", "../etc/passwd", "", "Europe/Berlin "),
    ],
)
def test_other_names_are_refused(name):
    with pytest.raises(ValidationError, match="not an IANA time zone"):
        ProfilePatch(timezone=name)


def test_a_zone_name_that_names_a_folder_is_refused_not_a_500(monkeypatch):
    # ZoneInfo("America") with the tzdata package on a CPython without gh-85702's fix opens
    # the package's folder: IsADirectoryError, which escaped the validator.
    import common.profile.models as models

    def opens_a_folder(name: str):
        raise IsADirectoryError(21, "Is a directory", name)

    monkeypatch.setattr(models, "ZoneInfo", opens_a_folder)
    with pytest.raises(ValidationError, match="not an IANA time zone"):
        ProfilePatch(timezone="America")


def test_a_setting_stored_under_looser_rules_reads_as_its_default():
    from common.profile.service import settings_of

    stored = {"settings": {"timezone": "localtime", "notifications": False, "retired": 1}}
    settings = settings_of(stored)
    assert (settings.timezone, settings.notifications) == ("UTC", False)


@pytest.mark.parametrize(
    ("user_doc", "known"),
    [
        (None, False),  # never wrote anything
        ({"settings": {"notifications": False}}, False),  # PATCHed other settings only
        ({"settings": {"timezone": "localtime"}}, False),  # refused now: read as "UTC"
        ({"settings": {"timezone": "UTC"}}, True),  # sent by the app: their zone is UTC
        ({"settings": {"timezone": "Asia/Tokyo"}}, True),
    ],
)
def test_a_time_zone_is_known_only_when_the_user_set_a_valid_one(user_doc, known):
    from common.profile.service import settings_of, timezone_set

    assert timezone_set(user_doc) is known
    assert settings_of(user_doc).timezone in {"UTC", "Asia/Tokyo"}  # what GET /v2/profile shows


# users/{uid} as PATCH /v2/profile stored it from 7800576 until 9e9ac6e: the whole settings
# map, defaults included, for a user who only chose to keep their data 365 days (the reviewer's
# /tmp/rev_returning/oldsettings.py). quiet_hours' default was null then.
WHOLE_MAP = {
    "personalization": True,
    "anonymize_analytics": False,
    "retention_days": 365,
    "timezone": "UTC",
    "quiet_hours": None,
    "notifications": True,
}
SET_AT = datetime(2026, 12, 6, tzinfo=UTC)


@pytest.mark.parametrize(
    ("user_doc", "known"),
    [
        ({"settings": WHOLE_MAP}, False),  # the early PATCH saved the default with the rest
        ({"settings": WHOLE_MAP, "settings_set_at": {"retention_days": SET_AT}}, False),
        ({"settings": WHOLE_MAP, "settings_set_at": {"timezone": SET_AT}}, True),  # sent since
        ({"settings": WHOLE_MAP | {"timezone": "Asia/Tokyo"}}, True),  # no default
        ({"settings": {"timezone": "UTC"}, "settings_set_at": {"timezone": SET_AT}}, True),
    ],
)
def test_a_utc_zone_saved_with_every_default_by_the_early_patch_is_not_the_users(
    user_doc, known
) -> None:
    """Those users got the weekly insight at 03:00 and the nudge at 01:00 in Tokyo, and chat
    ranked by the UTC hour: the zone read as one they set."""
    from common.profile.service import timezone_set

    assert timezone_set(user_doc) is known


@pytest.mark.parametrize(
    "body",
    [
        {"personalization": "false"},  # a string that reads as a boolean
        {"notifications": 0},
        {"retention_days": "90"},
        {"notification": False},  # a misspelt field would otherwise change nothing, silently
    ],
)
def test_a_patch_takes_json_types_as_they_are_and_no_unknown_field(body: dict) -> None:
    with pytest.raises(ValidationError):
        ProfilePatch.model_validate(body)


@pytest.mark.parametrize(
    "stored",
    [
        ["x"],  # a list or a string written in the console: every turn and GET /v2/profile 500ed
        "abc",
        {1: False},  # a key no field names: refused by a second validation too
    ],
)
def test_stored_settings_that_are_not_a_map_of_settings_read_as_the_defaults(stored, caplog):
    from common.profile.service import settings_of, timezone_set

    with caplog.at_level("WARNING", logger="common.profile.service"):
        assert settings_of({"settings": stored}) == ProfileSettings()
    assert [r.getMessage() for r in caplog.records][-1].endswith("defaults used")
    assert timezone_set({"settings": stored}) is False  # read on every chat turn too
