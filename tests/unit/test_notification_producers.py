"""The notification producers' decisions (pure, and the services over in-memory ports): who
gets a weekly insight or a re-engagement nudge, what it says, its id, the cool-down, the
opt-outs, and that a rerun enqueues nothing twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from common.config import Settings
from common.events import Event, PublishError, user_key
from common.notifications.models import (
    AFTER_CRISIS,
    AFTER_HEAVY_EVENT,
    ALREADY_ENQUEUED,
    ANONYMISED,
    COOLING_DOWN,
    ERASED,
    INACTIVE,
    NOT_AT_RISK,
    NOTIFICATIONS_OFF,
    REENGAGEMENT,
    TIMEZONE_UNKNOWN,
    TOO_NEW,
    WEEKLY_INSIGHT,
    AtRisk,
    Recipient,
)
from common.notifications.reengagement import (
    MIN_IDLE_DAYS,
    NUDGE_TEXT,
    nudge_period,
    reengagement_nudge,
)
from common.notifications.service import produce_reengagement_nudges, produce_weekly_insights
from common.notifications.weekly import (
    WeekFacts,
    insight_body,
    iso_week,
    week_facts,
    weekly_insight,
)
from common.profile.models import ProfileSettings
from common.profile.updater import day_key, delta_for, stale_days
from common.push.models import notification_from_envelope
from scripts.function_client import function_client

NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)  # a Sunday evening, ISO week 2026-W47
KEY = "test-key"
SETTINGS = Settings(analytics_key=KEY, outbox_grace_seconds=30)


def _day(days_ago: int, **counts) -> dict:
    return {day_key(NOW - timedelta(days=days_ago)): counts}


def _prefs(*days: dict, shown: dict | None = None) -> dict:
    daily: dict = {}
    for day in days:
        daily |= day
    return {"daily": daily, "shown": shown or {}}


ACTIVE_WEEK = _prefs(
    _day(0, turns=5, sessions=2, liked=2, personas={"elro": 4, "lua": 1}),
    _day(2, turns=3, sessions=1, liked=1, personas={"elro": 3}),
    _day(6, turns=2, sessions=1, personas={"nana": 2}),
    _day(7, turns=40, sessions=9, liked=9, personas={"riri": 40}),  # last week: not counted
) | {"turns": 120}  # every turn ever: some before the per-day counters kept


def _recipient(
    uid="u1",
    *,
    prefs=ACTIVE_WEEK,
    settings=None,
    notices=None,
    erased=False,
    crisis_at=None,
    timezone: str | None = "Asia/Tokyo",  # as the app sets it at sign-in; None: never set
):
    zone = {} if timezone is None else {"timezone": timezone}
    user = {"settings": {**zone, **(settings or {})}, "notices": notices or {}}
    return Recipient(uid, user_key(uid, KEY), user, prefs, erased, crisis_at)


# --- the week's facts and text -------------------------------------------------------------


def test_the_week_is_the_last_seven_utc_days() -> None:
    facts = week_facts(ACTIVE_WEEK, now=NOW)
    assert facts == WeekFacts(
        turns=10, conversations=4, active_days=3, liked=3,
        persona_turns={"elro": 7, "lua": 1, "nana": 2}, lifetime_turns=120,
        first_day=datetime(2026, 11, 15, tzinfo=UTC),  # last week's Sunday, the oldest kept
    )  # fmt: skip
    assert facts.top_personas() == ["elro"]
    assert iso_week(NOW) == "2026-W47" and iso_week(NOW + timedelta(hours=7)) == "2026-W48"


def test_a_run_by_hand_mid_week_tells_the_week_so_far_not_the_last_seven_days() -> None:
    wednesday = NOW - timedelta(days=4)  # its ISO week (W47) is the one the insight's id names
    facts = week_facts(ACTIVE_WEEK, now=wednesday)
    # days 4-6 before Sunday are Mon-Wed: only the 2 turns of 6 days before Sunday count, not
    # last week's 40
    assert (facts.turns, facts.active_days, facts.persona_turns) == (2, 1, {"nana": 2})


def test_the_insight_says_how_many_conversations_with_whom_and_what_was_liked() -> None:
    body = insight_body(week_facts(ACTIVE_WEEK, now=NOW))
    assert body == (
        "In the past week: 4 conversations over 3 days, mostly with Elro; you liked 3 replies."
    )


@pytest.mark.parametrize(
    ("facts", "body"),
    [
        (WeekFacts(1, 1, 1, 0, {"nana": 1}), "In the past week: 1 conversation, all with Nana."),
        (WeekFacts(4, 1, 1, 1, {"lua": 2, "elro": 2}),
         "In the past week: 1 conversation, all with Lua and Elro; you liked 1 reply."),
        (WeekFacts(5, 1, 1, 0, {"lua": 2, "elro": 2, "nana": 1}),
         "In the past week: 1 conversation, mostly with Lua and Elro."),
        (WeekFacts(9, 3, 2, 0, {"lua": 3, "riri": 3, "elro": 3}),
         "In the past week: 3 conversations over 2 days, all with Lua, Riri and Elro."),
        # A four-way tie names nobody (the words review: "mostly with Lua and Riri and Elro
        # and Nana").
        (WeekFacts(8, 4, 4, 0, {"lua": 2, "riri": 2, "elro": 2, "nana": 2}),
         "In the past week: 4 conversations over 4 days."),
        (WeekFacts(3, 2, 2, 0, {}), "In the past week: 2 conversations over 2 days."),
    ],
)  # fmt: skip
def test_insight_text_variants(facts: WeekFacts, body: str) -> None:
    assert insight_body(facts) == body


def test_the_week_is_named_in_iso_8601_with_two_digits() -> None:
    # ISO 8601 (two digits): the period stored in the notice; a week renamed by a release would
    # look new to a rerun and get a second insight.
    assert iso_week(datetime(2027, 1, 6, tzinfo=UTC)) == "2027-W01"


def test_a_conversation_begun_before_the_week_still_counts_and_a_changed_rating_never_dips() -> (
    None
):
    facts = week_facts(_prefs(_day(1, turns=2, liked=-1, personas={"riri": 2})), now=NOW)
    assert (facts.conversations, facts.liked) == (1, 0)


def test_the_profile_updater_keeps_the_daily_counters_the_insight_reads() -> None:
    turn = Event("chat.turn.completed", NOW, "k", "s", {"persona": "elro", "turn_index": 0})
    increments = delta_for(turn).increments
    assert increments[f"daily.{day_key(NOW)}.personas.elro"] == 1
    up = Event("feedback.submitted", NOW, "k", "s", {"persona": "elro", "reward": 1.0})
    assert delta_for(up).increments[f"daily.{day_key(NOW)}.liked"] == 1
    down = {"persona": "elro", "reward": 0.0, "previous_reward": 1.0}
    changed = delta_for(Event("feedback.submitted", NOW, "k", "s", down)).increments
    assert changed[f"daily.{day_key(NOW)}.liked"] == -1  # the last rating counts
    three_stars = Event("feedback.submitted", NOW, "k", "s", {"persona": "lua", "reward": 0.5})
    assert f"daily.{day_key(NOW)}.liked" not in delta_for(three_stars).increments


# --- who gets a weekly insight -------------------------------------------------------------


def test_an_active_user_gets_an_insight_with_a_stable_private_id() -> None:
    note, reason = weekly_insight(_recipient(), now=NOW, key=KEY)
    assert reason is None and note is not None
    assert note.kind == WEEKLY_INSIGHT and note.collapse_key == WEEKLY_INSIGHT
    assert note.title == "Your week with ION" and "mostly with Elro" in note.body
    assert note.data == {
        "week": "2026-W47", "conversations": "4", "turns": "10", "active_days": "3",
        "liked": "3", "persona": "elro",
    }  # fmt: skip
    again, _ = weekly_insight(_recipient(), now=NOW - timedelta(days=5), key=KEY)
    assert again.notification_id == note.notification_id  # the same week: the same id
    assert note.notification_id.startswith("weekly_insight.2026-W47.")
    assert user_key("u1", KEY) not in note.notification_id  # not linkable to analytics
    next_days = _prefs(_day(-7, turns=1, sessions=1), _day(-3, turns=1, sessions=1))
    active_next_week = _recipient(prefs={**next_days, "turns": 80})
    next_week, _ = weekly_insight(active_next_week, now=NOW + timedelta(days=7), key=KEY)
    other, _ = weekly_insight(_recipient("u2"), now=NOW, key=KEY)
    assert len({note.notification_id, next_week.notification_id, other.notification_id}) == 3


@pytest.mark.parametrize(
    ("recipient", "reason"),
    [
        (_recipient(erased=True), ERASED),
        (_recipient(settings={"notifications": False}), NOTIFICATIONS_OFF),
        (_recipient(prefs=_prefs(_day(8, turns=30, sessions=3))), INACTIVE),
        (_recipient(prefs=None), INACTIVE),
        (_recipient(notices={WEEKLY_INSIGHT: {"period": "2026-W47"}}), ALREADY_ENQUEUED),
        # Sunday 18:00 UTC is 03:00 on Monday in Tokyo: without their zone, quiet hours
        # cannot keep it from waking them.
        (_recipient(timezone=None), TIMEZONE_UNKNOWN),
        # A zone an earlier version stored and this one refuses is as good as none.
        (_recipient(timezone="Mars/Olympus_Mons"), TIMEZONE_UNKNOWN),
        # Counted last: only users who would otherwise get it.
        (_recipient(timezone=None, prefs=None), INACTIVE),
        (_recipient(timezone=None, settings={"notifications": False}), NOTIFICATIONS_OFF),
    ],
)
def test_who_gets_no_insight(recipient: Recipient, reason: str) -> None:
    assert weekly_insight(recipient, now=NOW, key=KEY) == (None, reason)


def _counted(*turns: datetime, onto: dict | None = None) -> dict:
    """preferences/{user_key} (`onto`, or none) after the profile updater applied a turn at each
    of these times (a new conversation with Nana each), as its increments add up."""
    doc: dict = onto or {}
    for at in turns:
        event = Event("chat.turn.completed", at, "k", "s", {"persona": "nana", "turn_index": 0})
        for path, amount in delta_for(event).increments.items():
            *parents, leaf = path.split(".")
            node = doc
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = node.get(leaf, 0) + amount
    return doc


SUNDAY_RUN = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)  # the 21:00 UTC run of NOW's Sunday


@pytest.mark.parametrize(
    ("turns", "reason"),
    [
        # The review: a first-ever turn at 20:40 got "1 conversation, all with Nana." at 21:00.
        ([SUNDAY_RUN - timedelta(minutes=20)], TOO_NEW),
        ([SUNDAY_RUN - timedelta(days=1, hours=1)], TOO_NEW),  # Saturday 20:00
        ([SUNDAY_RUN - timedelta(days=1, hours=20)], TOO_NEW),  # Saturday 01:00
        ([SUNDAY_RUN - timedelta(days=2, hours=20)], None),  # Friday 01:00: a weekend in
        # Back after a pause the per-day counters (8 days) still hold: not new.
        ([SUNDAY_RUN - timedelta(days=6), SUNDAY_RUN - timedelta(minutes=20)], None),
        # Back after longer than they keep: "1 conversation" minutes after it reads as a form
        # letter as for a new user (the returning-user review).
        ([SUNDAY_RUN - timedelta(days=30), SUNDAY_RUN - timedelta(minutes=20)], TOO_NEW),
    ],
)
def test_no_insight_until_the_users_first_turn_is_two_days_old(
    turns: list[datetime], reason: str | None
) -> None:
    prefs = _counted(*turns)
    for day in stale_days(prefs["daily"], SUNDAY_RUN):  # as the next event trims them
        del prefs["daily"][day]
    note, why = weekly_insight(_recipient(prefs=prefs), now=SUNDAY_RUN, key=KEY)
    assert why == reason and (note is None) == (reason is not None)


def test_a_365_day_user_back_on_sunday_evening_after_seven_months_gets_no_insight() -> None:
    """Their lifetime count (360 turns over two months) outlives the per-day counters, which
    held only the turn back: the 21:00 run said "In the past week: 1 conversation, all with
    Nana." 20 minutes after it (the reviewer's /tmp/rev_returning/weekly.py)."""
    back, run = datetime(2027, 2, 7, 20, 40, tzinfo=UTC), datetime(2027, 2, 7, 21, 0, 5, tzinfo=UTC)
    kept = {"turns": 360, "sessions": 60, "stats": {"elro": {"alpha": 80.0, "beta": 4.0}}}
    for prefs in (kept, None):  # 365-day retention; 90 days (the profile was deleted)
        recipient = _recipient(prefs=_counted(back, onto=prefs), timezone="Europe/London")
        assert weekly_insight(recipient, now=run, key=KEY) == (None, TOO_NEW)


@pytest.mark.parametrize(
    ("now", "reason"),
    [
        (datetime(2026, 11, 21, 23, 59, tzinfo=UTC), TOO_NEW),
        (datetime(2026, 11, 22, 0, 0, tzinfo=UTC), None),
    ],
)
def test_the_first_turns_day_is_two_days_old_from_midnight_two_days_on(
    now: datetime, reason: str | None
) -> None:
    # The counters know the first turn by its UTC day (Friday 20th): 2 days old from Sunday 00:00
    prefs = _counted(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    assert weekly_insight(_recipient(prefs=prefs), now=now, key=KEY)[1] == reason


@pytest.mark.parametrize(
    ("days", "new"),
    [
        ([_day(0, turns=2, sessions=1)], True),
        ([_day(0, turns=3, sessions=1)], False),
        ([_day(0, turns=1, sessions=1), _day(3, turns=1, sessions=1)], False),
    ],
)
def test_without_a_lifetime_count_a_user_with_one_day_and_under_3_turns_is_too_new(
    days: list[dict], new: bool
) -> None:
    note, reason = weekly_insight(_recipient(prefs=_prefs(*days)), now=NOW, key=KEY)
    assert reason == (TOO_NEW if new else None) and (note is None) == new


def test_a_user_who_set_utc_gets_their_insight() -> None:
    """A "UTC" the app sent is a known zone, unlike the default GET /v2/profile shows."""
    assert weekly_insight(_recipient(timezone="UTC"), now=NOW, key=KEY)[1] is None


def test_a_utc_zone_the_early_patch_saved_with_every_default_is_unknown() -> None:
    """PATCH /v2/profile stored the whole settings map from 7800576 until 9e9ac6e: a user who
    only chose 365 days has "UTC" stored, and got their insight at 03:00 in Tokyo."""
    whole = ProfileSettings(retention_days=365, quiet_hours=None).model_dump(mode="json")
    old = replace(_recipient(), user={"settings": whole, "user_key": "k"})
    assert weekly_insight(old, now=NOW, key=KEY) == (None, TIMEZONE_UNKNOWN)


def test_last_weeks_notice_does_not_stop_this_weeks_insight() -> None:
    recipient = _recipient(notices={WEEKLY_INSIGHT: {"period": "2026-W46"}})
    assert weekly_insight(recipient, now=NOW, key=KEY)[0] is not None


MONDAY = datetime(2026, 11, 16, tzinfo=UTC)  # 00:00 UTC: the first moment NOW's week counts


@pytest.mark.parametrize(
    ("crisis_at", "held_back"),
    [
        (NOW - timedelta(days=2), True),  # on a day the insight counts
        (MONDAY, True),
        (MONDAY - timedelta(seconds=1), False),  # last week's Sunday: not in the tally
        (NOW - timedelta(days=9), False),
        (None, False),
    ],
)
def test_a_crisis_turn_in_the_week_holds_back_its_insight(
    crisis_at: datetime | None, held_back: bool
) -> None:
    """An upbeat tally on the lock screen after a week with a crisis reads as tone-deaf, and the
    push cannot say why it is quiet: no insight for the week the crisis is in."""
    note, reason = weekly_insight(_recipient(crisis_at=crisis_at), now=NOW, key=KEY)
    if held_back:
        assert (note, reason) == (None, AFTER_CRISIS)
    else:
        assert note is not None and reason is None


def test_an_anonymised_user_still_gets_their_own_insight() -> None:
    """It comes from Firestore, not from analytics."""
    recipient = _recipient(settings={"anonymize_analytics": True})
    assert weekly_insight(recipient, now=NOW, key=KEY)[0] is not None


# --- who gets a nudge ----------------------------------------------------------------------


def _nudge(recipient: Recipient, now: datetime = NOW):
    return reengagement_nudge(recipient, now=now, key=KEY, cooldown_days=14)


@pytest.mark.parametrize("personalization", [True, False])
def test_a_user_at_risk_is_nudged_in_no_personas_voice(personalization: bool) -> None:
    # The boundaries review: the nudge came in the voice of the persona the user talked with
    # most ("Elro is here when you're ready"), pulling on the attachment the mentors must not
    # feed; it names none, whoever they talked with.
    prefs = _prefs(shown={"lua": 3, "elro": 9, "nana": 1})
    settings = {"personalization": personalization}
    note, reason = _nudge(_recipient(prefs=prefs, settings=settings))
    assert reason is None
    assert note.kind == REENGAGEMENT and note.collapse_key == REENGAGEMENT
    assert (note.title, note.body) == NUDGE_TEXT and note.data == {}
    assert note.title == "Your mentors are here when you're ready" and "Elro" not in note.body
    assert note.notification_id.startswith(f"reengagement.{nudge_period(NOW, 14)}.")


@pytest.mark.parametrize(
    ("days", "reason"), [(4, AFTER_HEAVY_EVENT), (6.9, AFTER_HEAVY_EVENT), (7, None)]
)
def test_no_nudge_within_a_week_of_a_turn_about_a_heavy_life_event(days, reason) -> None:
    # The boundaries review: a user whose turn 4 days before was about a death was pulled back
    # with "it has been a while"; the weekly insight already held back for such a week.
    heavy = replace(_recipient(), heavy_at=NOW - timedelta(days=days))
    note, why = _nudge(heavy)
    assert why == reason and (note is None) == (reason is not None)


@pytest.mark.parametrize(
    ("recipient", "reason"),
    [
        (_recipient(erased=True), ERASED),
        (_recipient(settings={"anonymize_analytics": True}), ANONYMISED),
        (_recipient(settings={"notifications": False}), NOTIFICATIONS_OFF),
        (_recipient(notices={REENGAGEMENT: {"enqueued_at": NOW - timedelta(days=13)}}),
         COOLING_DOWN),
        (_recipient(timezone=None), TIMEZONE_UNKNOWN),  # 16:00 UTC: 01:00 in Tokyo
        (_recipient(timezone=None, settings={"anonymize_analytics": True}), ANONYMISED),
    ],
)  # fmt: skip
def test_who_is_never_nudged(recipient: Recipient, reason: str) -> None:
    assert _nudge(recipient) == (None, reason)


def test_the_cool_down_ends_and_the_period_keeps_a_rerun_on_the_same_id() -> None:
    ended = _recipient(notices={REENGAGEMENT: {"enqueued_at": NOW - timedelta(days=14)}})
    assert _nudge(ended)[0] is not None
    # the run 14 days ago started a second later in its day: still over, not a 15th day
    later_then = NOW - timedelta(days=14) + timedelta(seconds=1)
    assert _nudge(_recipient(notices={REENGAGEMENT: {"enqueued_at": later_then}}))[0] is not None
    not_yet = _recipient(notices={REENGAGEMENT: {"enqueued_at": NOW - timedelta(days=13)}})
    assert _nudge(not_yet) == (None, COOLING_DOWN)
    start = datetime.fromisoformat(nudge_period(NOW, 14)).replace(tzinfo=UTC)
    assert start <= NOW < start + timedelta(days=14)
    first, _ = _nudge(_recipient(), start + timedelta(hours=1))
    retry, _ = _nudge(_recipient(), start + timedelta(days=13, hours=23))
    later, _ = _nudge(_recipient(), start + timedelta(days=14))
    assert first.notification_id == retry.notification_id != later.notification_id


# --- the services, over in-memory ports ----------------------------------------------------


class Audience:
    """Users with devices in document order; what a user's documents say; what was enqueued."""

    def __init__(self, users: dict[str, Recipient], devices: dict[str, int] | None = None):
        self.users = users
        self.devices = [uid for uid in sorted(users) for _ in range((devices or {}).get(uid, 1))]
        self.outbox: dict[str, Event] = {}
        self.reads = 0
        self.cursors: dict[str, str | None] = {}  # as producer_cursors keeps them
        self.erased_meanwhile: set[str] = set()  # erasures begun after recipients() read them
        self.dues: list[datetime] = []  # when the relay may take each enqueued batch
        self.crisis_asked: set[bool] = set()  # whether each read asked for activity/{uid}

    def device_users(self, *, limit, cursor):
        start = int(cursor or 0)
        page = self.devices[start : start + limit]
        return page, (str(start + limit) if start + limit < len(self.devices) else None)

    def load_cursor(self, producer):
        return self.cursors.get(producer)

    def save_cursor(self, producer, cursor, *, now):
        self.cursors[producer] = cursor

    def recipients(self, users, *, crisis=False):
        self.reads += 1
        self.crisis_asked.add(crisis)
        assert len(users) <= 100
        # As the adapter: activity/{uid} (crisis_at) is read only when asked for.
        return [
            self.users[uid] if crisis else replace(self.users[uid], crisis_at=None)
            for uid, _ in users
        ]

    def enqueue(self, outgoing, *, due, now):
        assert due >= NOW + timedelta(seconds=30)  # the grace, from when they are written
        self.dues.append(due)
        outgoing = [o for o in outgoing if o.note.uid not in self.erased_meanwhile]
        for item in outgoing:
            self.outbox[item.event.event_id] = item.event
            r = self.users[item.note.uid]
            notices = {**(r.user or {}).get("notices", {}), item.note.kind: item.notice}
            self.users[r.uid] = replace(r, user={**(r.user or {}), "notices": notices})
        return outgoing


class Publisher:
    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.published: list[Event] = []

    def publish(self, events):
        if self.fail:
            raise PublishError("down")
        self.published += events


class Outbox:
    def __init__(self, audience: Audience) -> None:
        self.audience = audience
        self.due: list[str] = []

    def mark_due(self, event_ids, now):
        self.due += event_ids

    def delete_outbox(self, event_ids):
        for event_id in event_ids:
            del self.audience.outbox[event_id]

    def claim_due(self, *, now, limit, lease_seconds):
        return []


def _population() -> dict[str, Recipient]:
    users = {
        "active": _recipient("active"),
        "off": _recipient("off", settings={"notifications": False}),
        "idle": _recipient("idle", prefs=_prefs(_day(9, turns=4, sessions=1))),
        "gone": _recipient("gone", erased=True),
    }
    users |= {f"more-{i:03d}": _recipient(f"more-{i:03d}") for i in range(150)}
    return users


def _weekly(audience: Audience, publisher: Publisher, **kw):
    return produce_weekly_insights(
        audience=audience,
        publisher=publisher,
        outbox=Outbox(audience),
        settings=SETTINGS,
        now=NOW,
        **kw,
    )


def test_weekly_run_counts_everyone_once_and_a_rerun_enqueues_nothing() -> None:
    # A user with three devices whose devices straddle two pages is still one user.
    audience, publisher = Audience(_population(), devices={"active": 3}), Publisher()
    report = _weekly(audience, publisher, page_size=2)
    assert report.considered == 154 and report.enqueued == 151
    assert dict(report.skipped) == {NOTIFICATIONS_OFF: 1, INACTIVE: 1, ERASED: 1}
    assert report.complete and report.published_inline
    notes = [notification_from_envelope(e.envelope()) for e in publisher.published]
    assert len({n.notification_id for n in notes}) == 151
    assert {n.uid for n in notes} >= {"active"} and not {"off", "idle", "gone"} & {
        n.uid for n in notes
    }
    assert all(e.topic == "notifications" and e.subject for e in publisher.published)
    assert audience.outbox == {}  # published and removed
    assert audience.crisis_asked == {True}  # with their latest crisis turn

    again = _weekly(audience, publisher, page_size=2)
    assert again.enqueued == 0 and again.skipped[ALREADY_ENQUEUED] == 151
    assert len(publisher.published) == 151


def test_weekly_run_skips_and_counts_users_who_never_set_their_time_zone() -> None:
    users = {"zoned": _recipient("zoned"), "unzoned": _recipient("unzoned", timezone=None)}
    audience, publisher = Audience(users), Publisher()
    report = _weekly(audience, publisher)
    assert report.enqueued == 1 and report.as_dict()["skipped"] == {TIMEZONE_UNKNOWN: 1}
    sent = {notification_from_envelope(e.envelope()).uid for e in publisher.published}
    assert sent == {"zoned"}
    # No notice: once the app sets their zone, the next run reaches them.
    assert WEEKLY_INSIGHT not in audience.users["unzoned"].user["notices"]


def test_weekly_run_holds_back_the_insight_of_a_user_with_a_crisis_turn_this_week() -> None:
    users = {
        "troubled": _recipient("troubled", crisis_at=NOW - timedelta(days=2)),
        "last-week": _recipient("last-week", crisis_at=NOW - timedelta(days=9)),
        "calm": _recipient("calm"),
    }
    audience, publisher = Audience(users), Publisher()
    report = _weekly(audience, publisher)
    assert report.enqueued == 2 and dict(report.skipped) == {AFTER_CRISIS: 1}
    sent = {notification_from_envelope(e.envelope()).uid for e in publisher.published}
    assert sent == {"last-week", "calm"}
    assert WEEKLY_INSIGHT not in audience.users["troubled"].user["notices"]


def test_weekly_run_counts_a_user_who_began_today_as_too_new() -> None:
    newcomer = _recipient("newcomer", prefs=_counted(NOW - timedelta(minutes=20)))
    audience, publisher = Audience({"newcomer": newcomer, "calm": _recipient("calm")}), Publisher()
    report = _weekly(audience, publisher)
    assert report.enqueued == 1 and dict(report.skipped) == {TOO_NEW: 1}
    assert WEEKLY_INSIGHT not in audience.users["newcomer"].user["notices"]


def test_a_user_erased_after_their_documents_were_read_is_counted_as_erased() -> None:
    audience, publisher = Audience(_population()), Publisher()
    audience.erased_meanwhile = {"active", "more-007"}
    report = _weekly(audience, publisher)
    assert report.enqueued == 149 and report.skipped[ERASED] == 3
    assert not {"active", "more-007"} & {
        notification_from_envelope(e.envelope()).uid for e in publisher.published
    }


def test_a_pubsub_outage_leaves_the_insights_in_the_outbox_for_the_relay() -> None:
    audience = Audience({"active": _recipient("active")})
    report = _weekly(audience, Publisher(fail=True))
    assert report.enqueued == 1 and not report.published_inline
    assert len(audience.outbox) == 1  # the relay publishes it; the notice stops a rerun
    assert _weekly(audience, Publisher()).skipped[ALREADY_ENQUEUED] == 1


def test_entries_written_late_in_a_long_run_get_their_grace_from_when_they_are_written(
    monkeypatch,
) -> None:
    # Dated from the run's start, a batch written minutes in would be due at once, and the relay
    # would publish it alongside the run's own delivery.
    from common import outbox

    ticks = iter(range(0, 10_000, 60))  # each look at the clock: a minute later
    monkeypatch.setattr(outbox.time, "monotonic", lambda: next(ticks))
    audience = Audience(_population())
    _weekly(audience, Publisher(), page_size=50)
    assert len(audience.dues) >= 3
    minutes = [(d - NOW - timedelta(seconds=30)).total_seconds() / 60 for d in audience.dues]
    assert minutes == sorted(minutes) and minutes[-1] >= len(minutes)


def test_a_run_stops_at_its_page_bound_and_says_so() -> None:
    report = _weekly(Audience(_population()), Publisher(), page_size=10, max_pages=3)
    assert not report.complete and report.considered == 30


class Clock:
    """Seconds that move only when the run sleeps or reads a page (TimedAudience)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class TimedAudience(Audience):
    """Each page of devices takes `page_seconds` on the clock; `pages`: when each began, and how
    many entries the run had enqueued by then."""

    def __init__(self, users, clock: Clock, page_seconds: float = 0.1) -> None:
        super().__init__(users)
        self.clock, self.page_seconds = clock, page_seconds
        self.pages: list[tuple[float, int]] = []
        self.enqueued = 0

    def device_users(self, *, limit, cursor):
        self.pages.append((self.clock(), self.enqueued))
        self.clock.now += self.page_seconds
        return super().device_users(limit=limit, cursor=cursor)

    def enqueue(self, outgoing, *, due, now):
        kept = super().enqueue(outgoing, due=due, now=now)
        self.enqueued += len(kept)
        return kept


def _timed(audience: TimedAudience, **kw):
    clock = audience.clock
    return _weekly(audience, Publisher(), page_size=50, clock=clock, sleep=clock.sleep, **kw)


def test_a_run_stops_when_its_time_is_out_and_the_next_goes_on_from_there() -> None:
    clock = Clock()
    audience = TimedAudience(_population(), clock, page_seconds=1)
    first = _timed(audience, deadline=1.5)  # two pages begin before it, a third would not
    assert not first.complete and first.considered == 100
    second = _weekly(audience, Publisher(), page_size=50, max_pages=1)
    assert second.resumed and second.considered == 50


def test_pages_are_paced_so_the_outbox_takes_at_most_its_writes_a_second() -> None:
    # Each entry is written and deleted on next_attempt_at, an indexed timestamp that only
    # grows: unpaced, a run wrote and deleted 850-1,900 a second, past Firestore's ~500.
    clock = Clock()
    audience = TimedAudience(_population(), clock)
    report = _timed(audience)
    assert report.complete and report.enqueued == 151
    rate = SETTINGS.notification_outbox_writes_per_second
    assert rate == 400
    (start, before), *rest = audience.pages
    for later, by_then in rest:
        ops = 2 * (by_then - before)  # the page's entries, written then deleted
        assert ops > 0 and later - start >= ops / rate - 1e-9  # 50 entries: 0.25 s, not 0.1
        start, before = later, by_then
    assert len(clock.slept) == len(audience.pages) - 1

    clock.slept.clear()  # a rerun writes nothing: it does not wait
    assert _timed(audience).enqueued == 0 and clock.slept == []


def test_a_paced_run_never_waits_past_its_deadline_it_stops_and_the_next_goes_on() -> None:
    clock = Clock()
    audience = TimedAudience(_population(), clock)
    # The first page ends at 0.1 s; its 100 writes make the next wait until 0.25 s.
    first = _timed(audience, deadline=0.2)
    assert not first.complete and first.considered == 50
    assert clock.slept == [] and clock() < 0.2
    second = _timed(audience, deadline=clock() + 10)
    assert second.resumed and second.complete and second.considered == 104


def test_runs_resume_where_the_last_stopped_so_every_user_is_reached_then_start_over() -> None:
    # 154 users, 30 a run: before, every run began at the first device and the users sorting
    # after the 30th were never reached.
    audience, publisher = Audience(_population()), Publisher()
    runs = [_weekly(audience, publisher, page_size=10, max_pages=3) for _ in range(6)]

    assert [r.considered for r in runs] == [30, 30, 30, 30, 30, 4]
    assert [r.resumed for r in runs] == [False, True, True, True, True, True]
    assert [r.complete for r in runs] == [False] * 5 + [True]
    assert sum(r.enqueued for r in runs) == 151  # everyone who should get one, once
    assert len({e.event_id for e in publisher.published}) == 151
    assert audience.cursors[WEEKLY_INSIGHT] is None  # the lap is done: the next one starts over

    again = _weekly(audience, publisher, page_size=10, max_pages=3)
    assert not again.resumed and again.considered == 30 and again.enqueued == 0
    assert again.skipped[ALREADY_ENQUEUED] == 28  # the other two: erased, inactive


def test_each_producer_keeps_its_own_place_and_a_failed_page_is_done_again() -> None:
    audience = Audience(_population())
    _weekly(audience, Publisher(), page_size=10, max_pages=2)
    assert audience.cursors == {WEEKLY_INSIGHT: "20"}

    def broken(outgoing, *, due, now):
        raise RuntimeError("Firestore went away")

    audience.enqueue = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        _weekly(audience, Publisher(), page_size=10, max_pages=2)
    assert audience.cursors == {WEEKLY_INSIGHT: "20"}  # the page that failed is not skipped


class Risks:
    def __init__(self, rows: list[AtRisk]) -> None:
        self.rows = rows
        self.asked: dict = {}

    def at_risk(self, *, min_risk, min_idle_days, limit, crisis_since):
        self.asked = {"min_risk": min_risk, "min_idle_days": min_idle_days}
        return [r for r in self.rows if r.risk >= min_risk and r.recency_days >= min_idle_days]


def test_nudges_go_to_users_at_risk_found_by_their_derived_key_once_per_cool_down() -> None:
    users = {
        "risky": _recipient("risky"),
        "risky-anon": _recipient("risky-anon", settings={"anonymize_analytics": True}),
        "risky-off": _recipient("risky-off", settings={"notifications": False}),
        "fine": _recipient("fine"),
    }
    rows = [
        AtRisk(user_key("risky", KEY), 0.9, "high", 20.0),
        AtRisk(user_key("risky-anon", KEY), 0.9, "high", 20.0),
        AtRisk(user_key("risky-off", KEY), 0.8, "high", 20.0),
        AtRisk(user_key("fine", KEY), 0.5, "medium", 20.0),  # below the threshold
        AtRisk(user_key("no-device", KEY), 0.95, "high", 30.0),  # nobody to reach
    ]
    audience, publisher, risks = Audience(users), Publisher(), Risks(rows)

    def run(now: datetime):
        return produce_reengagement_nudges(
            audience=audience,
            risks=risks,
            publisher=publisher,
            outbox=Outbox(audience),
            settings=SETTINGS,
            now=now,
        )

    report = run(NOW)
    assert risks.asked == {"min_risk": 0.6, "min_idle_days": MIN_IDLE_DAYS}
    assert report.considered == 4 and report.enqueued == 1
    assert dict(report.skipped) == {NOT_AT_RISK: 1, ANONYMISED: 1, NOTIFICATIONS_OFF: 1}
    assert report.as_dict()["at_risk"] == 4
    assert [notification_from_envelope(e.envelope()).uid for e in publisher.published] == ["risky"]
    assert audience.reads == 1  # only the users at risk are read
    assert audience.crisis_asked == {True}  # with their latest crisis turn

    audience.enqueue = _no_enqueue  # type: ignore[method-assign]
    assert run(NOW + timedelta(days=1)).skipped[COOLING_DOWN] == 1
    assert run(NOW + timedelta(days=13)).skipped[COOLING_DOWN] == 1


def _no_enqueue(outgoing, *, due):
    raise AssertionError(f"enqueued {outgoing} during the cool-down")


# --- the function's edge (no cloud call happens before the request is understood) -----------


@pytest.fixture(scope="module")
def function():

    return function_client("notification_producers")


def test_the_function_is_post_only_and_names_a_known_producer(function) -> None:
    refused = function.get("/")
    assert refused.status_code == 405 and refused.headers["Allow"] == "POST"
    bad = function.post("/", json={"producer": "daily_spam"})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "producer"
    assert function.post("/?producer=nope").get_json()["error"]["field"] == "producer"
    assert function.post("/", json={}).get_json()["error"]["field"] == "producer"
    assert function.post("/", data="x", content_type="text/plain").status_code == 415


def test_no_nudge_reaches_a_user_within_30_days_of_a_crisis_analytics_could_not_see() -> None:
    """The churn view finds a crisis only under a user key; one said while anonymising is
    remembered by the user's activity record (Recipient.crisis_at)."""
    crisis_at = NOW - timedelta(days=29)
    troubled = _recipient("troubled", crisis_at=crisis_at)
    note, why = reengagement_nudge(troubled, now=NOW, key=KEY, cooldown_days=14)
    assert note is None and why == AFTER_CRISIS
    later = NOW + timedelta(days=1)
    note, why = reengagement_nudge(troubled, now=later, key=KEY, cooldown_days=14)
    assert note is not None and why is None


def test_a_weekly_run_that_ran_out_of_pages_logs_a_warning_and_a_complete_one_info(
    caplog,
) -> None:
    # Users a run left out miss their insight unless a later run reaches them: the line says so
    # at WARNING, which the weekly insight's alert counts (terraform/modules/monitoring).
    with caplog.at_level("INFO", logger="common.notifications.service"):
        cut = _weekly(Audience(_population()), Publisher(), page_size=10, max_pages=1)
        whole = _weekly(Audience(_population()), Publisher(), page_size=200)
    lines = [r for r in caplog.records if r.getMessage() == "notification producer"]
    assert (cut.complete, whole.complete) == (False, True)
    assert [(r.levelname, r.report["complete"]) for r in lines] == [
        ("WARNING", False),
        ("INFO", True),
    ]
