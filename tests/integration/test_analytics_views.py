"""Each view's SQL on small hand-built data in the BigQuery emulator, written through the sink's
own code (duplicates included), in a dataset of its own; the daily MERGE; and the churn score
evaluated on held-out synthetic history."""

from __future__ import annotations

import math
import os
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from statistics import NormalDist

import pytest

from common.adapters.bigquery_metrics import BigQueryMetricReader
from common.analytics.sink import Message, sink_messages
from common.analytics.warehouse import (
    BigQueryRowWriter,
    daily_files,
    definition,
    emulator_client,
    provision,
    refresh_daily,
)
from common.events import Event
from common.insights.metrics import AB_MIN_RATERS, METRICS, Period, metric_query
from common.insights.service import read_metric
from common.labels import INTENTS, PERSONA_IDS
from common.personalization.preferences import explicit_reward
from scripts import stack

PROJECT = stack.PROJECT


class Refuse:
    def publish(self, data: bytes, attributes: dict[str, str]) -> None:
        raise AssertionError(f"unexpected dead letter: {attributes}")


@pytest.fixture(scope="module")
def bq():
    return emulator_client(os.environ.get("BIGQUERY_EMULATOR_HOST", "127.0.0.1:9050"), PROJECT)


def fresh_dataset(bq) -> str:
    name = f"test_{uuid.uuid4().hex[:10]}"
    provision(bq, project=PROJECT, dataset=name)
    return name


def write(
    bq, dataset: str, events: list[Event], *, copies: tuple[int, ...] = (), ingested=None
) -> None:
    """Through the sink's code (at `ingested`, default now); the events at `copies` are
    delivered a second time."""
    writer = BigQueryRowWriter(bq, table=f"{PROJECT}.{dataset}.events")
    messages = [Message(e.encode(), e.attributes()) for e in events]
    messages += [messages[i] for i in copies]
    report = sink_messages(
        messages, write=writer.insert, dead_letter=Refuse(), now=ingested or datetime.now(UTC)
    )
    assert report.written == len(messages)


def rows(bq, dataset: str, view: str, where: str = "") -> list[dict]:
    sql = f"SELECT * FROM `{PROJECT}.{dataset}.{view}` {where}"  # noqa: S608 - test SQL
    return [dict(r.items()) for r in bq.query(sql).result()]


# The hand-built week: D0 is yesterday (10:00 UTC); A, B and an anonymous user talk on D0,
# A also a week before, V on each of the 8 days before D0.
D0 = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=1)


def turn(key, session, at, *, turn_id, persona, intent, latency, index=0, **extra) -> Event:
    data = {
        "turn_id": turn_id,
        "turn_index": index,
        "persona": persona,
        "persona_source": extra.pop("source", "ensemble"),
        "intent": intent,
        "tone": "calm",
        "latency_ms": latency,
        "degraded": extra.pop("degraded", []),
        "crisis": extra.pop("crisis", False),
        "scores": {persona: 0.6},
        **extra,  # e.g. an A/B experiment's fields
    }
    return Event("chat.turn.completed", at, key, session, data)


def feedback(
    key, session, at, *, turn_id, persona, rating, reward, previous=None, crisis=None, **extra
) -> Event:
    data = {
        "turn_id": turn_id,
        "persona": persona,
        "rating": rating,
        "reward": reward,
        "previous_reward": previous,
        "crisis": crisis,
        **extra,
    }
    return Event("feedback.submitted", at, key, session, data)


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def hand_built() -> list[Event]:
    a, b, v = "user-a", "user-b", "user-v"
    events = [
        Event("session.started", D0, a, "s1", {"client": "v2"}),
        turn(a, "s1", D0, turn_id="t1", persona="lua", intent="learning", latency=100.0),
        turn(
            a,
            "s1",
            D0 + minutes(2),
            turn_id="t2",
            index=1,
            persona="lua",
            intent="learning",
            latency=300.0,
            degraded=["persona_model"],
        ),
        feedback(a, "s1", D0 + minutes(3), turn_id="t1", persona="lua", rating="up", reward=1.0),
        # A changes the rating: the last one stands.
        feedback(
            a,
            "s1",
            D0 + minutes(9),
            turn_id="t1",
            persona="lua",
            rating="down",
            reward=0.0,
            previous=1.0,
        ),
        turn(
            b,
            "s2",
            D0 + minutes(5),
            turn_id="t3",
            persona="riri",
            intent="planning",
            latency=200.0,
            source="requested",
            crisis=True,
        ),
        Event(
            "safety.crisis_detected",
            D0 + minutes(5),
            b,
            "s2",
            {
                "turn_id": "t3",
                "locale": "en-US",
                "analysis_source": "model",
                "detected_by": "patterns",
            },
        ),
        feedback(b, "s2", D0 + minutes(6), turn_id="t3", persona="riri", rating=5, reward=1.0),
        turn(
            None,
            "s3",
            D0 + minutes(7),
            turn_id="t4",
            persona="nana",
            intent="check_in",
            latency=150.0,
        ),
        Event(
            "anomaly.detected", D0 + minutes(30), b, None, {"reasons": ["burst"], "limited": True}
        ),
        turn(
            a,
            "s4",
            D0 - timedelta(days=7),
            turn_id="t5",
            persona="elro",
            intent="learning",
            latency=120.0,
        ),
    ]
    for day in range(1, 9):
        at = D0 - timedelta(days=day)
        events.append(
            turn(
                v,
                f"sv{day}",
                at,
                turn_id=f"tv{day}",
                persona="nana",
                intent="motivation",
                latency=90.0,
            )
        )
    return events


@pytest.fixture
def own_dataset(bq) -> Iterator[str]:
    """An empty dataset with the tables and views, for one test's own events."""
    name = fresh_dataset(bq)
    yield name
    bq.delete_dataset(f"{PROJECT}.{name}", delete_contents=True, not_found_ok=True)


@pytest.fixture(scope="module")
def dataset(bq) -> str:
    name = fresh_dataset(bq)
    events = hand_built()
    # t1's turn and t3's rating are delivered twice: the views count them once.
    write(bq, name, events, copies=(1, 7))
    yield name
    bq.delete_dataset(f"{PROJECT}.{name}", delete_contents=True, not_found_ok=True)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def test_the_raw_table_holds_the_copies_and_events_dedup_does_not(bq, dataset):
    raw = rows(bq, dataset, "events", "WHERE turn_id = 't1' AND type = 'chat.turn.completed'")
    assert len(raw) == 2
    deduped = rows(bq, dataset, "events_dedup")
    assert len(deduped) == len(hand_built())
    assert len({r["event_id"] for r in deduped}) == len(deduped)


def test_daily_and_weekly_active_users(bq, dataset):
    daily = {r["day"]: r for r in rows(bq, dataset, "daily_active_users")}
    d0 = daily[D0.date()]
    assert (d0["active_users"], d0["turns"], d0["sessions"], d0["anonymous_turns"]) == (2, 4, 3, 1)
    week_ago = daily[(D0 - timedelta(days=7)).date()]
    assert (week_ago["active_users"], week_ago["turns"]) == (2, 2)  # A and V
    weekly = {r["week_start"]: r for r in rows(bq, dataset, "weekly_active_users")}
    this_week = weekly[week_start(D0.date())]
    v_days = [(D0 - timedelta(days=d)).date() for d in range(1, 9)]
    v_here = sum(week_start(d) == week_start(D0.date()) for d in v_days)
    assert this_week["turns"] == 4 + v_here
    assert this_week["active_users"] == 2 + (v_here > 0)


def test_persona_distribution_and_intent_mix(bq, dataset):
    personas = {
        r["persona"]: r
        for r in rows(bq, dataset, "persona_distribution", f"WHERE day = '{D0.date()}'")
    }
    assert {p: r["turns"] for p, r in personas.items()} == {"lua": 2, "riri": 1, "nana": 1}
    assert personas["lua"]["share"] == pytest.approx(0.5)
    assert personas["lua"]["users"] == 1
    intents = {
        r["intent"]: r["turns"]
        for r in rows(bq, dataset, "intent_mix", f"WHERE day = '{D0.date()}'")
    }
    assert intents == {"learning": 2, "planning": 1, "check_in": 1}


def test_satisfaction_counts_the_last_rating_once(bq, dataset):
    sat = {r["persona"]: r for r in rows(bq, dataset, "satisfaction_by_persona")}
    assert (sat["lua"]["ratings"], sat["lua"]["avg_satisfaction"]) == (1, 0.0)
    # B rated t3, a crisis turn: the safety message, no persona's reply (the rating, like
    # those sent before 2026-12-03, does not say so itself: the turn does)
    assert "riri" not in sat


def test_engagement_trend_compares_with_the_week_before(bq, dataset):
    weekly = {r["week_start"]: r for r in rows(bq, dataset, "weekly_active_users")}
    trend = {r["week_start"]: r for r in rows(bq, dataset, "engagement_trend")}
    this = trend[week_start(D0.date())]
    # D0's week is the newest: compared with the week before up to the same moment of the week
    assert this["days"] == (D0.date() - week_start(D0.date())).days + 1
    last_week = week_start(D0.date()) - timedelta(days=7)
    as_of = max(t["occurred_at"] for t in rows(bq, dataset, "turns"))
    until = as_of - timedelta(days=7)
    same_time = rows(bq, dataset, "turns", f"WHERE week_start = '{last_week}'")
    same_time = [t for t in same_time if t["occurred_at"] <= until]
    previous = {"turns": len(same_time)} if last_week in weekly else None
    assert this["turns"] == weekly[week_start(D0.date())]["turns"]
    assert this["prev_turns"] == (previous["turns"] if previous else None)
    # per user: the keyed users' turns only (that week has an anonymised user's turn too)
    turns = rows(bq, dataset, "turns", f"WHERE week_start = '{week_start(D0.date())}'")
    keyed = [t["user_key"] for t in turns if t["user_key"] is not None]
    assert len(keyed) < len(turns)
    assert this["turns_per_user"] == pytest.approx(len(keyed) / len(set(keyed)))
    if previous:
        expected = (this["turns"] - previous["turns"]) / previous["turns"]
        assert this["turns_change"] == pytest.approx(expected)


def test_multi_turn_adoption_and_alternative_personas(bq, dataset):
    day = f"WHERE day = '{D0.date()}'"
    (adoption,) = rows(bq, dataset, "multi_turn_adoption", day)
    assert (adoption["sessions"], adoption["multi_turn_sessions"]) == (3, 1)
    assert adoption["multi_turn_share"] == pytest.approx(1 / 3)
    assert adoption["turns_per_session"] == pytest.approx(4 / 3)
    alternative = {r["persona"]: r for r in rows(bq, dataset, "alternative_persona_use", day)}
    assert (
        alternative["riri"]["requested_turns"] == 1 and alternative["riri"]["requesting_users"] == 1
    )
    assert alternative["lua"]["requested_turns"] == 0


def test_crisis_counts_and_service_health(bq, dataset):
    (crisis,) = rows(bq, dataset, "crisis_counts")
    assert (crisis["day"], crisis["locale"], crisis["crises"], crisis["users"]) == (
        D0.date(),
        "en-US",
        1,
        1,
    )
    assert crisis["detected_by"] == "patterns"
    # `reply` is the kind of crisis reply shown, never its text (none recorded on this event)
    assert crisis["reply"] is None and crisis["stored_crises"] == 1
    assert not {"message", "text"} & set(crisis)
    hour = D0.strftime("%Y-%m-%d %H:00:00+00")
    (health,) = rows(bq, dataset, "service_health_hourly", f"WHERE hour = TIMESTAMP '{hour}'")
    assert health["turns"] == 4
    assert health["latency_p50_ms"] in (150.0, 200.0)
    assert health["latency_p95_ms"] == 300.0
    assert health["degraded_share"] == pytest.approx(0.25)
    assert health["model_fallback_rate"] == pytest.approx(0.25)
    assert (health["rate_limited"], health["errors"]) == (1, 1)


def test_crisis_counts_tell_someone_else_s_crisis_and_unstored_crises_apart(bq, own_dataset):
    # "my friend wants to kill herself" is answered as a crisis (the turn's crisis is TRUE),
    # with the reply for someone worried about another person: not the user's own crisis.
    # A crisis answered but not stored (storage down) is a crisis event of no stored turn.
    def crisis(key, session, at, turn_id, reply, stored=True) -> Event:
        data = {"turn_id": turn_id, "locale": "en-NZ", "analysis_source": "baseline",
                "detected_by": "patterns", "reply": reply, "stored": stored}  # fmt: skip
        return Event("safety.crisis_detected", at, key, session, data)

    events = [
        turn("u1", "s1", D0, turn_id="c1", persona="lua", intent="check_in", latency=1.0,
             crisis=True, source="care"),
        crisis("u1", "s1", D0, "c1", "someone_else"),
        turn("u2", "s2", D0, turn_id="c2", persona="lua", intent="check_in", latency=1.0,
             crisis=True, source="care"),
        crisis("u2", "s2", D0, "c2", "first"),
        crisis("u3", "s3", D0 + minutes(1), "c3", "first", stored=False),
    ]  # fmt: skip
    write(bq, own_dataset, events)
    counts = {r["reply"]: r for r in rows(bq, own_dataset, "crisis_counts")}
    assert set(counts) == {"someone_else", "first"}
    other = counts["someone_else"]
    assert (other["day"], other["locale"], other["crises"], other["users"]) == (
        D0.date(),
        "en-NZ",
        1,
        1,
    )
    assert other["stored_crises"] == 1
    own = counts["first"]
    assert (own["crises"], own["stored_crises"], own["users"]) == (2, 1, 2)


def test_segments_churn_risk_and_vips(bq, dataset):
    segments = {r["user_key"]: r["segment"] for r in rows(bq, dataset, "user_segments")}
    assert segments == {"user-a": "regular", "user-b": "new", "user-v": "regular"}
    churn = {r["user_key"]: r for r in rows(bq, dataset, "churn_risk")}
    a = churn["user-a"]
    assert a["active_days_28d"] == 2 and a["satisfaction_28d"] == pytest.approx(1 / 3)
    expected = 0.40 * a["recency_days"] / 14 + 0.25 * (1 - 2 / 12) + 0.15 * (1 - 1 / 3)
    assert a["risk"] == pytest.approx(expected)
    assert a["band"] == "low"
    assert churn["user-v"]["recency_days"] == pytest.approx(1.0, abs=0.02)
    vips = rows(bq, dataset, "vip_users")
    assert [r["user_key"] for r in vips] == ["user-v"]
    assert vips[0]["active_days_28d"] == 8 and vips[0]["favourite_persona"] == "nana"


def test_a_last_rating_stored_twice_still_stands(bq, own_dataset):
    """A turn's last rating redelivered later (after the insertId window, or replayed from the
    dead-letter topic) is two rows with the same event_id and time: the view must drop one copy
    before it picks the last rating, or the copy it keeps may be the one ranked second and the
    turn loses its rating. The tie is broken by the engine, so many turns make a wrong order
    show (the one-step version lost about 40 % of 200 turns on DuckDB)."""
    first, last = [], []
    for i in range(200):
        turn_id = f"r{i}"
        at = D0 + timedelta(seconds=i)
        first.append(
            feedback("user-r", "sr", at, turn_id=turn_id, persona="lua", rating="down", reward=0.0)
        )
        last.append(
            feedback(
                "user-r",
                "sr",
                at + minutes(5),
                turn_id=turn_id,
                persona="lua",
                rating="up",
                reward=1.0,
                previous=0.0,
            )
        )
    write(bq, own_dataset, first + last)
    write(bq, own_dataset, last)  # the redelivery: the same events, ingested later
    final = rows(bq, own_dataset, "feedback_final")
    assert len(final) == 200
    assert {r["turn_id"] for r in final} == {f"r{i}" for i in range(200)}
    assert {r["rating"] for r in final} == {"up"}
    assert {r["event_id"] for r in final} == {e.event_id for e in last}


def test_persona_satisfaction_leaves_out_crisis_ratings_and_three_stars_are_not_positive(
    bq, own_dataset
):
    events = [
        feedback("u1", "s1", D0, turn_id="c1", persona="elro", rating=4, reward=0.75),
        feedback("u1", "s1", D0 + minutes(1), turn_id="c2", persona="elro", rating=3, reward=0.5),
        feedback("u2", "s2", D0, turn_id="c3", persona="lua", rating="up", reward=1.0),
        # The crisis safety message, shown under the care persona, rated down: no persona
        # wrote it, so it says nothing about lua.
        feedback(
            "u2",
            "s2",
            D0 + minutes(2),
            turn_id="c4",
            persona="lua",
            rating="down",
            reward=0.0,
            crisis=True,
        ),
    ]
    write(bq, own_dataset, events)
    sat = {r["persona"]: r for r in rows(bq, own_dataset, "satisfaction_by_persona")}
    assert (sat["lua"]["ratings"], sat["lua"]["avg_satisfaction"]) == (1, 1.0)
    assert sat["lua"]["positive_share"] == 1.0
    assert sat["elro"]["ratings"] == 2
    assert sat["elro"]["avg_satisfaction"] == pytest.approx(0.625)
    assert sat["elro"]["positive_share"] == pytest.approx(0.5)  # 4 stars yes, 3 stars no
    # The rating itself stands (it is a rating of the turn): only the persona views skip it.
    (crisis,) = rows(bq, own_dataset, "feedback_final", "WHERE turn_id = 'c4'")
    assert crisis["crisis"] is True


def test_ratings_of_turns_in_care_count_for_no_persona(bq, own_dataset):
    # After a crisis signal Lua answers the next turns whatever fits the user (persona_source
    # 'care'): a thumbs-down there says how the user felt after the crisis, not how Lua suits
    # them, and the profile updater learns nothing about Lua from it either.
    events = [
        turn("u1", "s1", D0, turn_id="k1", persona="lua", intent="learning", latency=1.0),
        feedback("u1", "s1", D0 + minutes(1), turn_id="k1", persona="lua", rating="up",
                 reward=1.0, persona_source="ensemble"),
        turn("u2", "s2", D0, turn_id="k2", persona="lua", intent="learning", latency=1.0,
             source="care"),
        feedback("u2", "s2", D0 + minutes(1), turn_id="k2", persona="lua", rating="down",
                 reward=0.0, persona_source="care"),
    ]  # fmt: skip
    write(bq, own_dataset, events)
    sat = {r["persona"]: r for r in rows(bq, own_dataset, "satisfaction_by_persona")}
    assert (sat["lua"]["ratings"], sat["lua"]["avg_satisfaction"]) == (1, 1.0)
    # The rating itself stands, and says it was given in care.
    (care,) = rows(bq, own_dataset, "feedback_final", "WHERE turn_id = 'k2'")
    assert care["persona_source"] == "care"
    refresh_daily(bq, project=PROJECT, dataset=own_dataset)
    (mix,) = rows(bq, own_dataset, "daily_persona_intent", f"WHERE day = '{D0.date()}'")
    # the care turn is one of Lua's turns, its rating none of Lua's ratings
    assert (mix["turns"], mix["ratings"], mix["satisfaction_sum"]) == (2, 1, 1.0)


def test_ratings_sent_before_feedback_carried_crisis_or_care_are_judged_by_their_turn(
    bq, own_dataset
):
    # Feedback events carry `crisis` since 5ad1956 (2026-12-03) and `persona_source` since
    # 2d839ee (2026-12-06); turn events always carried both. Ratings sent before, down on the
    # crisis message and on a turn in care, say nothing about Lua (nor about the A/B variant,
    # for the crisis message); another user's rating up does.
    def old_rating(key, session, at, turn_id, rating, reward) -> Event:
        data = {"turn_id": turn_id, "turn_index": 0, "persona": "lua", "rating": rating,
                "reward": reward, "previous_reward": None, "tone": "calm", "intent": "learning",
                "experiment": "exp-old", "variant": "a"}  # fmt: skip
        return Event("feedback.submitted", at, key, session, data)

    ab = {"experiment": "exp-old", "variant": "a", "control_variant": "a"}
    events = [
        turn("u1", "s1", D0, turn_id="k1", persona="lua", intent="learning", latency=1.0,
             crisis=True, **ab),
        old_rating("u1", "s1", D0 + minutes(1), "k1", "down", 0.0),
        turn("u1", "s1", D0 + minutes(2), turn_id="k2", index=1, persona="lua",
             intent="learning", latency=1.0, source="care", **ab),
        old_rating("u1", "s1", D0 + minutes(3), "k2", "down", 0.0),
        turn("u2", "s2", D0, turn_id="k3", persona="lua", intent="learning", latency=1.0, **ab),
        old_rating("u2", "s2", D0 + minutes(1), "k3", "up", 1.0),
    ]  # fmt: skip
    write(bq, own_dataset, events)
    final = {r["turn_id"]: r for r in rows(bq, own_dataset, "feedback_final")}
    assert {(r["crisis"], r["persona_source"]) for r in final.values()} == {(None, None)}
    sat = {r["persona"]: r for r in rows(bq, own_dataset, "satisfaction_by_persona")}
    assert (sat["lua"]["ratings"], sat["lua"]["avg_satisfaction"]) == (1, 1.0)
    refresh_daily(bq, project=PROJECT, dataset=own_dataset)
    (mix,) = rows(bq, own_dataset, "daily_persona_intent")
    assert (mix["turns"], mix["ratings"], mix["satisfaction_sum"]) == (3, 1, 1.0)
    (variant,) = rows(bq, own_dataset, "ab_results")
    # the care turn's rating counts for the variant (intention to treat), the crisis one's not
    assert (variant["ratings"], variant["positive_ratings"]) == (2, 1)


def clustered(units: list[tuple[int, int]]) -> tuple[float, float]:
    """Satisfaction sum(y) / sum(m) over users (y positive of m rated turns) and its variance by
    the delta method with users as the unit: the method ab_results.sql documents."""
    k, y, m = len(units), sum(u[0] for u in units), sum(u[1] for u in units)
    p = y / m
    return p, k / (k - 1) * sum((yi - p * mi) ** 2 for yi, mi in units) / m**2


def ab_rated(
    events: list[Event],
    experiment: str,
    key,
    variant: str,
    ratings: list,
    *,
    crisis=False,
    share: float | None = None,
) -> None:
    """Turns of `experiment` (control "a") in `variant`, one per rating, each rated so by `key`;
    the turns name the variant's configured `share` if given (None: as turns sent before)."""
    for rating in ratings:
        turn_id = uuid.uuid4().hex
        at = D0 + timedelta(seconds=len(events))
        fields = {"experiment": experiment, "variant": variant}
        data = {"turn_id": turn_id, "persona": "lua", "crisis": crisis, "control_variant": "a"}
        if share is not None:
            data["variant_share"] = share
        events.append(Event("chat.turn.completed", at, key, f"s-{key}", data | fields))
        events.append(
            feedback(
                key,
                f"s-{key}",
                at + minutes(1),
                turn_id=turn_id,
                persona="lua",
                rating=rating,
                reward=explicit_reward(rating),
                crisis=crisis,
                **fields,
            )
        )


def test_ab_results_interval_treats_users_as_the_unit(bq, own_dataset):
    events: list[Event] = []

    def rated(key, variant: str, ratings: list, *, crisis: bool = False) -> None:
        ab_rated(events, "exp-clustered", key, variant, ratings, crisis=crisis)

    # Enough raters in each variant for an interval (AB_MIN_RATERS): each pattern of users
    # below is repeated, under keys of their own.
    control_copies, treated_copies = math.ceil(AB_MIN_RATERS / 3), math.ceil(AB_MIN_RATERS / 2)
    for i in range(control_copies):
        # control "a": one user rates three turns up; 3 stars (0.5) are not positive
        rated(f"c1-{i}", "a", ["up", "up", "up"])
        rated(f"c2-{i}", "a", ["down"])
        rated(f"c3-{i}", "a", ["up", 3])
    for i in range(treated_copies):
        # treatment "b": a heavy rater, a light one, and a crisis message's rating, which counts
        # for no variant
        rated(f"t1-{i}", "b", ["up", "up", "up", "up"])
        rated(f"t2-{i}", "b", ["down"])
        rated(f"t2-{i}", "b", ["up"], crisis=True)
    # an anonymous user's rows that name a variant (written before anonymised users were left
    # out of experiments): no key to group their ratings by, so in no column
    rated(None, "b", ["up", 5])
    write(bq, own_dataset, events, copies=(1, 5, 9))
    got = {r["variant"]: r for r in rows(bq, own_dataset, "ab_results")}
    control, treated = got["a"], got["b"]
    n_c, n_t = control_copies, treated_copies
    assert (control["users"], control["ratings"], control["positive_ratings"]) == (
        3 * n_c,
        6 * n_c,
        4 * n_c,
    )
    assert (treated["users"], treated["ratings"], treated["positive_ratings"]) == (
        2 * n_t,
        5 * n_t,
        4 * n_t,
    )
    assert (control["raters"], treated["raters"]) == (3 * n_c, 2 * n_t)
    # "b"'s turns are its keyed users' (the crisis message's turn is a turn), not 2 more
    assert (control["turns"], treated["turns"]) == (6 * n_c, 6 * n_t)
    p_c, var_c = clustered([(3, 3), (0, 1), (1, 2)] * n_c)
    p_t, var_t = clustered([(4, 4), (0, 1)] * n_t)
    assert control["is_control"] and control["difference"] is None
    # turns that name no share (sent before they carried one): the split cannot be checked
    assert (control["srm_suspect"], treated["srm_suspect"]) == (None, None)
    assert control["satisfaction"] == pytest.approx(p_c)
    assert treated["satisfaction"] == pytest.approx(p_t)
    assert control["enough_data"] and treated["enough_data"]
    half = 1.96 * math.sqrt(var_c + var_t)
    # wider than treating the ratings as independent (the heavy raters' are correlated)
    assert half > 1.96 * math.sqrt(p_c * (1 - p_c) / (6 * n_c) + p_t * (1 - p_t) / (5 * n_t))
    assert treated["difference"] == pytest.approx(p_t - p_c)
    assert treated["difference_low"] == pytest.approx(p_t - p_c - half)
    assert treated["difference_high"] == pytest.approx(p_t - p_c + half)


def test_ab_results_give_no_interval_until_each_variant_has_enough_raters(bq, own_dataset):
    events: list[Event] = []
    # 2 users who rated up against 3 who rated down: each variant's variance is 0, and the
    # interval was [-1.0, -1.0]
    for key in ("c1", "c2"):
        ab_rated(events, "exp-few", key, "a", ["up"])
    for key in ("t1", "t2", "t3"):
        ab_rated(events, "exp-few", key, "b", ["down"])
    # enough raters, but the control's ratings are all up: its variance is 0 too
    for i in range(AB_MIN_RATERS):
        ab_rated(events, "exp-one-sided", f"c-{i}", "a", ["up"])
        ab_rated(events, "exp-one-sided", f"t-{i}", "b", ["up" if i % 2 else "down"])
    write(bq, own_dataset, events)
    got = {(r["experiment"], r["variant"]): r for r in rows(bq, own_dataset, "ab_results")}
    few = got[("exp-few", "b")]
    assert (few["raters"], few["difference"]) == (3, pytest.approx(-1.0))
    one_sided = got[("exp-one-sided", "b")]
    assert one_sided["raters"] == AB_MIN_RATERS
    assert one_sided["difference"] == pytest.approx(-0.5)
    for row in (few, one_sided):
        assert row["enough_data"] is False
        assert (row["difference_low"], row["difference_high"]) == (None, None)


def test_ab_results_widen_each_interval_for_the_comparisons_with_the_control(bq, own_dataset):
    # Control "a" and two treatments: two comparisons, each at 1 - 0.05 / 4 (Bonferroni), so
    # that both together miss at most 5 % of the time.
    events: list[Event] = []
    units = {"a": [], "b": [], "c": []}  # per user (positive, rated)
    for i in range(AB_MIN_RATERS):
        for variant, ups in (("a", (0, 1)), ("b", (1, 1, 0)), ("c", (1, 0, 0))):
            ratings = ["up" if ups[(i + j) % len(ups)] else "down" for j in range(1 + i % 2)]
            ab_rated(events, "exp-three", f"{variant}-{i}", variant, ratings)
            units[variant].append((ratings.count("up"), len(ratings)))
    write(bq, own_dataset, events)
    got = {r["variant"]: r for r in rows(bq, own_dataset, "ab_results")}
    z = NormalDist().inv_cdf(1 - 0.05 / (2 * 2))
    p_a, var_a = clustered(units["a"])
    for variant in ("b", "c"):
        p, var = clustered(units[variant])
        half = z * math.sqrt(var + var_a)
        row = got[variant]
        assert row["enough_data"] and row["difference"] == pytest.approx(p - p_a)
        assert row["difference_low"] == pytest.approx(p - p_a - half, rel=1e-3)
        assert row["difference_high"] == pytest.approx(p - p_a + half, rel=1e-3)


def test_ab_results_count_the_users_seen_in_more_than_one_variant(bq, own_dataset):
    # The shares' ratio changed under the same id: u1 moved from "a" to "b" and counts in both.
    def seen(key: str, variant: str, at: datetime) -> Event:
        return turn(key, f"s-{key}", at, turn_id=uuid.uuid4().hex, persona="lua",
                    intent="learning", latency=1.0, experiment="exp-mixed", variant=variant,
                    control_variant="a")  # fmt: skip

    events = [seen("u1", "a", D0), seen("u1", "b", D0 + minutes(1)), seen("u2", "a", D0)]
    events += [seen("u3", "b", D0), seen("u3", "b", D0 + minutes(1)), seen(None, "a", D0)]
    write(bq, own_dataset, events, copies=(1,))
    got = {r["variant"]: r for r in rows(bq, own_dataset, "ab_results")}
    assert (got["a"]["users"], got["a"]["users_in_other_variants"]) == (2, 1)
    assert (got["b"]["users"], got["b"]["users_in_other_variants"]) == (2, 1)


def split_rows(bq, dataset: str, splits: dict[str, dict[str, tuple[int, float]]]) -> dict:
    """ab_results by (experiment, variant) after `splits[experiment][variant]` = (users, share):
    the first AB_MIN_RATERS users of each variant rate their turn (half up, half down: enough
    for an interval), the others take a turn only; every turn names the variant's share."""
    events: list[Event] = []
    for experiment, variants in splits.items():
        for variant, (users, share) in variants.items():
            for i in range(users):
                key = f"{experiment}-{variant}-{i}"
                if i < AB_MIN_RATERS:
                    rating = "up" if i % 2 else "down"
                    ab_rated(events, experiment, key, variant, [rating], share=share)
                else:
                    data = {"turn_id": uuid.uuid4().hex, "persona": "lua", "crisis": False,
                            "control_variant": "a", "variant_share": share,
                            "experiment": experiment, "variant": variant}  # fmt: skip
                    at = D0 + timedelta(seconds=len(events))
                    events.append(Event("chat.turn.completed", at, key, f"s-{key}", data))
    for i in range(0, len(events), 1000):  # in batches of the size the sink writes at most
        write(bq, dataset, events[i : i + 1000], copies=(0, 1, 2))
    got = {(r["experiment"], r["variant"]): r for r in rows(bq, dataset, "ab_results")}
    assert {k: r["users"] for k, r in got.items()} == {
        (e, v): n for e, variants in splits.items() for v, (n, _) in variants.items()
    }
    return got


def assert_split(got: dict, experiment: str, variants: str, suspect: bool) -> None:
    """Every variant of `experiment` (control "a") flagged `suspect`, with the same ratings: an
    interval against the control for each other variant, unless the split is suspect."""
    for variant in variants:
        row = got[(experiment, variant)]
        assert row["srm_suspect"] is suspect, (experiment, variant)
        assert row["raters"] == AB_MIN_RATERS
    for variant in variants[1:]:
        treated = got[(experiment, variant)]
        assert treated["difference"] == pytest.approx(0.0)
        assert treated["enough_data"] is not suspect
        assert (treated["difference_low"] is None) is suspect


def test_ab_results_flag_a_split_of_users_far_from_the_configured_shares(bq, own_dataset):
    # Three 50/50 experiments (turn events carry variant_share 0.5). Users per variant against
    # N / 2 each: chi-square with 1 degree of freedom, critical 10.83 at p = 0.001. 1,000 vs
    # 1,000 gives 0; 1,000 vs 1,150 gives 2 * 75^2 / 1,075 = 10.47 (p 0.0012: not flagged);
    # 1,000 vs 1,160 gives 2 * 80^2 / 1,080 = 11.85 (p 0.0006: flagged).
    splits = {"exp-even": (1000, 1000), "exp-1150": (1000, 1150), "exp-1160": (1000, 1160)}
    got = split_rows(
        bq, own_dataset, {e: {"a": (a, 0.5), "b": (b, 0.5)} for e, (a, b) in splits.items()}
    )
    for experiment, suspect in (("exp-even", False), ("exp-1150", False), ("exp-1160", True)):
        assert_split(got, experiment, "ab", suspect)


def test_ab_results_judge_the_split_by_each_variants_share_and_the_number_of_variants(
    bq, own_dataset
):
    # 90/10 with 900 and 100 users is the split configured: chi-square 0 (against an even
    # split it would be 2 * 400^2 / 500 = 640). Three variants at 1/3 each, x, x and x + d
    # users: chi-square 2 d^2 / (3 x + d) with 2 degrees of freedom, critical 13.82 at
    # p = 0.001. 300, 300, 375 gives 11.54: past 1 degree's 10.83, not flagged; 300, 300, 385
    # gives 14.67: flagged.
    third = 1 / 3
    got = split_rows(
        bq,
        own_dataset,
        {
            "exp-90-10": {"a": (900, 0.9), "b": (100, 0.1)},
            "exp-thirds-375": {"a": (300, third), "b": (300, third), "c": (375, third)},
            "exp-thirds-385": {"a": (300, third), "b": (300, third), "c": (385, third)},
        },
    )
    assert_split(got, "exp-90-10", "ab", False)
    assert_split(got, "exp-thirds-375", "abc", False)
    assert_split(got, "exp-thirds-385", "abc", True)


def test_the_daily_materialisation_matches_the_views_and_is_idempotent(bq, dataset):
    refresh_daily(bq, project=PROJECT, dataset=dataset)
    first = {r["day"]: r for r in rows(bq, dataset, "daily_activity")}
    refresh_daily(bq, project=PROJECT, dataset=dataset)
    second = {r["day"]: r for r in rows(bq, dataset, "daily_activity")}
    assert set(first) == set(second)
    strip = lambda r: {k: v for k, v in r.items() if k != "refreshed_at"}  # noqa: E731
    assert {d: strip(r) for d, r in first.items()} == {d: strip(r) for d, r in second.items()}
    d0 = second[D0.date()]
    assert (d0["active_users"], d0["turns"], d0["sessions"], d0["ratings"]) == (2, 4, 3, 2)
    assert d0["avg_satisfaction"] == pytest.approx(0.5)
    assert (d0["crises"], d0["degraded_turns"], d0["model_fallbacks"]) == (1, 1, 1)
    mix = rows(bq, dataset, "daily_persona_intent", f"WHERE day = '{D0.date()}'")
    by = {(r["persona"], r["intent"]): r for r in mix}
    assert by[("lua", "learning")]["turns"] == 2 and by[("lua", "learning")]["ratings"] == 1
    assert by[("riri", "planning")]["requested_turns"] == 1


def test_the_daily_materialisation_recomputes_the_days_a_late_or_changed_rating_leaves(
    bq, own_dataset
):
    # Three days ago: turns t1 (Lua) and t2 (Riri), t1 rated up; all ingested then, so no
    # event of that day is recent. Yesterday t1's rating changed to down and t2 was rated up.
    day = D0 - timedelta(days=2)
    old = [
        turn("u", "s", day, turn_id="t1", persona="lua", intent="learning", latency=1.0),
        feedback("u", "s", day + minutes(5), turn_id="t1", persona="lua", rating="up",
                 reward=1.0),
        turn("u", "s", day + timedelta(hours=12), turn_id="t2", index=1, persona="riri",
             intent="planning", latency=1.0),
    ]  # fmt: skip
    write(bq, own_dataset, old, ingested=datetime.now(UTC) - timedelta(days=3))
    rated = [
        feedback("u", "s", D0, turn_id="t1", persona="lua", rating="down", reward=0.0,
                 previous=1.0),
        feedback("u", "s", D0, turn_id="t2", persona="riri", rating="up", reward=1.0),
    ]  # fmt: skip
    write(bq, own_dataset, rated)
    refresh_daily(bq, project=PROJECT, dataset=own_dataset)
    activity = {r["day"]: r for r in rows(bq, own_dataset, "daily_activity")}
    # t1's standing rating is yesterday's: none is left on the turns' day
    assert (activity[day.date()]["turns"], activity[day.date()]["ratings"]) == (2, 0)
    assert (activity[D0.date()]["turns"], activity[D0.date()]["ratings"]) == (0, 2)
    assert activity[D0.date()]["avg_satisfaction"] == pytest.approx(0.5)
    mix = rows(bq, own_dataset, "daily_persona_intent", f"WHERE day = '{day.date()}'")
    by = {r["persona"]: (r["ratings"], r["satisfaction_sum"]) for r in mix}
    assert by == {"lua": (1, 0.0), "riri": (1, 1.0)}  # on the turns' day, as they stand


def test_a_missed_daily_run_is_caught_up_by_the_next(bq, own_dataset):
    # The run after t1 was ingested wrote day X; t2 came in after it and the next daily run
    # failed. The run after that must still count t2 (a window of the last 26 hours did not).
    day, now = D0 - timedelta(days=2), datetime.now(UTC)
    t1 = turn("u", "s", day, turn_id="t1", persona="lua", intent="learning", latency=1.0)
    write(bq, own_dataset, [t1], ingested=now - timedelta(days=3))
    refresh_daily(bq, project=PROJECT, dataset=own_dataset)
    for table in ("daily_activity", "daily_persona_intent"):  # as if run back then
        bq.query(
            f"UPDATE `{PROJECT}.{own_dataset}.{table}` "  # noqa: S608
            "SET refreshed_at = TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 70 HOUR) "
            "WHERE TRUE"
        ).result()
    t2 = turn("v", "s2", day + timedelta(hours=3), turn_id="t2", persona="lua",
              intent="learning", latency=1.0)  # fmt: skip
    write(bq, own_dataset, [t2], ingested=now - timedelta(days=2))
    refresh_daily(bq, project=PROJECT, dataset=own_dataset)
    activity = {r["day"]: r for r in rows(bq, own_dataset, "daily_activity")}
    assert (activity[day.date()]["turns"], activity[day.date()]["active_users"]) == (2, 2)
    mix = rows(bq, own_dataset, "daily_persona_intent", f"WHERE day = '{day.date()}'")
    assert [(r["persona"], r["turns"]) for r in mix] == [("lua", 2)]


def test_a_late_event_counts_on_its_day_in_the_last_30_days_only(bq, own_dataset):
    # Turns of 29 and 30 days ago come in today (a dead letter's replay, say): the first is of
    # the last 30 days, which a run reads and recomputes; the second's day is past the shortest
    # retention, which no run reads or recomputes.
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    edge, past = today - timedelta(days=29), today - timedelta(days=30)
    late = [
        turn("u", f"s{n}", at + timedelta(hours=1), turn_id=f"t{n}", persona="lua",
             intent="learning", latency=1.0)
        for n, at in enumerate((edge, past))
    ]  # fmt: skip
    write(bq, own_dataset, late)
    refresh_daily(bq, project=PROJECT, dataset=own_dataset)
    activity = {r["day"]: r["turns"] for r in rows(bq, own_dataset, "daily_activity")}
    assert activity == {edge.date(): 1}
    mix = rows(bq, own_dataset, "daily_persona_intent")
    assert [(r["day"], r["turns"]) for r in mix] == [(edge.date(), 1)]


def computed_back_then(bq, dataset: str, table: str, **row) -> None:
    """A daily table's row as a run back then wrote it, by this version of its file: a run today
    computes no day before the last 30 (the cleanup has thinned them), so a test of an older
    day's figures writes them."""
    path = daily_files()[table]
    row = {**row, "refreshed_at": datetime.now(UTC), "definition": definition(path.read_text())}
    values = [
        f"DATE '{v}'" if isinstance(v, date) and not isinstance(v, datetime)
        else f"TIMESTAMP '{v.isoformat()}'" if isinstance(v, datetime)
        else f"'{v}'" if isinstance(v, str) else str(v)
        for v in row.values()
    ]  # fmt: skip
    bq.query(
        f"INSERT INTO `{PROJECT}.{dataset}.{table}` ({', '.join(row)}) "  # noqa: S608
        f"VALUES ({', '.join(values)})"
    ).result()


def test_a_changed_rating_does_not_recompute_a_day_retention_has_thinned(bq, own_dataset):
    # Forty days ago: u30 and u365 each took a turn; the daily run counted both. Then the
    # cleanup deleted u30's events (30-day retention). Today u365 changes their rating of that
    # day's turn: recomputing the day from what is left would count one turn (the time review).
    day = D0 - timedelta(days=39)
    old = [
        turn("u30", "s1", day, turn_id="t1", persona="lua", intent="learning", latency=1.0),
        turn("u365", "s2", day, turn_id="t2", persona="lua", intent="learning", latency=1.0),
        feedback("u365", "s2", day + minutes(5), turn_id="t2", persona="lua", rating="up",
                 reward=1.0),
    ]  # fmt: skip
    write(bq, own_dataset, old, ingested=day + minutes(10))
    refresh_daily(bq, project=PROJECT, dataset=own_dataset)
    # a run today does not compute the day (nor read it: tests/unit/test_metric_pruning.py)
    assert rows(bq, own_dataset, "daily_activity", f"WHERE day = '{day.date()}'") == []
    computed_back_then(bq, own_dataset, "daily_activity", day=day.date(), active_users=2,
                       turns=2, sessions=2, ratings=1, avg_satisfaction=1.0)  # fmt: skip
    computed_back_then(bq, own_dataset, "daily_persona_intent", day=day.date(), persona="lua",
                       intent="learning", turns=2, users=2, requested_turns=0, ratings=1,
                       satisfaction_sum=1.0)  # fmt: skip
    table = f"`{PROJECT}.{own_dataset}.events`"
    bq.query(f"DELETE FROM {table} WHERE user_key = 'u30'").result()  # noqa: S608
    changed = feedback("u365", "s2", D0, turn_id="t2", persona="lua", rating="down",
                       reward=0.0, previous=1.0)  # fmt: skip
    write(bq, own_dataset, [changed])
    refresh_daily(bq, project=PROJECT, dataset=own_dataset)
    activity = {r["day"]: r for r in rows(bq, own_dataset, "daily_activity")}
    assert (activity[day.date()]["turns"], activity[day.date()]["active_users"]) == (2, 2)
    assert activity[D0.date()]["ratings"] == 1  # the rating that stands, on its day
    mix = rows(bq, own_dataset, "daily_persona_intent", f"WHERE day = '{day.date()}'")
    assert [(r["persona"], r["turns"], r["users"]) for r in mix] == [("lua", 2, 2)]


def test_a_changed_daily_file_recomputes_the_days_retention_has_not_thinned(bq, own_dataset):
    # On each of two days a care turn rated down and another turn rated up, long ingested. The
    # daily tables hold what an earlier version of their files computed there (no `definition`
    # column yet; daily_persona_intent counted the care rating against Lua before e8118e1). The
    # first run of the new files recomputes the day 5 days ago; the day 40 days ago keeps its
    # figures (the cleanup has thinned its events, as in the test above).
    recent, old = D0 - timedelta(days=4), D0 - timedelta(days=39)
    events = []
    for day in (recent, old):
        n = day.strftime("%m%d")
        events += [
            turn("u1", f"c{n}", day, turn_id=f"c{n}", persona="lua", intent="learning",
                 latency=1.0, source="care"),
            feedback("u1", f"c{n}", day + minutes(1), turn_id=f"c{n}", persona="lua",
                     rating="down", reward=0.0, persona_source="care"),
            turn("u2", f"e{n}", day, turn_id=f"e{n}", persona="lua", intent="learning",
                 latency=1.0),
            feedback("u2", f"e{n}", day + minutes(1), turn_id=f"e{n}", persona="lua",
                     rating="up", reward=1.0, persona_source="ensemble"),
        ]  # fmt: skip
    write(bq, own_dataset, events, ingested=datetime.now(UTC) - timedelta(days=3))
    refresh_daily(bq, project=PROJECT, dataset=own_dataset)
    computed_back_then(bq, own_dataset, "daily_activity", day=old.date(), active_users=2,
                       turns=2, sessions=2)  # fmt: skip
    computed_back_then(bq, own_dataset, "daily_persona_intent", day=old.date(), persona="lua",
                       intent="learning", turns=2, users=2, requested_turns=0)  # fmt: skip
    table = f"`{PROJECT}.{own_dataset}"
    for name, earlier in [
        ("daily_persona_intent", "ratings = 2, satisfaction_sum = 1.0"),
        ("daily_activity", "ratings = 7, avg_satisfaction = 0.9"),
    ]:
        bq.query(f"ALTER TABLE {table}.{name}` DROP COLUMN IF EXISTS definition").result()
        bq.query(f"UPDATE {table}.{name}` SET {earlier} WHERE TRUE").result()  # noqa: S608
    refresh_daily(bq, project=PROJECT, dataset=own_dataset)
    mix = {r["day"]: r for r in rows(bq, own_dataset, "daily_persona_intent")}
    assert (mix[recent.date()]["ratings"], mix[recent.date()]["satisfaction_sum"]) == (1, 1.0)
    assert (mix[old.date()]["ratings"], mix[old.date()]["satisfaction_sum"]) == (2, 1.0)
    activity = {
        r["day"]: (r["ratings"], r["avg_satisfaction"])
        for r in rows(bq, own_dataset, "daily_activity")
    }
    assert (activity[recent.date()], activity[old.date()]) == ((2, 0.5), (7, 0.9))
    # Stamped with this version, the day is not recomputed again by the next run.
    where = f"WHERE day = '{recent.date()}'"
    stamped = {name: rows(bq, own_dataset, name, where) for name in daily_files()}
    refresh_daily(bq, project=PROJECT, dataset=own_dataset)
    for name, path in daily_files().items():
        (before,) = stamped[name]
        assert before["definition"] == definition(path.read_text()), name
        (after,) = rows(bq, own_dataset, name, where)
        assert after["refreshed_at"] == before["refreshed_at"], name


def test_the_dashboard_reads_satisfaction_by_persona_and_intent_from_the_daily_table(
    bq, own_dataset
):
    # Lua on learning: rated up the day before yesterday, down three times yesterday: 1 of 4
    # (not the mean of the two days' means, 0.5). A turn in care is one of Lua's turns, its
    # rating none of Lua's ratings. Riri's turn has no rating: no mean, not 0.
    day = D0 - timedelta(days=1)
    events = []
    for i, (at, rating, reward) in enumerate(
        [(day, "up", 1.0), (D0, "down", 0.0), (D0, "down", 0.0), (D0, "down", 0.0)]
    ):
        events += [
            turn(f"u{i}", f"s{i}", at, turn_id=f"l{i}", persona="lua", intent="learning",
                 latency=1.0),
            feedback(f"u{i}", f"s{i}", at + minutes(1), turn_id=f"l{i}", persona="lua",
                     rating=rating, reward=reward),
        ]  # fmt: skip
    events += [
        turn("c", "sc", D0, turn_id="k1", persona="lua", intent="learning", latency=1.0,
             source="care"),
        feedback("c", "sc", D0 + minutes(1), turn_id="k1", persona="lua", rating="down",
                 reward=0.0, persona_source="care"),
        turn("r", "sr", D0, turn_id="r1", persona="riri", intent="planning", latency=1.0),
    ]  # fmt: skip
    write(bq, own_dataset, events)
    refresh_daily(bq, project=PROJECT, dataset=own_dataset)
    out = read_metric(
        name="satisfaction_by_persona_intent",
        period=Period(day.date(), D0.date()),
        today=D0.date() + timedelta(days=1),
        reader=BigQueryMetricReader(bq),
        project=PROJECT,
        dataset=own_dataset,
    )
    got = [(r["intent"], r["persona"], r["turns"], r["ratings"]) for r in out["rows"]]
    assert got == [("learning", "lua", 5, 4), ("planning", "riri", 1, 0)]
    assert out["rows"][0]["avg_satisfaction"] == pytest.approx(0.25)
    assert out["rows"][1]["avg_satisfaction"] is None


def test_churn_risk_ranks_who_leaves_on_held_out_history(bq):
    """Scores as of a cut-off two weeks before the end of a synthetic history, compared with
    who took a turn in those two weeks (the generator's users fade before they leave, more
    often after poor ratings; the score does not know how they were generated)."""
    from common.analytics.churn_eval import evaluate
    from scripts.synthetic_history import Writer, history

    end = datetime.now(UTC)
    cutoff = end - timedelta(days=14)
    events = list(history(weeks=10, users=250, seed=11, end=end, key="test-key"))
    dataset = f"test_{uuid.uuid4().hex[:10]}"
    try:
        Writer("load", project=PROJECT, dataset=dataset).write(
            [e for e in events if e.occurred_at <= cutoff]
        )
        after = {
            e.user_key
            for e in events
            if e.occurred_at > cutoff and e.type == "chat.turn.completed" and e.user_key
        }
        scored = rows(bq, dataset, "churn_risk")
        result = evaluate(scored, after)
    finally:
        bq.delete_dataset(f"{PROJECT}.{dataset}", delete_contents=True, not_found_ok=True)
    assert result.users > 150 and 0.1 < result.base_rate < 0.9
    assert result.auc >= 0.75
    assert result.recent_auc >= 0.65
    rates = result.churn_rate_by_band
    assert rates["high"] > rates["medium"] > rates["low"]


def test_a_power_user_gone_for_two_weeks_is_lapsing_not_power(bq, own_dataset):
    # Both active on 12 of the last 28 days; one of them not since 16 days ago (as_of is the
    # newest event: the other user's turn on D0).

    def days(key: str, ages: range) -> list[Event]:
        return [
            turn(
                key,
                f"s-{key}-{age}",
                D0 - timedelta(days=age),
                turn_id=uuid.uuid4().hex,
                persona="elro",
                intent="learning",
                latency=40.0,
            )
            for age in ages
        ]

    write(bq, own_dataset, days("stays", range(0, 24, 2)) + days("gone", range(16, 28)))
    got = {r["user_key"]: r for r in rows(bq, own_dataset, "user_segments")}
    assert got["stays"]["active_days_28d"] == got["gone"]["active_days_28d"] == 12
    assert (got["stays"]["segment"], got["gone"]["segment"]) == ("power", "lapsing")


# --- The dashboard's table functions: the view's rows for a range, reading only its days ------

# The history below runs from the Monday six weeks ago to the Sunday a week ago.
START = (datetime.now(UTC) - timedelta(days=42)).replace(hour=0, minute=0, second=0, microsecond=0)
START -= timedelta(days=START.weekday())
LAST = START + timedelta(days=34)  # a Sunday


def ranged_history() -> tuple[list[Event], list[int]]:
    """Five weeks of turns (sessions crossing midnight, a turn on each side of midnights),
    ratings (some changed up to a week later), crises, rate-limit spells and failures; and the
    indexes of the events delivered twice."""
    rng = random.Random(7)
    events: list[Event] = []

    def take(key, session, at, index) -> tuple[str, str, str]:
        turn_id = uuid.uuid4().hex
        persona = rng.choice(PERSONA_IDS)
        source = rng.choice(["ensemble", "ensemble", "requested", "care"])
        crisis = rng.random() < 0.05
        events.append(
            turn(key, session, at, turn_id=turn_id, index=index, persona=persona,
                 intent=rng.choice(INTENTS), latency=round(rng.uniform(50, 900), 1), source=source,
                 degraded=rng.choice([[], [], [], ["persona_model"], ["reply_generator"]]),
                 crisis=crisis)
        )  # fmt: skip
        if crisis:
            data = {"turn_id": turn_id, "locale": rng.choice(["en-US", "ko-KR"]),
                    "analysis_source": "model", "detected_by": "patterns"}  # fmt: skip
            events.append(Event("safety.crisis_detected", at, key, session, data))
        rated = at
        for _ in range(rng.choice([0, 0, 1, 1, 2])):  # a second rating changes the first
            rated += timedelta(minutes=rng.choice([1, 90, 60 * 20, 60 * 24 * 3]))
            rating = rng.choice(["up", "down", 1, 3, 4, 5])
            events.append(
                feedback(key, session, rated, turn_id=turn_id, persona=persona, rating=rating,
                         reward=explicit_reward(rating), crisis=crisis, persona_source=source)
            )  # fmt: skip
        return turn_id, persona, source

    day = START
    while day <= LAST:
        for key in ["u1", "u2", "u3", "u4", None]:  # None: a user who anonymises analytics
            if rng.random() < 0.3:
                continue
            session, at = uuid.uuid4().hex, day + timedelta(hours=rng.uniform(0, 23.9))
            for index in range(rng.choice([1, 1, 2, 4])):
                take(key, session, at, index)
                at += timedelta(minutes=rng.uniform(1, 500))  # on past midnight at times
        # A session across midnight: its turns just outside a range that starts or ends here.
        # Not into the last week: the week before it then ends hours before its Sunday does,
        # which shows if it is taken for the week in progress.
        if day != LAST - timedelta(days=6):
            edge = uuid.uuid4().hex
            take("u5", edge, day - timedelta(microseconds=1), 0)
            turn_id, persona, source = take("u5", edge, day, 1)
            # rated, and the rating changed a week less an hour later
            for delay, rating in [(timedelta(minutes=1), "up"), (timedelta(hours=167), "down")]:
                events.append(
                    feedback("u5", edge, day + delay, turn_id=turn_id, persona=persona,
                             rating=rating, reward=explicit_reward(rating),
                             persona_source=source)
                )  # fmt: skip
        if rng.random() < 0.3:
            spell = {"reasons": ["burst"], "limited": True}
            events.append(Event("anomaly.detected", day + timedelta(hours=12), "u1", None, spell))
        if rng.random() < 0.3:
            events.append(Event("push.failed", day + timedelta(hours=9), "u2", None, {}))
        day += timedelta(days=1)
    return events, rng.sample(range(len(events)), len(events) // 10)


# The metric queries before the table functions: the view, and the range outside it.
def view_query(metric, dataset: str) -> str:
    sql = f"SELECT {metric.select} FROM `{PROJECT}.{dataset}.{metric.view}`"  # noqa: S608
    if metric.date_kind == "DATE":
        sql += f" WHERE {metric.date_column} BETWEEN @start AND @end"
    else:
        sql += (
            f" WHERE {metric.date_column} >= TIMESTAMP(@start)"
            f" AND {metric.date_column} < TIMESTAMP(DATE_ADD(@end, INTERVAL 1 DAY))"
        )
    if metric.group_by:
        sql += " GROUP BY " + ", ".join(metric.group_by)
    return sql


def answer(bq, sql: str, start: date, end: date) -> list[tuple]:
    from google.cloud import bigquery

    params = [
        bigquery.ScalarQueryParameter("start", "DATE", start),
        bigquery.ScalarQueryParameter("end", "DATE", end),
    ]
    job = bq.query(sql, job_config=bigquery.QueryJobConfig(query_parameters=params))
    rows = [
        tuple((k, round(v, 9) if isinstance(v, float) else v) for k, v in sorted(r.items()))
        for r in job.result()
    ]
    return sorted(rows, key=repr)


def test_every_dated_metric_from_the_events_reads_its_range_with_the_view_s_answer(bq, own_dataset):
    """Each dated metric from the events reads a table function that bounds occurred_at before
    it de-duplicates (so BigQuery prunes the days outside the range), widened where a row needs
    more: the 6 days after a week's Monday, the week before for the trend, the day before for a
    session's start, the week after for a changed rating. Its rows are the view's with the range
    outside it, on a history with copies, turns just outside each range, sessions across its
    ends, ratings changed days later and weeks that straddle its start."""
    events, copies = ranged_history()
    write(bq, own_dataset, events, copies=tuple(copies))
    # the same events again, ingested a day later: a second copy does not win either
    write(bq, own_dataset, [events[i] for i in copies[::3]],
          ingested=datetime.now(UTC) + timedelta(days=1))  # fmt: skip
    day = START.date()
    ranges = [
        (day + timedelta(days=9), day + timedelta(days=15)),  # Wednesday to Tuesday
        (day + timedelta(days=7), day + timedelta(days=13)),  # Monday to Sunday
        (day + timedelta(days=14), day + timedelta(days=14)),  # one day, a Monday
        (day + timedelta(days=2), LAST.date()),  # to the end: the week in progress
        (day + timedelta(days=20), day + timedelta(days=24)),  # turns and ratings after it
        (day + timedelta(days=15), day + timedelta(days=21)),  # to a Monday, with turns after
        (day - timedelta(days=3), LAST.date() + timedelta(days=3)),  # all of it
    ]
    dated = [m for m in METRICS.values() if m.date_column and m.from_events]
    assert {m.view for m in dated} == {
        "daily_active_users", "weekly_active_users", "engagement_trend", "persona_distribution",
        "satisfaction_by_persona", "intent_mix", "multi_turn_adoption", "alternative_persona_use",
        "crisis_counts", "service_health_hourly",
    }  # fmt: skip
    for metric in dated:
        function = metric_query(metric, project=PROJECT, dataset=own_dataset)
        assert f"{metric.view}_between`(@start, @end)" in function, function
        for start, end in ranges:
            got = answer(bq, function, start, end)
            want = answer(bq, view_query(metric, own_dataset), start, end)
            assert got == want, (metric.name, start, end)
            if start == day + timedelta(days=9):
                assert got, f"{metric.name}: no rows to compare"
