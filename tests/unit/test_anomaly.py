"""Activity checks: bursts and repetition limit a user with a correct Retry-After; an unusual
hour is only reported."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from common.chat.limits import anomaly_thresholds
from common.config import Settings
from common.personalization.anomaly import DEFAULT_THRESHOLDS, Thresholds, check

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2025, 3, 4, 14, 0, 0, tzinfo=SEOUL)
DAYTIME = tuple(10 if 9 <= h < 23 else 0 for h in range(24))  # 140 turns, none at night
MINUTE = DEFAULT_THRESHOLDS.burst_minute_max  # turns a minute allowed (15)


def turns(*seconds_ago: float, digest: str | None = None) -> list[tuple[datetime, str]]:
    """Turns that many seconds before NOW, each a different message unless `digest` is given."""
    return [(NOW - timedelta(seconds=s), digest or f"m{i}") for i, s in enumerate(seconds_ago)]


def test_quiet_activity_passes():
    v = check(turns(0, 300, 900), NOW, DAYTIME)
    assert (v.limited, v.retry_after, v.reasons) == (False, None, ())


def test_fifteen_turns_a_minute_pass_and_the_sixteenth_is_limited():
    # The neurodivergent-users review: eleven short lines 5 s apart (a thought typed as it
    # comes) had the 9th refused at 8 a minute.
    assert MINUTE == 15
    assert not check(turns(*range(0, 5 * 12, 5)), NOW, DAYTIME).limited
    assert not check(turns(*range(MINUTE)), NOW, DAYTIME).limited
    v = check(turns(*range(MINUTE + 1)), NOW, DAYTIME)
    assert v.limited
    assert v.reasons == ("burst_minute",)


def test_a_turn_exactly_a_window_old_has_left_it():
    assert not check(turns(*range(MINUTE), 60), NOW, DAYTIME).limited
    assert check(turns(*range(MINUTE), 59.9), NOW, DAYTIME).limited


def retry_is_exact(activity, now=NOW, hourly=DAYTIME) -> int:
    """Retry-After, checked: the refused turn (the latest) is not stored, so the client's retry
    of the same message is judged with the others; at now + retry_after it passes, a second
    earlier it does not."""
    retry = check(activity, now, hourly).retry_after
    assert retry is not None and retry >= 1
    refused = max(activity)
    stored = [turn for turn in activity if turn is not refused]
    for wait, passes in ((retry, True), (retry - 1, False)):
        later = now + timedelta(seconds=wait)
        assert check(stored + [(later, refused[1])], later, hourly).limited is not passes
    return retry


def test_retry_after_for_a_minute_burst_is_when_the_window_frees():
    # sixteen turns 0..15 s ago, the one now refused: the fifteenth of the others (15 s ago)
    # must leave the 60 s window (the refused turn never counted: it was not stored)
    assert retry_is_exact(turns(*range(MINUTE + 1))) == 60 - MINUTE


def test_retry_after_rounds_a_fractional_wait_up():
    # Activity times carry microseconds: the fifteenth of the others, 15.4 s ago, leaves the
    # window in 44.6 s. Rounded down, a client honouring Retry-After would meet a second 429.
    activity = turns(0, *(s + 0.4 for s in range(1, MINUTE + 1)))
    assert check(activity, NOW, DAYTIME).retry_after == 60 - MINUTE
    assert retry_is_exact(activity) == 60 - MINUTE


def test_150_turns_an_hour_pass_and_the_151st_is_limited():
    # The power-user review: at 60 an hour, a message every 30 s (read a streamed reply, type a
    # line) was refused from the 61st turn on, for up to 30 minutes.
    assert not check(turns(*(i * 30.0 for i in range(120))), NOW, DAYTIME).limited
    spaced = [i * 23.9 for i in range(150)]  # never more than three in a minute
    assert not check(turns(*spaced), NOW, DAYTIME).limited
    v = check(turns(*spaced, 3599), NOW, DAYTIME)
    assert v.reasons == ("burst_hour",)
    # the 150th of the others (3599 s ago) must leave the hour
    assert retry_is_exact(turns(*spaced, 3599)) == 1


def test_the_same_message_three_times_passes_and_four_times_is_limited():
    assert not check(turns(0, 100, 200, digest="same"), NOW, DAYTIME).limited
    repeated = turns(0, 100, 200, 300, digest="same")
    v = check(repeated, NOW, DAYTIME)
    assert (v.limited, v.reasons) == (True, ("repeated_message",))
    # the third of the other copies (300 s ago) must leave the 10-minute window
    assert retry_is_exact(repeated) == 300


def test_after_a_crisis_repeats_and_a_minutes_burst_pass_but_the_hour_still_limits():
    # A user just after a crisis (or in a session in care) repeating "help" is not a bot.
    repeated = turns(0, 100, 200, 300, digest="help")
    v = check(repeated, NOW, DAYTIME, after_crisis=True)
    assert (v.limited, v.reasons) == (False, ())
    v = check(turns(*range(MINUTE + 1), digest="help"), NOW, DAYTIME, after_crisis=True)
    assert (v.limited, v.reasons) == (False, ())
    v = check(turns(*range(151)), NOW, DAYTIME, after_crisis=True)
    assert (v.limited, v.reasons) == (True, ("burst_hour",))


def test_in_care_after_a_no_repeats_pass_but_a_minutes_burst_still_limits():
    # A user in care after a no answering "no" each time they are asked is not a bot; a script
    # sending sixteen different messages a minute for the whole day of care would be spared too.
    v = check(turns(0, 4, 8, 12, digest="no"), NOW, DAYTIME, repeats_expected=True)
    assert (v.limited, v.reasons) == (False, ())
    v = check(turns(*range(MINUTE + 1)), NOW, DAYTIME, repeats_expected=True)
    assert (v.limited, v.reasons) == (True, ("burst_minute",))
    v = check(turns(*range(MINUTE + 1), digest="no"), NOW, DAYTIME, repeats_expected=True)
    assert (v.limited, v.reasons, v.retry_after) == (True, ("burst_minute",), 60 - MINUTE)


def test_repeats_outside_ten_minutes_or_of_different_messages_pass():
    assert not check(turns(0, 100, 200, 600, digest="same"), NOW, DAYTIME).limited
    assert not check(turns(0, 100, 200, 300), NOW, DAYTIME).limited


def test_only_this_turns_own_message_can_be_a_repeat():
    """Copies stored past the cap (a crisis answer, "no" five times to "Are you safe right
    now?", is never limited) do not make a different message a repeat: `repeated_message`
    promises the wait applies to that text only (the review of a42f2e9)."""
    answered = turns(100, 200, 300, 400, 480, digest="no")
    v = check([*answered, (NOW, "thank you")], NOW, DAYTIME)
    assert (v.limited, v.reasons) == (False, ())
    v = check([*answered, (NOW, "no")], NOW, DAYTIME)
    assert (v.limited, v.reasons) == (True, ("repeated_message",))


def test_the_longest_wait_wins_when_several_limits_trip():
    activity = turns(*range(MINUTE + 1), digest="spam")
    v = check(activity, NOW, DAYTIME)
    assert v.reasons == ("burst_minute", "repeated_message")
    assert v.retry_after == 600 - 3  # the third earlier copy, 3 s ago, leaves the 10 minutes
    assert retry_is_exact(activity) == v.retry_after


def test_an_unusual_hour_is_reported_but_not_limited():
    v = check(turns(0), NOW.replace(hour=3), DAYTIME)
    assert (v.limited, v.retry_after, v.reasons) == (False, None, ("unusual_hour",))
    assert check(turns(0), NOW, DAYTIME).reasons == ()


def test_the_limits_of_a_verdict_leave_out_the_unusual_hour():
    """The chat service answers `repeated_message` when the repeat alone limits a turn: a
    repeat at an unusual hour is that too, a repeat in a burst is not."""
    night = NOW.replace(hour=3)
    v = check([(night - timedelta(seconds=s), "same") for s in (0, 100, 200, 300)], night, DAYTIME)
    assert (v.reasons, v.limits()) == (("repeated_message", "unusual_hour"), ("repeated_message",))
    v = check(turns(*range(MINUTE + 1), digest="spam"), NOW, DAYTIME)
    assert v.limits() == ("burst_minute", "repeated_message")
    assert check(turns(0), night, DAYTIME).limits() == ()


def test_an_unusual_hour_needs_enough_history_and_a_share_below_two_percent():
    short = tuple(7 if h < 7 else 0 for h in range(24))  # 49 turns, none at 14:00
    assert check(turns(0), NOW, short).reasons == ()
    hundred = [0] * 24
    hundred[9], hundred[14] = 98, 2  # exactly 2 % at 14:00
    assert check(turns(0), NOW, hundred).reasons == ()
    hundred[9], hundred[14] = 99, 1  # 1 %
    assert check(turns(0), NOW, hundred).reasons == ("unusual_hour",)


def test_no_hour_is_unusual_when_the_users_hour_is_unknown():
    """A user who never set a time zone: `now` is in UTC, no one's clock."""
    night = NOW.replace(hour=3)
    assert check(turns(0), night, DAYTIME, hour_known=False).reasons == ()
    v = check(turns(*range(MINUTE + 1)), night, DAYTIME, hour_known=False)  # limits still hold
    assert v.reasons == ("burst_minute",)


def test_the_hour_is_read_in_the_users_timezone():
    same_instant_utc = NOW.astimezone(UTC)  # 05:00 UTC is 14:00 in Seoul
    activity = turns(0)
    assert check(activity, NOW, DAYTIME).reasons == ()
    assert check(activity, same_instant_utc, DAYTIME).reasons == ("unusual_hour",)
    # timestamps in another zone still fall into the right windows
    mixed = [(t.astimezone(UTC), h) for t, h in turns(*range(MINUTE + 1))]
    assert check(mixed, NOW, DAYTIME).retry_after == 60 - MINUTE


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        check(turns(0), NOW.replace(tzinfo=None), DAYTIME)
    with pytest.raises(ValueError):
        check([(datetime(2025, 3, 4, 14, 0), "m")], NOW, DAYTIME)


def test_thresholds_are_configurable():
    strict = Thresholds(burst_minute_max=2)
    assert check(turns(0, 1, 2), NOW, DAYTIME, strict).limited
    assert not check(turns(0, 1, 2), NOW, DAYTIME, DEFAULT_THRESHOLDS).limited


NEW_YORK = ZoneInfo("America/New_York")
NIGHT_OWL = (10,) * 24  # writes at every hour: no hour is unusual


def local(*utc: datetime) -> list[tuple[datetime, str]]:
    """Turns at these UTC instants, as the chat function holds them: in the user's zone."""
    return [(t.astimezone(NEW_YORK), f"m{i}") for i, t in enumerate(utc)]


def test_windows_are_real_time_when_the_clocks_go_back():
    # 2025-11-02: 01:00-02:00 happens twice in New York. One turn every 5 minutes from 05:00 to
    # 06:00 UTC (01:xx EDT), then one at 06:05 UTC (01:05 EST): a calm user.
    start = datetime(2025, 11, 2, 5, 0, tzinfo=UTC)
    now = datetime(2025, 11, 2, 6, 5, tzinfo=UTC)
    activity = local(*(start + timedelta(minutes=5 * i) for i in range(12)), now)
    v = check(activity, now.astimezone(NEW_YORK), NIGHT_OWL)
    assert (v.limited, v.reasons) == (False, ())


def test_windows_are_real_time_when_the_clocks_go_forward():
    # 2025-03-09: 02:00 EST is 03:00 EDT. Sixteen turns in 45 real seconds across the jump are
    # a burst, although their wall-clock times are an hour apart.
    jump = datetime(2025, 3, 9, 7, 0, tzinfo=UTC)
    times = [jump + timedelta(seconds=s) for s in range(-21, 25, 3)]
    assert len(times) == MINUTE + 1
    v = check(local(*times), times[-1].astimezone(NEW_YORK), NIGHT_OWL)
    assert v.limited and v.reasons == ("burst_minute",)
    assert v.retry_after == 15  # the first of the sixteen is 45 s old: it leaves in 15 s


def test_every_limit_allowed_can_trip_on_the_activity_record_as_stored():
    # The record keeps the last ACTIVITY_KEPT turns: a limit at or above it could never trip.
    from pydantic import ValidationError

    from common.chat.limits import activity_doc, recent_activity
    from common.config import ACTIVITY_KEPT, Settings

    highest = ACTIVITY_KEPT - 1
    for name in ("anomaly_burst_minute_max", "anomaly_burst_hour_max", "anomaly_repeat_max"):
        assert getattr(Settings(**{name: highest}), name) == highest
        with pytest.raises(ValidationError):
            Settings(**{name: ACTIVITY_KEPT})
    # The chat function stores its activity oldest first, the current turn last, and the record
    # keeps the newest ACTIVITY_KEPT of them. Twenty more than that, evenly spaced up to one
    # spacing ago: the oldest kept turn is exactly an hour old, so it has left the window.
    spacing = 3600 / ACTIVITY_KEPT
    activity = turns(*[spacing * i for i in range(ACTIVITY_KEPT + 20, 0, -1)])
    assert activity == sorted(activity)  # oldest first
    stored = activity_doc([(t.astimezone(UTC), h) for t, h in activity], limited_until=None)
    read = recent_activity(stored, SEOUL)
    # the newest, in order (equal instants); a hash only within the repeat window
    assert [t for t, _ in read] == [t for t, _ in activity[-ACTIVITY_KEPT:]]
    in_window = [h for t, h in activity if activity[-1][0] - t < timedelta(minutes=10)]
    assert [h for _, h in read if h] == in_window
    assert [t.tzinfo for t, _ in read] == [SEOUL] * ACTIVITY_KEPT  # in the user's zone
    assert NOW - read[0][0] == timedelta(seconds=spacing * ACTIVITY_KEPT) == timedelta(hours=1)
    # the highest hourly limit: the record's turns alone do not trip it, with the turn now
    # (one more than the limit in the hour) they do
    hour = Thresholds(burst_minute_max=highest, burst_hour_max=highest, repeat_max=highest)
    assert check(read, NOW, DAYTIME, hour).reasons == ()
    judged = [*read, (NOW, "now")]
    assert check(judged, NOW, DAYTIME, hour).reasons == ("burst_hour",)


def test_the_activity_record_keeps_a_crisis_for_30_days_and_then_forgets_it():
    from common.chat.limits import CRISIS_REMEMBERED, EXPIRES_AFTER, activity_doc, last_crisis

    turn = [(NOW, "h")]
    plain = activity_doc(turn, limited_until=None)
    assert plain["crisis_at"] is None and plain["expires_at"] == NOW + EXPIRES_AFTER
    after = activity_doc(turn, limited_until=None, crisis_at=NOW)
    assert after["crisis_at"] == NOW and after["expires_at"] == NOW + CRISIS_REMEMBERED
    assert last_crisis(after, NOW + timedelta(days=29)) == NOW
    assert last_crisis(after, NOW + CRISIS_REMEMBERED) is None  # forgotten at the next write
    assert last_crisis(None, NOW) is None and last_crisis({"crisis_at": None}, NOW) is None


@pytest.mark.parametrize(
    ("zone", "turn_utc"),
    [
        ("America/New_York", datetime(2026, 3, 7, 17, tzinfo=UTC)),  # 12:00-05:00, clocks go on
        ("America/New_York", datetime(2026, 10, 31, 17, tzinfo=UTC)),  # 13:00-04:00, go back
        ("Australia/Lord_Howe", datetime(2026, 10, 3, 1, tzinfo=UTC)),  # a half-hour change
    ],
)
def test_the_activity_record_expires_a_day_after_the_turn_across_a_dst_change(zone, turn_utc):
    # A day added to the user's local time was a day of wall clock: 23, 25 or 23.5 hours.
    from common.chat.limits import activity_doc

    local = turn_utc.astimezone(ZoneInfo(zone))
    assert activity_doc([(local, "h")], limited_until=None)["expires_at"] - turn_utc == (
        timedelta(hours=24)
    )


def test_the_activity_record_expires_a_day_after_the_later_turn_of_the_repeated_hour():
    # 01:40 EDT (fold 0) is 05:40 UTC, 01:10 EST (fold 1) 06:10 UTC: max() of the two local
    # times compared wall clocks and took the earlier turn.
    from common.chat.limits import activity_doc

    york = ZoneInfo("America/New_York")
    first, later = (
        datetime(2026, 11, 1, 5, 40, tzinfo=UTC),
        datetime(2026, 11, 1, 6, 10, tzinfo=UTC),
    )
    activity = [(first.astimezone(york), "a"), (later.astimezone(york), "b")]
    assert activity_doc(activity, limited_until=None)["expires_at"] == later + timedelta(days=1)


def test_the_settings_defaults_are_the_thresholds_defaults(monkeypatch):
    """The limits are declared twice, in Thresholds and in Settings (ANOMALY_*): the chat path
    and a check with the defaults must judge alike, every field of them."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    assert anomaly_thresholds(Settings()) == Thresholds() == DEFAULT_THRESHOLDS
    custom = Settings(anomaly_burst_minute_max=5, anomaly_burst_hour_max=100, anomaly_repeat_max=2)
    assert anomaly_thresholds(custom) == Thresholds(
        burst_minute_max=5, burst_hour_max=100, repeat_max=2
    )
