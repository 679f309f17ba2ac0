"""Choosing the persona: the static router, the original formula, Thompson sampling."""

import pytest

from common.labels import PERSONA_IDS
from common.personalization.policies import (
    OriginalFormula,
    PolicyDecision,
    StaticRouter,
    ThompsonSampling,
    make_policy,
)
from common.personalization.preferences import PersonaStats, Profile
from common.routing.ensemble import TIME_AFFINITY

ENSEMBLE = {"lua": 0.50, "riri": 0.62, "elro": 0.55, "nana": 0.40}  # riri is the router's pick
FLAT = dict.fromkeys(PERSONA_IDS, 0.5)


NIGHT_ONLY = (10,) * 6 + (0,) * 16 + (10, 10)  # never active at the default hour, 14:00


def known_user(**stats: PersonaStats) -> Profile:
    """A returning user with personalization on and the given evidence."""
    return Profile(stats={**Profile().stats, **stats}, turns=40, feedback_count=10)


def day_off_user(**stats: PersonaStats) -> Profile:
    """Like known_user, but the time-of-day term is 0 for everyone at 14:00."""
    return Profile(
        stats={**Profile().stats, **stats}, hourly=NIGHT_ONLY, turns=40, feedback_count=1
    )


def choose(policy, ensemble=ENSEMBLE, profile=None, hour=14, seed="turn-1") -> PolicyDecision:
    return policy.choose(ensemble=ensemble, profile=profile, local_hour=hour, seed=seed)


def assert_valid(d: PolicyDecision) -> None:
    assert set(d.propensities) == set(PERSONA_IDS)
    assert sum(d.propensities.values()) == pytest.approx(1.0)
    assert d.propensities[d.chosen] > 0


def test_static_router_shows_the_ensemble_best_with_certainty():
    d = choose(StaticRouter(), profile=known_user(lua=PersonaStats(30, 1)))
    assert d.chosen == "riri"
    assert d.propensities == {"lua": 0.0, "riri": 1.0, "elro": 0.0, "nana": 0.0}
    assert d.scores == ENSEMBLE


def test_static_router_breaks_ties_by_persona_order():
    assert choose(StaticRouter(), ensemble=FLAT).chosen == PERSONA_IDS[0]


def test_unknown_persona_in_the_ensemble_is_an_error():
    with pytest.raises(ValueError):
        choose(StaticRouter(), ensemble={**ENSEMBLE, "bob": 0.9})


STRONG = known_user(nana=PersonaStats(40, 1), riri=PersonaStats(1, 20))
LEARNED = [OriginalFormula(), ThompsonSampling(prior_strength=10, exploration_cap=0.3)]


@pytest.mark.parametrize("policy", LEARNED, ids=lambda p: p.name)
@pytest.mark.parametrize(
    "profile",
    [
        None,
        Profile(stats=STRONG.stats, turns=2),  # new: no feedback, few turns
        Profile(stats=STRONG.stats, turns=40, feedback_count=10, personalization=False),
    ],
    ids=["no_profile", "new_user", "personalization_off"],
)
def test_users_without_personalization_get_the_static_decision(policy, profile):
    d = choose(policy, profile=profile)
    assert d == choose(StaticRouter(), profile=profile)
    assert d.policy == "static"


@pytest.mark.parametrize("policy", LEARNED, ids=lambda p: p.name)
def test_the_same_evidence_changes_the_choice_once_personalization_is_on(policy):
    d = choose(policy, profile=STRONG)
    assert d.chosen == "nana"
    assert d.policy == policy.name


# --- the original formula ------------------------------------------------------------------


def test_formula_scores_stay_in_the_unit_interval_at_the_extremes():
    best = Profile(
        stats={p: PersonaStats(1000, 1e-3) for p in PERSONA_IDS},
        hourly=(0,) * 22 + (50, 50),
        engagement=1.0,
        turns=100,
        feedback_count=100,
    )
    worst = known_user(**{p: PersonaStats(1e-3, 1000) for p in PERSONA_IDS})
    for profile, ensemble in ((best, dict.fromkeys(PERSONA_IDS, 1.0)), (worst, {})):
        for hour in (0, 9, 15, 20):
            d = choose(OriginalFormula(), ensemble=ensemble, profile=profile, hour=hour)
            assert all(0.0 <= s <= 1.0 for s in d.scores.values())
    top = choose(OriginalFormula(), ensemble=dict.fromkeys(PERSONA_IDS, 1.0), profile=best, hour=0)
    assert top.scores["lua"] == pytest.approx((0.5 + 0.3 + 0.2 * 0.9 + 0.1) / 1.1, abs=1e-4)


def test_formula_weights_satisfaction_most():
    # equal in everything but satisfaction, which is worth 0.5/1.1 per unit of posterior mean
    liked = day_off_user(elro=PersonaStats(9, 1))
    d = choose(OriginalFormula(), ensemble=FLAT, profile=liked)
    assert d.chosen == "elro"
    gap = d.scores["elro"] - d.scores["lua"]
    assert gap == pytest.approx(0.5 * (0.9 - 0.5) / 1.1)
    assert d.propensities["elro"] == 1.0


def test_formula_honours_appropriateness():
    d = choose(OriginalFormula(), ensemble={**FLAT, "riri": 0.9}, profile=day_off_user())
    assert d.chosen == "riri"
    assert d.scores["riri"] - d.scores["lua"] == pytest.approx(0.3 * 0.4 / 1.1)


def test_formula_honours_the_time_of_day():
    d = choose(OriginalFormula(), ensemble=FLAT, profile=day_off_user(), hour=1)
    assert d.chosen == "lua"  # the calmest at night
    night = TIME_AFFINITY["night"]
    assert d.scores["lua"] - d.scores["riri"] == pytest.approx(
        0.2 * (night["lua"] - night["riri"]) / 1.1
    )


def test_formula_leaves_the_time_of_day_out_when_the_users_hour_is_unknown():
    """No time zone set: a UTC hour is no one's time of day. The term's weight is 0 and the
    score is divided by the other weights (0.9), so it stays in [0, 1]."""
    ensemble, profile = {**FLAT, "riri": 0.6}, day_off_user()
    d = choose(OriginalFormula(), ensemble=ensemble, profile=profile, hour=None)
    assert d.chosen == "riri"
    assert d.scores["riri"] == pytest.approx((0.5 * 0.5 + 0.3 * 0.6) / 0.9)
    assert d.scores["riri"] - d.scores["lua"] == pytest.approx(0.3 * 0.1 / 0.9)
    # At 01:00 (a UTC hour taken for theirs) the night's Lua won.
    assert choose(OriginalFormula(), ensemble=ensemble, profile=profile, hour=1).chosen == "lua"


def test_formula_gives_the_engagement_bonus_to_the_favourite_only():
    stats = {**Profile().stats, "nana": PersonaStats(5, 2), "elro": PersonaStats(5.5, 2)}
    base = Profile(stats=stats, hourly=NIGHT_ONLY, turns=40, feedback_count=10)
    engaged = Profile(stats=stats, hourly=NIGHT_ONLY, turns=40, feedback_count=10, engagement=1.0)
    calm = choose(OriginalFormula(), ensemble={**FLAT, "nana": 0.6}, profile=base)
    keen = choose(OriginalFormula(), ensemble={**FLAT, "nana": 0.6}, profile=engaged)
    assert calm.chosen == "nana"
    assert keen.chosen == "elro"  # the favourite, lifted by 0.1/1.1
    assert keen.scores["elro"] - calm.scores["elro"] == pytest.approx(0.1 / 1.1)
    assert keen.scores["nana"] == calm.scores["nana"]


# --- Thompson sampling ---------------------------------------------------------------------

TS = ThompsonSampling(prior_strength=10, exploration_cap=0.3)


@pytest.mark.parametrize("seed", [f"turn-{i}" for i in range(20)])
def test_thompson_propensities_are_a_distribution_that_includes_the_choice(seed):
    profile = known_user(lua=PersonaStats(3, 2), elro=PersonaStats(2, 3))
    assert_valid(choose(TS, profile=profile, seed=seed))


def test_thompson_is_reproducible_for_a_seed_and_varies_across_seeds():
    profile = known_user()
    d = choose(TS, ensemble=FLAT, profile=profile, seed="abc")
    assert d == choose(TS, ensemble=FLAT, profile=profile, seed="abc")
    chosen = {choose(TS, ensemble=FLAT, profile=profile, seed=str(i)).chosen for i in range(40)}
    assert chosen == set(PERSONA_IDS)  # all equal: every persona gets its turn


def test_thompson_propensities_match_how_often_each_persona_is_chosen():
    profile = known_user(lua=PersonaStats(4, 3))
    expected = choose(TS, profile=profile).propensities
    # The choice is the first draw whatever `draws` is; fewer draws only make this test fast.
    quick = ThompsonSampling(prior_strength=10, exploration_cap=0.3, draws=20)
    n = 3000
    counts = dict.fromkeys(PERSONA_IDS, 0)
    for i in range(n):
        counts[choose(quick, profile=profile, seed=f"s{i}").chosen] += 1
    for p in PERSONA_IDS:
        assert counts[p] / n == pytest.approx(expected[p], abs=0.03)


def test_thompson_nearly_always_picks_a_persona_with_strong_evidence():
    profile = known_user(elro=PersonaStats(60, 2), riri=PersonaStats(3, 20))
    picks = [choose(TS, profile=profile, seed=str(i)).chosen for i in range(200)]
    assert picks.count("elro") >= 195
    assert choose(TS, profile=profile).propensities["elro"] > 0.97


def test_thompson_without_evidence_follows_the_ensemble():
    d = choose(TS, profile=known_user())
    assert max(d.propensities, key=d.propensities.get) == "riri"
    assert list(d.scores) == list(PERSONA_IDS)
    assert sorted(d.scores, key=d.scores.get) == sorted(ENSEMBLE, key=ENSEMBLE.get)
    confident = ThompsonSampling(prior_strength=500, exploration_cap=0.3)
    assert choose(confident, profile=known_user()).propensities["riri"] > 0.95


def test_user_evidence_overrides_the_ensemble_prior_as_it_grows():
    weak, strong = known_user(nana=PersonaStats(3, 1)), known_user(nana=PersonaStats(30, 1))
    assert choose(TS, profile=weak).propensities["nana"] < 0.5
    assert choose(TS, profile=strong).propensities["nana"] > 0.9


def test_exploration_cap_never_shows_a_far_worse_persona():
    profile = known_user(nana=PersonaStats(1, 5), lua=PersonaStats(6, 4))
    capped = ThompsonSampling(prior_strength=10, exploration_cap=0.15)
    d = choose(capped, profile=profile)
    means = d.scores
    for p in PERSONA_IDS:
        far = means[p] < max(means.values()) - 0.15
        assert (d.propensities[p] == 0.0) == far
    assert d.propensities["nana"] == 0.0
    assert all(choose(capped, profile=profile, seed=str(i)).chosen != "nana" for i in range(200))
    loose = ThompsonSampling(prior_strength=10, exploration_cap=1.0)
    assert choose(loose, profile=profile).propensities["nana"] > 0.0


def test_a_zero_cap_is_greedy_on_the_posterior_mean():
    greedy = ThompsonSampling(prior_strength=10, exploration_cap=0.0)
    d = choose(greedy, profile=known_user(lua=PersonaStats(5, 1)))
    assert d.chosen == "lua"
    assert d.propensities["lua"] == 1.0


def test_thompson_handles_ensemble_scores_of_zero_and_one():
    d = choose(
        TS, ensemble={"lua": 1.0, "riri": 0.0, "elro": 1.0, "nana": 0.0}, profile=known_user()
    )
    assert_valid(d)


@pytest.mark.parametrize("kwargs", [{"prior_strength": -1}, {"exploration_cap": 1.5}, {"draws": 0}])
def test_thompson_rejects_bad_parameters(kwargs):
    with pytest.raises(ValueError):
        ThompsonSampling(**kwargs)


def test_make_policy_builds_each_policy_by_name():
    assert isinstance(make_policy("static"), StaticRouter)
    assert isinstance(make_policy("formula"), OriginalFormula)
    ts = make_policy("thompson", prior_strength=5.0, exploration_cap=0.1, draws=100)
    assert ts == ThompsonSampling(5.0, 0.1, 100)
    assert ts.name == "thompson"
    with pytest.raises(ValueError):
        make_policy("epsilon_greedy")
