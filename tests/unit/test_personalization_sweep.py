"""The offline sweep's simulator learns what the stack learns: with the default Thompson
settings, simulated users get their hidden favourite far more often late than early."""

from __future__ import annotations

import math
import re
import statistics

import pytest

from benchmarks.personalization import Interaction, population, user_bootstrap_ci
from benchmarks.personalization_sweep import DEFAULT, simulate, stack_report, sweep_report
from benchmarks.stats import clustered_se
from common.personalization.policies import ThompsonSampling
from model_serving import split


def test_simulated_users_are_learned() -> None:
    corpus = split.ordinary_records()
    policy = ThompsonSampling(prior_strength=1.0, exploration_cap=0.05, draws=100)
    rows = simulate(policy, population(8), corpus, seed=0)
    assert len(rows) == 8 * 30 and {r for *_, r in rows} <= {0.0, 1.0}
    early = statistics.mean(r for i, _, r in rows if i <= 5)
    late = {
        kind: statistics.mean(r for i, k, r in rows if i >= 16 and k == kind)
        for kind in ("fixed", "by_tone", "by_intent")
    }
    assert late["fixed"] >= 0.9
    assert min(late.values()) > early + 0.2


def test_the_agreement_interval_resamples_whole_users() -> None:
    def users(rewards: list[list[float]]) -> list[Interaction]:
        return [
            Interaction(16 + i, f"t{u}-{i}", "lua", "lua", r, user=u)
            for u, rs in enumerate(rewards)
            for i, r in enumerate(rs)
        ]

    assert user_bootstrap_ci(users([[1.0] * 15] * 24)) == [1.0, 1.0]
    # half the users always get their favourite, half never: 0.5 on average, but with only 24
    # independent users the interval is far wider than 360 independent turns would give
    lo, hi = user_bootstrap_ci(users([[1.0] * 15] * 12 + [[0.0] * 15] * 12))
    assert lo <= 0.5 <= hi and hi - lo > 0.3
    assert user_bootstrap_ci([]) is None


def test_the_stack_report_ranks_settings_by_their_mean_over_seeds() -> None:
    def run(agreement: float, care: float) -> dict:
        return {
            "agreement_turns_16_30": agreement,
            "agreement_turns_16_30_outside_care": agreement + care,
            "care_share_turns_16_30": care,
            "agreement_turns_16_30_by_kind": {"fixed": 1.0, "by_tone": 0.8, "by_intent": 0.7},
        }

    rows = [
        {"prior_strength": 1.0, "exploration_cap": 0.05, "runs": [run(0.9, 0.04), run(0.88, 0.04)]},
        {"prior_strength": 1.0, "exploration_cap": 1.0, "runs": [run(0.8, 0.05), run(0.82, 0.03)]},
    ]
    text = stack_report(rows, [1, 2], {"date": "2026-12-05", "cpu": "AMD EPYC", "cores": 2})
    table = [line for line in text.splitlines() if line.startswith("| 1 |")]
    assert table == [
        "| 1 | 0.05 | 0.900, 0.880 | 0.890 | 0.930 | 0.040 | 1.000 | 0.800 | 0.700 |",
        "| 1 | 1 | 0.800, 0.820 | 0.810 | 0.850 | 0.040 | 1.000 | 0.800 | 0.700 |",
    ]
    assert "seeds 1, 2" in text


def test_the_standard_error_comes_from_the_clusters_means() -> None:
    # two users, one always right, one never: 2 independent units, not 6 turns
    assert clustered_se([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]) == pytest.approx(0.5)
    assert math.isnan(clustered_se([[1.0, 0.0]]))


def test_the_sweep_report_gives_each_settings_clustered_and_paired_standard_errors() -> None:
    def user_runs(*rewards: float) -> list[list[tuple]]:
        return [[(k, r) for k in ("fixed", "by_tone", "by_intent")] * 5 for r in rewards]

    # The other setting gets each user-run 0.1 more than the default: a difference of +0.1
    # with a paired standard error of 0, whatever the spread between user-runs.
    rows = [(DEFAULT, user_runs(0.9, 0.0, 0.9, 0.0)), ((0.5, 0.0), user_runs(1.0, 0.1, 1.0, 0.1))]
    lines = sweep_report(rows, 1, "2026-12-07")
    assert "from 4 user-runs" in lines[2] and "0.005" not in lines[2]
    table = [line for line in lines if line.startswith(("| 0.5 |", "| 1 |"))]
    # SE from the 4 user-runs' means (0.2598), not from 60 turns taken as independent (0.064)
    assert table == [
        "| 0.5 | 0 | 0.550 | 0.2598 | +0.100 | 0.0000 | 0.550 | 0.550 | 0.550 |",
        "| 1 | 0.05 | 0.450 | 0.2598 | +0.000 | 0.0000 | 0.450 | 0.450 | 0.450 |",
    ]


def test_the_offline_sweep_runs_to_its_report(monkeypatch, tmp_path, capsys) -> None:
    """`python -m benchmarks.personalization_sweep` prints each setting's mean agreement as it
    goes and writes the report; its progress line read the user-runs' (kind, reward) pairs as
    numbers, and the first setting ended the sweep with a TypeError."""
    from benchmarks import personalization_sweep as sweep

    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    monkeypatch.setattr(sweep, "ROOT", tmp_path)
    monkeypatch.setattr(sweep, "GRID", [DEFAULT, (0.5, 0.0)])
    monkeypatch.setattr(sweep, "population", lambda n: population(4))  # 24: minutes
    monkeypatch.setattr("sys.argv", ["personalization_sweep", "--repeats", "1"])
    sweep.main()
    progress = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[")]
    assert len(progress) == 2 and all(re.search(r": [01]\.\d{3}$", line) for line in progress)
    report = (tmp_path / "benchmarks" / "results" / "personalization_sweep.md").read_text()
    assert "| 1 | 0.05 |" in report and "| 0.5 | 0 |" in report
