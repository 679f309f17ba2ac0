"""What the app learns about a user: Beta posteriors, rewards, engagement, time of day."""

import json

import pytest

from common.labels import PERSONA_IDS
from common.personalization.preferences import (
    EXPLICIT_WEIGHT,
    IMPLICIT_SIGNALS,
    NEW_USER_TURNS,
    PersonaStats,
    Profile,
    engagement_score,
    explicit_reward,
    favourite_persona,
    found_helpful,
    implicit_updates,
    liking,
    time_of_day_match,
)
from common.routing.ensemble import TIME_AFFINITY


@pytest.mark.parametrize(
    ("rating", "reward"), [("up", 1.0), ("down", 0.0), (1, 0.0), (2, 0.25), (3, 0.5), (5, 1.0)]
)
def test_explicit_reward_maps_every_rating_into_the_unit_interval(rating, reward):
    assert explicit_reward(rating) == reward


@pytest.mark.parametrize("rating", [0, 6, True, "meh", 3.5])
def test_explicit_reward_rejects_anything_else(rating):
    with pytest.raises(ValueError):
        explicit_reward(rating)


def test_every_implicit_signal_counts_less_than_a_rating():
    for reward, weight in IMPLICIT_SIGNALS.values():
        assert 0.0 <= reward <= 1.0
        assert 0.0 < weight < EXPLICIT_WEIGHT


def test_signal_directions():
    for positive in ("follow_up_same_session", "long_session"):
        assert IMPLICIT_SIGNALS[positive][0] > 0.5
    for negative in ("re_asked_same_question", "left_right_after_reply"):
        assert IMPLICIT_SIGNALS[negative][0] < 0.5


def test_choosing_an_alternative_counts_against_the_shown_and_for_the_chosen():
    updates = implicit_updates("chose_alternative", shown="riri", chosen="lua")
    assert updates["riri"][0] == 0.0
    assert updates["lua"][0] == 1.0
    assert updates["riri"][1] == updates["lua"][1] < EXPLICIT_WEIGHT
    assert set(implicit_updates("long_session", shown="nana")) == {"nana"}


def test_profile_round_trips_through_plain_json():
    p = Profile(
        personalization=False,
        stats={**Profile().stats, "nana": PersonaStats(3.5, 1.25)},
        hourly=tuple(range(24)),
        engagement=0.42,
        turns=17,
        feedback_count=4,
        faded=True,  # logged with the turn: offline evaluation must see it as the policy did
    )
    assert Profile.from_dict(json.loads(json.dumps(p.to_dict()))) == p


def test_profile_from_a_sparse_document_takes_defaults():
    p = Profile.from_dict({"stats": {"lua": {"alpha": 2, "beta": 1}}})
    assert p.personalization is True
    assert set(p.stats) == set(PERSONA_IDS)
    assert p.stat("lua").mean == pytest.approx(2 / 3)
    assert p.hourly == (0,) * 24


@pytest.mark.parametrize(
    "kwargs",
    [{"hourly": (0,) * 23}, {"engagement": 1.5}, {"stats": {"bob": PersonaStats()}}],
)
def test_profile_rejects_impossible_values(kwargs):
    with pytest.raises(ValueError):
        Profile(**kwargs)


def test_new_user_until_feedback_or_enough_turns():
    assert Profile().is_new
    assert Profile(turns=NEW_USER_TURNS - 1).is_new
    assert not Profile(turns=NEW_USER_TURNS).is_new
    assert not Profile(turns=1, feedback_count=1).is_new


def test_engagement_is_zero_without_activity_and_bounded_with_a_lot():
    assert engagement_score(turns_7d=0, sessions_7d=0, feedback_7d=0) == 0.0
    heavy = engagement_score(turns_7d=10_000, sessions_7d=500, feedback_7d=10_000)
    assert 0.99 < heavy <= 1.0


def test_engagement_grows_with_each_kind_of_activity():
    base = {"turns_7d": 10, "sessions_7d": 3, "feedback_7d": 1}
    score = engagement_score(**base)
    assert engagement_score(**{**base, "turns_7d": 20}) > score
    assert engagement_score(**{**base, "feedback_7d": 3}) > score
    # the same turns over more visits: returning counts for more than depth per visit here
    assert engagement_score(**{**base, "sessions_7d": 5}) > score


def _with(**stats: PersonaStats) -> Profile:
    return Profile(stats={**Profile().stats, **stats}, turns=20, feedback_count=5)


def test_favourite_needs_enough_evidence_and_a_good_record():
    assert favourite_persona(Profile()) is None
    assert favourite_persona(_with(lua=PersonaStats(3.0, 1.0))) is None  # 2 observations
    assert favourite_persona(_with(lua=PersonaStats(4.0, 1.0))) == "lua"
    assert favourite_persona(_with(lua=PersonaStats(1.0, 6.0))) is None  # disliked
    both = _with(lua=PersonaStats(5.0, 2.0), elro=PersonaStats(8.0, 1.0))
    assert favourite_persona(both) == "elro"


def test_found_helpful_is_what_the_explanation_may_claim():
    assert not found_helpful(None, "lua")  # personalization off: no profile
    assert not found_helpful(Profile(), "lua")  # no evidence yet
    assert not found_helpful(_with(lua=PersonaStats(3.0, 1.0)), "lua")  # 2 observations
    assert not found_helpful(_with(lua=PersonaStats(1.0, 6.0)), "lua")  # disliked
    assert found_helpful(_with(lua=PersonaStats(4.0, 1.0)), "lua")
    # As many downs as ups is no liking to claim ("You've found Lua's answers helpful before").
    assert not found_helpful(_with(lua=PersonaStats(3.0, 3.0)), "lua")


def test_a_liking_is_claimed_as_helpful_only_from_a_user_who_has_rated():
    # The reasons review: "You've found Lua's answers helpful before." to a user who never
    # rated anything, from 15 follow-ups with Lua (each 0.2 of evidence, 3.0 in all).
    talked = Profile(stats={**Profile().stats, "lua": PersonaStats(4.0, 1.0)}, turns=40)
    assert liking(talked, "lua") == "kept"
    assert liking(_with(lua=PersonaStats(4.0, 1.0)), "lua") == "rated"  # 5 ratings
    assert liking(talked, "riri") is None  # no evidence
    assert liking(_with(lua=PersonaStats(1.0, 6.0)), "lua") is None  # disliked
    assert liking(None, "lua") is None  # personalization off


def test_time_match_is_the_affinity_for_a_user_active_at_that_time():
    night_owl = Profile(hourly=tuple(10 if h in (23, 0, 1) else 0 for h in range(24)))
    for p in PERSONA_IDS:
        assert time_of_day_match(night_owl, p, 0) == pytest.approx(TIME_AFFINITY["night"][p])
        assert time_of_day_match(night_owl, p, 9) == 0.0  # never active in the morning


def test_time_match_scales_with_how_usual_the_day_part_is():
    mostly_evening = Profile(hourly=tuple(9 if 18 <= h < 22 else 1 for h in range(24)))
    morning = time_of_day_match(mostly_evening, "riri", 8)
    assert 0.0 < morning < TIME_AFFINITY["morning"]["riri"]
    assert time_of_day_match(mostly_evening, "nana", 20) == TIME_AFFINITY["evening"]["nana"]
    uniform = Profile(hourly=(1,) * 24)
    assert time_of_day_match(uniform, "riri", 8) == pytest.approx(TIME_AFFINITY["morning"]["riri"])
    assert time_of_day_match(Profile(), "lua", 23) == TIME_AFFINITY["night"]["lua"]
