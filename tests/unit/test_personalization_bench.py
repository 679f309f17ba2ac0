"""The personalization benchmark's pure parts: the off-policy records it builds from turn
events, which comparisons it lets count, and the acceptance verdicts it prints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from benchmarks.personalization import (
    LOCAL_HOURS,
    NOT_SUPPORTED,
    Interaction,
    Run,
    _cell,
    exact_value,
    local_hour,
    logger_support,
    offline_row,
    offline_tables,
    population,
    summarise,
    turn_logs,
    verdicts,
    zone_at,
)
from common.labels import PERSONA_IDS
from common.personalization.offline_eval import Estimate, LoggedInteraction, estimate
from common.personalization.policies import PolicyDecision, StaticRouter
from common.profile.models import ProfileSettings
from common.routing.ensemble import day_part

# the ensemble's best is Riri; after a crisis signal Lua answers anyway
SCORES = {"lua": 0.5, "riri": 0.7, "elro": 0.3, "nana": 0.4}


def event(source: str, shown: str, propensity: float) -> dict:
    return {
        "scores": SCORES,
        "profile": None,
        "local_hour": 10,
        "persona": shown,
        "propensity": propensity,
        "persona_source": source,
    }


def test_care_turns_in_the_logs_are_every_targets_own() -> None:
    """A care turn showed Lua whatever the policy: the static router, which would pick Riri if
    asked, still showed Lua online there, so the turn counts for it (weight 1)."""
    events = {f"c{i}": event("care", "lua", 1.0) for i in range(4)}
    events |= {f"e{i}": event("ensemble", "riri", 1.0) for i in range(4)}
    by_turn = {
        tid: Interaction(1, tid, e["persona"], "lua", float(e["persona"] == "lua"), user=i % 2)
        for i, (tid, e) in enumerate(events.items())
    }
    logs = turn_logs(events, by_turn)
    assert {log["persona_source"] for log in logs} == {"care", "ensemble"}
    est = estimate(StaticRouter(), logs, groups=[log["user"] for log in logs])
    assert est.ips == pytest.approx(0.5)  # 4 care turns rewarded, 4 of its own that were not
    assert est.unsupported_share == pytest.approx(0.0)
    # the logs carry each turn's hidden favourite: static shows Riri to users who prefer Lua
    assert {log["preferred"] for log in logs} == {"lua"}
    assert exact_value(StaticRouter(), logs) == pytest.approx(0.5)


class SixFourLuaRiri:
    """A target that shows Lua with probability 0.6 and Riri with 0.4, whatever the input."""

    name = "six-four"

    def choose(self, *, ensemble, profile, local_hour, seed) -> PolicyDecision:
        return PolicyDecision("lua", dict(ensemble), {"lua": 0.6, "riri": 0.4}, self.name)


def test_the_exact_value_weighs_each_turns_hidden_reward_by_the_targets_probability() -> None:
    def log(shown: str, preferred: str, source: str | None = "ensemble", q: float = 0.5) -> dict:
        return {
            "ensemble": SCORES,
            "profile": None,
            "local_hour": 10,
            "seed": "s",
            "shown": shown,
            "propensity": q,
            "reward": float(shown == preferred),
            "persona_source": source,
            "preferred": preferred,
        }

    logs = [
        log("elro", "lua"),  # the logger missed; the target shows Lua 0.6 of the time: 0.6
        log("riri", "riri"),  # 0.4, whatever the logger showed
        log("lua", "elro"),  # the target never shows Elro: 0
        log("lua", "lua", source="care"),  # care: the reward observed, 1 (not the target's 0.6)
        log("nana", "nana", q=0.0),  # propensity 0: left out, as estimate() leaves it out
    ]
    assert exact_value(SixFourLuaRiri(), logs) == pytest.approx((0.6 + 0.4 + 0.0 + 1.0) / 4)


def estimate_with(
    ips: float, snips: float, ci: float, mean_weight: float, unsupported: float
) -> Estimate:
    return Estimate(
        ips,
        (ips - ci, ips + ci),
        snips,
        (snips - ci, snips + ci),
        n=720,
        ess=400.0,
        unsupported_share=1 - mean_weight,
        unsupported_exact=unsupported,
    )


def test_a_pair_the_logs_do_not_support_is_not_counted_as_a_pass() -> None:
    # static from Thompson's logs in the last run: IPS 0.288, SNIPS 0.658, mean weight 0.438
    est = estimate_with(0.288, 0.658, 0.064, 0.438, unsupported=0.5)
    row = offline_row("thompson", est, est, exact=0.3, online=0.311)
    assert row["unsupported_share"] == 0.5 and row["one_minus_mean_weight"] == pytest.approx(0.562)
    assert not row["supported"]
    assert row["exact_within_ips_ci"] is None and row["exact_within_snips_ci"] is None
    assert row["online_within_ips_ci"] is None
    assert _cell(row["exact_within_ips_ci"]) == NOT_SUPPORTED


def test_a_supported_pair_is_judged_by_the_exact_value_not_the_online_result() -> None:
    est = estimate_with(0.298, 0.3, 0.075, 0.99, unsupported=0.0)
    # the target's own run, on other inputs, is outside; its value on the logged inputs inside
    row = offline_row("static+explore", est, est, exact=0.311, online=0.4)
    assert row["exact_within_ips_ci"] is True and row["online_within_ips_ci"] is False
    row = offline_row("static+explore", est, est, exact=0.4, online=0.311)
    assert row["exact_within_ips_ci"] is False and row["online_within_ips_ci"] is True


def test_the_support_is_judged_exactly_not_from_the_mean_weight() -> None:
    # static from static+explore in one run: 1 - mean weight 0.055, yet fully supported
    est = estimate_with(0.302, 0.32, 0.064, 0.945, unsupported=0.0)
    row = offline_row("static+explore", est, est, exact=0.324, online=0.324)
    assert row["supported"] and row["exact_within_ips_ci"] is True


def logged(ensemble: dict[str, float]) -> LoggedInteraction:
    """A turn with these ensemble scores (what a logger's support depends on) that showed Lua."""
    return LoggedInteraction(
        ensemble=ensemble,
        profile=None,
        local_hour=12,
        seed="s",
        shown="lua",
        propensity=0.7,
        reward=1.0,
    )


def test_the_exploring_loggers_support_is_the_ensembles_top_3_with_its_tie_break() -> None:
    support = logger_support("static+explore")
    log = logged({"lua": 0.4, "riri": 0.2, "elro": 0.4, "nana": 0.2})
    order = [p for p in PERSONA_IDS if p in ("riri", "nana")]
    assert support(log) == {"lua", "elro", order[0]}


def test_thompsons_support_leaves_out_what_its_exploration_cap_never_shows() -> None:
    support = logger_support("thompson")
    log = logged({"lua": 0.9, "riri": 0.1, "elro": 0.5, "nana": 0.1})
    assert "riri" not in support(log) and "lua" in support(log)
    assert _cell(True) == "True" and _cell(False) == "False"


def summary(policy: str, late: float) -> dict:
    return {"policy": policy, "agreement_turns_16_30": late}


def pair(logger: str, mean_weight: float, exact: float = 0.311, online: float = 0.311) -> dict:
    """A pair whose exact unsupported share is what its mean weight says."""
    est = estimate_with(0.3, 0.3, 0.07, mean_weight, unsupported=max(0.0, 1 - mean_weight))
    return offline_row(logger, est, est, exact, online)


def test_the_verdicts_come_from_the_figures() -> None:
    lines = verdicts(
        [summary("static", 0.275), summary("formula", 0.794), summary("thompson", 0.833)],
        {
            "static from static+explore logs": pair("static+explore", 1.01),
            "static from thompson logs": pair("thompson", 0.438),
        },
    )
    assert len(lines) == 3
    assert "0.833" in lines[0] and lines[0].endswith("missed.")
    assert "55.8 points" in lines[1] and lines[1].endswith("met.")
    assert "exact expected reward on the logged inputs" in lines[2]
    assert "1 of the 1 pairs" in lines[2] and ": met;" in lines[2]
    assert f"{NOT_SUPPORTED}: static from thompson logs." in lines[2]
    assert lines[2].endswith("fall within it on 1 of 1.")

    # exactly on the targets: met
    lines = verdicts([summary("static", 0.65), summary("thompson", 0.9)], {})
    assert lines[0].endswith("met.") and "25.0 points" in lines[1] and lines[1].endswith("met.")


def test_the_oracle_knows_each_rule_but_not_past_a_misreading_or_a_care_turn() -> None:
    late = [
        Interaction(16, "a", "elro", "riri", 0.0, "fixed", user=0),  # learnable: 1
        Interaction(16, "b", "lua", "lua", 1.0, "by_tone", user=1),  # read right: 1
        Interaction(17, "c", "lua", "riri", 0.0, "by_tone", False, user=1),  # misread: 0
        Interaction(18, "d", "lua", "nana", 0.0, "fixed", source="care", user=2),  # care: 0
        Interaction(19, "e", "lua", "lua", 1.0, "by_intent", source="care", user=3),  # care: 1
    ]
    early = [Interaction(3, "f", "elro", "riri", 0.0, "by_tone", False, user=1)]  # not counted
    figures = summarise(Run("thompson", early + late), turns=30)
    assert figures["oracle_turns_16_30"] == 0.6
    assert figures["agreement_turns_16_30"] == 0.4

    lines = verdicts([summary("static", 0.3), figures], {})
    assert "would reach 0.6" in lines[1] and "66.7% of that" in lines[1]
    assert "the target asks for 150.0%" in lines[1]


def test_the_report_shows_the_estimates_then_the_exact_and_online_checks_apart() -> None:
    lines = offline_tables(
        {
            "static from static+explore logs": pair("static+explore", 1.0, online=0.5),
            "static from thompson logs": pair("thompson", 0.438),
        }
    )
    rows = [line for line in lines if line.startswith("| static from")]
    assert rows[0].startswith("| static from static+explore logs | 0.3 [0.23, 0.37] |")
    assert (
        rows[2] == "| static from static+explore logs | 0.311 | True | True | True | 0.5 | False |"
    )
    assert rows[3] == (
        f"| static from thompson logs | 0.311 | {NOT_SUPPORTED} | {NOT_SUPPORTED} | "
        f"{NOT_SUPPORTED} | 0.311 | {NOT_SUPPORTED} |"
    )


def test_the_off_policy_verdict_is_missed_when_no_pair_can_test_it_or_one_fails() -> None:
    (line,) = verdicts([], {"static from thompson logs": pair("thompson", 0.438)})
    assert "0 of the 0 pairs" in line and ": missed;" in line
    (line,) = verdicts([], {"static from static+explore logs": pair("static+explore", 1.0, 0.5)})
    assert "0 of the 1 pairs" in line and "missed." in line
    # an online result outside the interval (other inputs) does not fail the estimator
    (line,) = verdicts(
        [], {"static from static+explore logs": pair("static+explore", 1.0, online=0.5)}
    )
    assert "1 of the 1 pairs" in line and "met." in line and line.endswith("on 0 of 1.")


@pytest.mark.parametrize("hour", LOCAL_HOURS)
def test_a_session_zone_puts_the_user_at_its_hour_whenever_the_run_starts(hour: int) -> None:
    start = datetime(2026, 12, 6, 0, 30, tzinfo=UTC)
    for now in (start + timedelta(hours=h) for h in range(24)):
        zone = zone_at(hour, now)
        assert ProfileSettings(timezone=zone).timezone == zone  # the API takes it
        assert now.astimezone(ZoneInfo(zone)).hour == hour


def test_every_user_meets_every_day_part_and_no_favourite_keeps_to_one() -> None:
    users = population(48)
    for user in range(len(users)):
        parts = [day_part(local_hour(user, session)) for session in range(5)]
        assert set(parts) == {"night", "morning", "afternoon", "evening"}
    # The fixed favourites' first sessions spread over the day parts (by user % 4 every Lua
    # fan would start at night, when the time term favours Lua).
    for persona in PERSONA_IDS:
        fans = [u for u, p in enumerate(users) if p.kind == "fixed" and p.persona == persona]
        assert len({local_hour(u, 0) for u in fans}) == len(LOCAL_HOURS)
