"""Each view's SQL on small hand-built data in the BigQuery emulator, written through the sink's
own code (duplicates included), in a dataset of its own; the daily MERGE; and the churn score
evaluated on held-out synthetic history."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from common.analytics.sink import Message, sink_messages
from common.analytics.warehouse import (
    BigQueryRowWriter,
    emulator_client,
    provision,
    refresh_daily,
)
from common.events import Event
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


def write(bq, dataset: str, events: list[Event], *, copies: tuple[int, ...] = ()) -> None:
    """Through the sink's code; the events at `copies` are delivered a second time."""
    writer = BigQueryRowWriter(bq, table=f"{PROJECT}.{dataset}.events")
    messages = [Message(e.encode(), e.attributes()) for e in events]
    messages += [messages[i] for i in copies]
    report = sink_messages(
        messages, write=writer.insert, dead_letter=Refuse(), now=datetime.now(UTC)
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
    }
    return Event("chat.turn.completed", at, key, session, data)


def feedback(key, session, at, *, turn_id, persona, rating, reward, previous=None) -> Event:
    data = {
        "turn_id": turn_id,
        "persona": persona,
        "rating": rating,
        "reward": reward,
        "previous_reward": previous,
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
            {"turn_id": "t3", "locale": "en-US", "analysis_source": "model"},
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
    assert (sat["riri"]["ratings"], sat["riri"]["avg_satisfaction"]) == (1, 1.0)
    assert sat["riri"]["positive_share"] == 1.0


def test_engagement_trend_compares_with_the_week_before(bq, dataset):
    weekly = {r["week_start"]: r for r in rows(bq, dataset, "weekly_active_users")}
    trend = {r["week_start"]: r for r in rows(bq, dataset, "engagement_trend")}
    this = trend[week_start(D0.date())]
    previous = weekly.get(week_start(D0.date()) - timedelta(days=7))
    assert this["turns"] == weekly[week_start(D0.date())]["turns"]
    assert this["prev_turns"] == (previous["turns"] if previous else None)
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
    assert not {"message", "text", "reply"} & set(crisis)
    hour = D0.strftime("%Y-%m-%d %H:00:00+00")
    (health,) = rows(bq, dataset, "service_health_hourly", f"WHERE hour = TIMESTAMP '{hour}'")
    assert health["turns"] == 4
    assert health["latency_p50_ms"] in (150.0, 200.0)
    assert health["latency_p95_ms"] == 300.0
    assert health["degraded_share"] == pytest.approx(0.25)
    assert health["model_fallback_rate"] == pytest.approx(0.25)
    assert (health["rate_limited"], health["errors"]) == (1, 1)


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
    users = {r["user_key"]: r for r in rows(bq, dataset, "user_features")}
    assert set(users) == {"user-a", "user-b", "user-v"}
    assert [k for k, r in users.items() if r["vip"]] == ["user-v"]
    assert users["user-b"]["segment"] == "new" and users["user-a"]["churn_band"] == "low"
    mix = rows(bq, dataset, "daily_persona_intent", f"WHERE day = '{D0.date()}'")
    by = {(r["persona"], r["intent"]): r for r in mix}
    assert by[("lua", "learning")]["turns"] == 2 and by[("lua", "learning")]["ratings"] == 1
    assert by[("riri", "planning")]["requested_turns"] == 1


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
