"""A/B assignment: deterministic, split as configured, only inside the window; config parsing."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsError

from common.config import Settings
from common.events import user_key
from common.experiments import (
    Experiment,
    assign,
    assign_running,
    bucket,
    check_no_overlap,
    event_fields,
)

START = datetime(2026, 11, 16, tzinfo=UTC)
END = datetime(2026, 11, 30, tzinfo=UTC)
DURING = datetime(2026, 11, 20, 12, tzinfo=UTC)
USERS = [user_key(f"uid-{i}", "test-key") for i in range(20_000)]


def experiment(**overrides) -> Experiment:
    raw = {
        "id": "ranker-static-vs-personalized",
        "variants": [
            {"name": "static", "traffic": 0.5, "policy": "static"},
            {"name": "personalized", "traffic": 0.5},
        ],
        "start": START.isoformat(),
        "end": END.isoformat(),
    } | overrides
    return Experiment.model_validate(raw)


def test_the_same_user_always_gets_the_same_variant() -> None:
    exp = experiment()
    first = [assign(exp, u, DURING) for u in USERS[:500]]
    later = [assign(exp, u, END - timedelta(seconds=1)) for u in USERS[:500]]
    assert first == later
    assert {a.variant for a in first if a} == {"static", "personalized"}


def test_variants_get_their_share_of_users_within_tolerance() -> None:
    exp = experiment(
        variants=[
            {"name": "a", "traffic": 0.2},
            {"name": "b", "traffic": 0.3},
            {"name": "c", "traffic": 0.5},
        ]
    )
    counts = Counter(assign(exp, u, DURING).variant for u in USERS)
    n = len(USERS)
    for name, share in {"a": 0.2, "b": 0.3, "c": 0.5}.items():
        # 4 standard errors of a binomial share: fails by chance about once in 16,000 runs
        tolerance = 4 * (share * (1 - share) / n) ** 0.5
        assert abs(counts[name] / n - share) < tolerance, (name, counts)


def test_a_partial_split_leaves_the_rest_unenrolled() -> None:
    exp = experiment(
        variants=[{"name": "a", "traffic": 0.05}, {"name": "b", "traffic": 0.05}],
    )
    enrolled = [a for u in USERS if (a := assign(exp, u, DURING))]
    assert abs(len(enrolled) / len(USERS) - 0.10) < 4 * (0.1 * 0.9 / len(USERS)) ** 0.5
    assert {a.variant for a in enrolled} == {"a", "b"}


def test_ramping_up_keeps_every_enrolled_user_in_their_variant() -> None:
    # 5 %/5 % -> 25 %/25 % under the same id: with one hash for enrolment and variant, the
    # raised control share swallowed the first ramp's treatment slice (all of its users moved).
    small = experiment(variants=[{"name": "a", "traffic": 0.05}, {"name": "b", "traffic": 0.05}])
    large = experiment(variants=[{"name": "a", "traffic": 0.25}, {"name": "b", "traffic": 0.25}])
    before = {u: a.variant for u in USERS if (a := assign(small, u, DURING))}
    after = {u: a.variant for u in USERS if (a := assign(large, u, DURING))}
    assert {u: after.get(u) for u in before} == before
    # the newly enrolled users split evenly too
    added = Counter(v for u, v in after.items() if u not in before)
    n = sum(added.values())
    assert abs(added["a"] / n - 0.5) < 4 * (0.25 / n) ** 0.5


def test_nobody_is_assigned_outside_the_window() -> None:
    exp = experiment()
    for moment in (START - timedelta(microseconds=1), END, END + timedelta(days=3)):
        assert all(assign(exp, u, moment) is None for u in USERS[:1000])
    assert all(assign(exp, u, START) is not None for u in USERS[:1000])


def test_experiments_split_users_independently() -> None:
    one, two = experiment(id="one"), experiment(id="two")
    pairs = Counter((assign(one, u, DURING).variant, assign(two, u, DURING).variant) for u in USERS)
    # independent halves: each of the four combinations holds about a quarter of the users
    for count in pairs.values():
        assert abs(count / len(USERS) - 0.25) < 4 * (0.25 * 0.75 / len(USERS)) ** 0.5


def test_bucket_is_uniform_in_unit_interval_and_keyed_by_experiment() -> None:
    values = [bucket("exp", u) for u in USERS]
    assert all(0 <= v < 1 for v in values)
    assert abs(sum(values) / len(values) - 0.5) < 0.01
    assert bucket("exp", USERS[0]) != bucket("other", USERS[0])


def test_assignment_carries_the_variant_policy_and_event_fields() -> None:
    exp = experiment()
    assigned = {a.variant: a for u in USERS[:200] if (a := assign(exp, u, DURING))}
    assert assigned["static"].policy == "static"
    assert assigned["personalized"].policy is None  # the configured policy
    assert event_fields(assigned["personalized"]) == {
        "experiment": "ranker-static-vs-personalized",
        "variant": "personalized",
        "control_variant": "static",
        "variant_share": 0.5,
    }
    assert event_fields(None) == {
        "experiment": None,
        "variant": None,
        "control_variant": None,
        "variant_share": None,
    }


@pytest.mark.parametrize("factor", [1, 2])
def test_events_carry_the_variants_share_of_the_enrolled_users_through_a_ramp_up(factor) -> None:
    # ab_results.sql checks each variant's users against it (sample ratio mismatch): the share
    # of the experiment's users, not of all users, so a ramp-up (both shares doubled) keeps it.
    exp = experiment(
        variants=[
            {"name": "static", "traffic": 0.05 * factor, "policy": "static"},
            {"name": "personalized", "traffic": 0.15 * factor},
        ]
    )
    assigned = {a.variant: a for u in USERS[:2000] if (a := assign(exp, u, DURING))}
    shares = {v: event_fields(a)["variant_share"] for v, a in assigned.items()}
    assert shares == {"static": pytest.approx(0.25), "personalized": pytest.approx(0.75)}


def test_assign_running_picks_the_experiment_of_the_moment() -> None:
    early = experiment(id="early", start=START.isoformat(), end=DURING.isoformat())
    late = experiment(id="late", start=DURING.isoformat(), end=END.isoformat())
    assert assign_running([early, late], USERS[0], START).experiment == "early"
    assert assign_running([early, late], USERS[0], DURING).experiment == "late"
    assert assign_running([early, late], USERS[0], END) is None
    assert assign_running([], USERS[0], DURING) is None


def test_control_defaults_to_the_first_variant() -> None:
    assert experiment().control == "static"
    assert experiment(control="personalized").control == "personalized"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"variants": [{"name": "a", "traffic": 1.0}]}, "at least 2"),
        # ab_results' Bonferroni quantiles cover 9 comparisons with the control
        (
            {"variants": [{"name": f"v{i}", "traffic": 0.05} for i in range(11)]},
            "at most 10",
        ),
        (
            {"variants": [{"name": "a", "traffic": 0.6}, {"name": "b", "traffic": 0.6}]},
            "sum to more than 1",
        ),
        # One per cent over (not only float noise) is refused: the last variant would get less
        # than configured, and the results would compare unequal shares.
        (
            {"variants": [{"name": "a", "traffic": 0.5}, {"name": "b", "traffic": 0.51}]},
            "sum to more than 1",
        ),
        # A variant no user can land in (a control of nobody).
        (
            {"variants": [{"name": "a", "traffic": 1.0}, {"name": "b", "traffic": 0}]},
            "greater than 0",
        ),
        (
            {"variants": [{"name": "a", "traffic": 0.5}, {"name": "a", "traffic": 0.5}]},
            "unique",
        ),
        ({"end": START.isoformat()}, "end must be after start"),
        ({"control": "nope"}, "no variant"),
        ({"start": "2026-11-16T00:00:00"}, "timezone"),
        (
            {
                "variants": [
                    {"name": "a", "traffic": 0.5, "policy": "magic"},
                    {"name": "b", "traffic": 0.5},
                ]
            },
            "policy",
        ),
        ({"variants": [{"name": "A B", "traffic": 0.5}, {"name": "b", "traffic": 0.5}]}, "name"),
    ],
)
def test_invalid_experiments_are_refused(overrides: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        experiment(**overrides)


def test_overlapping_or_repeated_experiments_are_refused() -> None:
    check_no_overlap(
        [experiment(id="a", end=DURING.isoformat()), experiment(id="b", start=DURING.isoformat())]
    )
    with pytest.raises(ValueError, match="overlap"):
        check_no_overlap([experiment(id="a"), experiment(id="b", start=DURING.isoformat())])
    with pytest.raises(ValueError, match="unique"):
        check_no_overlap(
            [
                experiment(id="a", end=DURING.isoformat()),
                experiment(id="a", start=DURING.isoformat()),
            ]
        )


def test_settings_read_experiments_from_json(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = [
        {
            "id": "ranker",
            "variants": [
                {"name": "static", "traffic": 0.5, "policy": "static"},
                {"name": "personalized", "traffic": 0.5},
            ],
            "start": "2026-11-16T00:00:00Z",
            "end": "2026-11-30T00:00:00Z",
        }
    ]
    monkeypatch.setenv("EXPERIMENTS", json.dumps(raw))
    (exp,) = Settings().experiments
    assert exp.id == "ranker" and exp.control == "static"
    assert [v.policy for v in exp.variants] == ["static", None]
    monkeypatch.delenv("EXPERIMENTS")
    assert Settings().experiments == ()


def test_settings_refuse_overlapping_experiments(monkeypatch: pytest.MonkeyPatch) -> None:
    one = experiment(id="one").model_dump(mode="json")
    two = experiment(id="two").model_dump(mode="json")
    monkeypatch.setenv("EXPERIMENTS", json.dumps([one, two]))
    with pytest.raises(ValidationError, match="overlap"):
        Settings()


def test_settings_refuse_experiments_that_are_not_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPERIMENTS", "static:0.5,personalized:0.5")
    with pytest.raises(SettingsError):
        Settings()


def test_the_ranker_runs_the_policy_of_the_users_variant() -> None:
    from common.analysis.baseline import analyze_baseline
    from common.chat.wiring import rank_personas
    from common.personalization.preferences import PersonaStats, Profile
    from common.routing.ensemble import Conversation

    # an experienced user who loved one persona: a learned policy may act on it
    stats = {**Profile().stats, "nana": PersonaStats(alpha=30, beta=1)}
    profile = Profile(stats=stats, turns=40, feedback_count=20)
    analysis = analyze_baseline("How do I plan the database migration for next week?")

    def rank(policy_name: str | None):
        return rank_personas(
            analysis=analysis,
            convo=Conversation(current_persona=None, local_hour=10),
            requested=None,
            seed="turn-1",
            profile=profile,
            policy_name=policy_name,
        )

    static = rank("static")
    assert static.source == "ensemble" and static.propensity == 1.0
    assert static.chosen.id == static.ranked[0].id  # the ensemble's best, always
    assert rank("thompson").source == "thompson"
    assert rank("formula").source == "formula"
    assert rank(None).source == Settings().personalization_policy  # not in an experiment
