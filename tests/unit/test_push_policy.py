"""Pure push decisions: quiet hours in the user's zone (across midnight, DST), the daily cap,
collapsing, retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common.adapters.fcm_sender import parse_retry_after
from common.profile.models import ProfileSettings, QuietHours
from common.push.models import (
    Notification,
    SendResult,
    notification_event,
    notification_from_envelope,
)
from common.push.policy import (
    decide,
    deferred_key,
    is_retryable,
    local_day,
    quiet_until,
    redelivery_delay,
    replaces,
    retry_delay,
    take_daily_slot,
    wait_asked,
)

NIGHT = QuietHours(start="22:00", end="07:00")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def note(**kw) -> Notification:
    base = {
        "notification_id": "n-1",
        "uid": "user-1",
        "kind": "weekly_insight",
        "title": "Your week",
        "body": "You talked with Lua three times.",
        "created_at": utc(2026, 11, 22, 8),
    }
    return Notification.model_validate({**base, **kw})


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 11, 22, 21, 59), None),  # before the window
        (utc(2026, 11, 22, 22, 0), utc(2026, 11, 23, 7, 0)),  # start: until tomorrow 07:00
        (utc(2026, 11, 22, 23, 30), utc(2026, 11, 23, 7, 0)),
        (utc(2026, 11, 23, 3, 0), utc(2026, 11, 23, 7, 0)),  # after midnight: until today
        (utc(2026, 11, 23, 7, 0), None),  # the end is not quiet any more
    ],
)
def test_quiet_hours_across_midnight(now: datetime, expected: datetime | None) -> None:
    assert quiet_until(now, "UTC", NIGHT) == expected


def test_quiet_hours_are_the_users_wall_clock_not_utc() -> None:
    # 12:30 UTC is 23:30 in Sydney (UTC+11 in November): quiet until 07:00 Sydney = 20:00 UTC.
    now = utc(2026, 11, 22, 12, 30)
    assert quiet_until(now, "Australia/Sydney", NIGHT) == utc(2026, 11, 22, 20, 0)
    # The same instant is 04:30 in Los Angeles, still night there: until 07:00 PST = 15:00 UTC.
    assert quiet_until(now, "America/Los_Angeles", NIGHT) == utc(2026, 11, 22, 15, 0)
    # ... and 12:30 in London: awake, nothing to wait for.
    assert quiet_until(now, "Europe/London", NIGHT) is None
    # ... and 21:30 in Tokyo, half an hour before its quiet hours.
    assert quiet_until(now, "Asia/Tokyo", NIGHT) is None
    assert quiet_until(now + timedelta(hours=1), "Asia/Tokyo", NIGHT) == utc(2026, 11, 22, 22, 0)


def test_quiet_hours_within_one_day_and_empty_window() -> None:
    lunch = QuietHours(start="12:00", end="13:00")
    assert quiet_until(utc(2026, 11, 22, 12, 15), "UTC", lunch) == utc(2026, 11, 22, 13)
    assert quiet_until(utc(2026, 11, 22, 13, 15), "UTC", lunch) is None
    assert quiet_until(utc(2026, 11, 22, 12), "UTC", QuietHours(start="09:00", end="09:00")) is None
    assert quiet_until(utc(2026, 11, 22, 12), "UTC", None) is None


def test_quiet_hours_end_on_a_dst_change_day() -> None:
    # Europe/Berlin leaves summer time on 2026-10-25 (03:00 CEST -> 02:00 CET). Quiet hours
    # 22:00-07:00 starting the evening before end at 07:00 CET = 06:00 UTC, not 05:00.
    now = utc(2026, 10, 24, 21, 30)  # 23:30 CEST
    assert quiet_until(now, "Europe/Berlin", NIGHT) == utc(2026, 10, 25, 6, 0)
    # Spring forward (2026-03-29, 02:00 -> 03:00): an end at 02:30 never happens that night;
    # the hours end when the clocks jump over it, 03:00 CEST = 01:00 UTC (not 03:30 CEST).
    now = utc(2026, 3, 29, 0, 10)  # 01:10 CET
    until = quiet_until(now, "Europe/Berlin", QuietHours(start="23:00", end="02:30"))
    assert until == utc(2026, 3, 29, 1, 0)
    # Sydney springs forward on 2026-10-04 (02:00 AEST -> 03:00 AEDT = 16:00 UTC the day before).
    now = utc(2026, 10, 3, 15, 30)  # 01:30 AEST
    until = quiet_until(now, "Australia/Sydney", QuietHours(start="22:00", end="02:45"))
    assert until == utc(2026, 10, 3, 16, 0)


def test_the_second_pass_of_a_repeated_hour_defers_to_the_future() -> None:
    # New York falls back on 2026-11-01 (02:00 EDT -> 01:00 EST). At 01:15 EST, after the clocks
    # went back, 01:30 on the wall clock means 01:30 EDT, 45 minutes ago: a due_at in the past
    # would be deferred again by every release run. The quiet hours really end at 01:30 EST.
    settings = ProfileSettings(
        timezone="America/New_York", quiet_hours=QuietHours(start="22:00", end="01:30")
    )
    now = utc(2026, 11, 1, 6, 15)  # 01:15 EST
    deferred = decide(settings=settings, devices=1, now=now)
    assert deferred.action == "defer"
    assert deferred.due_at == utc(2026, 11, 1, 6, 30)  # not a minute at a time until then
    # In the first pass (01:15 EDT) they end at its 01:30.
    first_pass = decide(settings=settings, devices=1, now=utc(2026, 11, 1, 5, 15))
    assert first_pass.due_at == utc(2026, 11, 1, 5, 30)


@pytest.mark.parametrize(
    ("day", "window"),
    [
        ((2026, 11, 1), ("22:00", "01:30")),  # fall back: 01:00-02:00 happens twice
        ((2026, 11, 1), ("01:00", "01:45")),
        ((2026, 11, 1), ("00:30", "02:00")),
        ((2026, 3, 8), ("22:00", "02:30")),  # spring forward: 02:00-03:00 never happens
        ((2026, 3, 8), ("01:00", "02:15")),
    ],
)
def test_quiet_hours_never_defer_into_the_past_across_a_dst_change(day, window) -> None:
    settings = ProfileSettings(
        timezone="America/New_York", quiet_hours=QuietHours(start=window[0], end=window[1])
    )
    start = utc(*day, 4)  # midnight EDT / 23:00 EST, before the change
    for minute in range(0, 5 * 60, 5):
        now = start + timedelta(minutes=minute)
        decision = decide(settings=settings, devices=1, now=now)
        if decision.action == "defer":
            due = decision.due_at
            assert due is not None and due > now, now
            # Not late either: quiet a minute before it (or it is a minute away), awake at it.
            before = max(now, due - timedelta(minutes=1))
            assert quiet_until(before, settings.timezone, settings.quiet_hours) is not None, now
            assert quiet_until(due, settings.timezone, settings.quiet_hours) is None, now


def test_local_day_is_the_users_calendar_day() -> None:
    now = utc(2026, 11, 22, 23, 30)
    assert local_day(now, "UTC") == "2026-11-22"
    assert local_day(now, "Asia/Tokyo") == "2026-11-23"
    assert local_day(now, "America/New_York") == "2026-11-22"


def test_decide_order_opt_out_devices_quiet() -> None:
    now = utc(2026, 11, 22, 23)
    off = ProfileSettings(notifications=False, quiet_hours=NIGHT)
    assert decide(settings=off, devices=2, now=now).reason == "notifications_off"
    quiet = ProfileSettings(quiet_hours=NIGHT)
    assert decide(settings=quiet, devices=0, now=now).reason == "no_devices"
    deferred = decide(settings=quiet, devices=1, now=now)
    assert (deferred.action, deferred.reason) == ("defer", "quiet_hours")
    assert deferred.due_at == utc(2026, 11, 23, 7)
    assert decide(settings=ProfileSettings(quiet_hours=None), devices=1, now=now).action == "send"


def test_a_push_for_a_user_of_unknown_time_zone_is_suppressed_not_sent_at_a_utc_hour() -> None:
    """ProfileSettings() reads "UTC" for a user who never set a zone, and the weekly insight at
    Sunday 18:00 UTC went out: Monday 03:00 in Tokyo, 05:00 in Sydney. Their quiet hours are
    unknown, so nothing decides it may go."""
    sunday_evening = utc(2026, 12, 6, 18)
    unknown = decide(
        settings=ProfileSettings(), devices=1, now=sunday_evening, timezone_unknown=True
    )
    assert (unknown.action, unknown.reason) == ("suppress", "timezone_unknown")
    # After the user's own choices: opted out or unreachable is what they are first.
    off = ProfileSettings(notifications=False)
    assert decide(settings=off, devices=1, now=sunday_evening, timezone_unknown=True).reason == (
        "notifications_off"
    )
    no_devices = decide(
        settings=ProfileSettings(), devices=0, now=sunday_evening, timezone_unknown=True
    )
    assert no_devices.reason == "no_devices"


def test_a_new_user_gets_no_pushes_at_night_in_their_time_zone() -> None:
    tokyo = ProfileSettings(timezone="Asia/Tokyo")  # quiet hours never set
    assert tokyo.quiet_hours == QuietHours(start="22:00", end="08:00")
    small_hours = decide(settings=tokyo, devices=1, now=utc(2026, 11, 22, 16))  # 01:00 there
    assert (small_hours.action, small_hours.reason) == ("defer", "quiet_hours")
    assert small_hours.due_at == utc(2026, 11, 22, 23)  # 08:00 in Tokyo
    assert decide(settings=tokyo, devices=1, now=utc(2026, 11, 22, 23)).action == "send"
    # A user who cleared them takes pushes at any hour.
    cleared = ProfileSettings.model_validate({"timezone": "Asia/Tokyo", "quiet_hours": None})
    assert decide(settings=cleared, devices=1, now=utc(2026, 11, 22, 16)).action == "send"


def test_daily_cap_counts_per_day_and_restarts_on_a_new_day() -> None:
    counter = None
    for expected in (1, 2, 3):
        counter = take_daily_slot(counter, day="2026-11-22", cap=3)
        assert counter == {"day": "2026-11-22", "count": expected}
    assert take_daily_slot(counter, day="2026-11-22", cap=3) is None
    assert take_daily_slot(counter, day="2026-11-23", cap=3) == {"day": "2026-11-23", "count": 1}


def test_retryable_answers() -> None:
    def result(error: str | None, status: int | None) -> SendResult:
        return SendResult("d", ok=False, error=error, http_status=status)

    assert is_retryable(result("quota_exceeded", 429))
    assert is_retryable(result("unavailable", 503))
    assert is_retryable(result("internal", 500))
    assert is_retryable(result("unavailable", None))  # no answer at all
    assert not is_retryable(result("unregistered", 404))
    assert not is_retryable(result("invalid_argument", 400))
    assert not is_retryable(result("invalid_token", 400))
    # our setup: sent again by a later delivery, not within seconds, even without an HTTP answer
    assert not is_retryable(result("third_party_auth_error", 401))
    assert not is_retryable(result("unauthenticated", None))
    assert not is_retryable(SendResult("d", ok=True))


def test_retry_delay_backs_off_and_honours_retry_after() -> None:
    assert [retry_delay(a, retry_after=None, base=1.0) for a in range(4)] == [1, 2, 4, 8]
    assert retry_delay(0, retry_after=7, base=1.0) == 7
    assert retry_delay(3, retry_after=2, base=1.0) == 8
    assert retry_delay(30, retry_after=None, base=1.0) == 300  # bounded


def test_the_wait_between_deliveries_doubles_from_5_minutes_up_to_4_hours() -> None:
    minutes = [redelivery_delay(n) / 60 for n in range(1, 10)]
    assert minutes == [0, 5, 10, 20, 40, 80, 160, 240, 240]  # after 1: the next release
    assert redelivery_delay(5000) == 4 * 3600  # no float overflow, however many


def test_a_quota_exceeded_without_retry_after_waits_at_least_a_minute() -> None:
    # FCM's advice for QUOTA_EXCEEDED: back off with a minimum initial delay of one minute.
    def result(error: str, retry_after: float | None = None) -> SendResult:
        return SendResult("d", ok=False, error=error, http_status=429, retry_after=retry_after)

    assert wait_asked(result("quota_exceeded")) == 60
    assert wait_asked(result("quota_exceeded", retry_after=3)) == 3  # FCM said how long
    assert wait_asked(result("unavailable")) == 0  # the backoff alone


def test_parse_retry_after_seconds_and_http_date() -> None:
    now = utc(2026, 11, 22, 8)
    assert parse_retry_after("5", now) == 5.0
    assert parse_retry_after("Sun, 22 Nov 2026 08:00:30 GMT", now) == 30.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_collapse_keys_share_one_waiting_slot_per_user() -> None:
    a = note(notification_id="a", collapse_key="weekly")
    b = note(notification_id="b", collapse_key="weekly", created_at=utc(2026, 11, 22, 9))
    other_user = note(notification_id="c", collapse_key="weekly", uid="user-2")
    plain = note(notification_id="d")
    assert deferred_key(a) == deferred_key(b)
    assert deferred_key(a) != deferred_key(other_user)
    assert deferred_key(plain) != deferred_key(note(notification_id="e"))
    assert replaces(b, a.created_at) and not replaces(a, b.created_at)
    assert a.tag == "weekly" and plain.tag == "d"


def test_notification_event_round_trip_and_bad_input() -> None:
    n = note(collapse_key="weekly", data={"screen": "insights"})
    event = notification_event(n, subject="k" * 32)
    assert event.topic == "notifications" and event.event_id == "n-1"
    assert event.user_key is None  # the uid travels only to the push sender, never to analytics
    envelope = event.envelope()
    assert notification_from_envelope(envelope) == n
    with pytest.raises(ValueError):
        notification_from_envelope({**envelope, "type": "chat.turn.completed"})
    with pytest.raises(ValueError):
        bad = {**envelope["data"], "collapse_key": "a b"}
        notification_from_envelope({**envelope, "data": bad})
    with pytest.raises(ValueError):  # naive times are ambiguous across time zones
        note(created_at=datetime(2026, 11, 22, 8))


@pytest.mark.parametrize(
    "data",
    [
        {"from": "x"},
        {"google.c.a.e": "1"},
        {"gcm.notification.x": "1"},
        {"message_type": "x"},
        {"": "x"},
        {"big": "x" * 4000},
    ],
)
def test_payloads_fcm_would_refuse_for_every_token_are_refused_first(data: dict) -> None:
    # Else FCM's INVALID_ARGUMENT would read as "bad token" and delete all the user's devices.
    with pytest.raises(ValueError):
        note(data=data)


def test_the_size_check_measures_the_message_as_sent_escapes_included() -> None:
    # 1,801 bytes of text, far under the limit counted raw; but a quote or a newline is two
    # bytes in the JSON FCM measures, so as sent it is over: FCM would refuse it for every token.
    with pytest.raises(ValueError, match="as sent"):
        note(title='"' * 200, body='"' * 1000, data={"a": "\n" * 600})
    plain = note(title="t" * 200, body="b" * 1000, data={f"k{i}": "v" * 100 for i in range(20)})
    assert 3300 < plain.payload_bytes() <= 3500  # the same length in plain text goes
