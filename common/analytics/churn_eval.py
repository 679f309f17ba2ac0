"""Evaluating the churn-risk score on held-out history (pure): the score is taken as of a
cut-off, and a user counts as churned when they take no turn in the horizon after it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class ChurnEvaluation:
    users: int
    churned: int
    auc: float  # probability a churned user scores above a retained one (ties count half)
    churn_rate_by_band: dict[str, float]
    users_by_band: dict[str, int]
    precision_top_decile: float  # churn rate among the 10 % highest scores (ties: precision_at)
    base_rate: float
    # The harder question: among users still active in the 14 days before the cut-off (those
    # already away are easy to call), how well does the score rank who leaves next?
    recent_users: int
    recent_churned: int
    recent_auc: float


def auc(scores_churned: list[float], scores_retained: list[float]) -> float:
    """Mann-Whitney AUC with ties at half, by ranks (n log n)."""
    if not scores_churned or not scores_retained:
        return float("nan")
    labelled = sorted([(s, 1) for s in scores_churned] + [(s, 0) for s in scores_retained])
    rank_sum = 0.0
    i = 0
    while i < len(labelled):
        j = i
        while j < len(labelled) and labelled[j][0] == labelled[i][0]:
            j += 1
        average_rank = (i + j + 1) / 2  # ranks are 1-based
        rank_sum += average_rank * sum(1 for _, y in labelled[i:j] if y == 1)
        i = j
    n1, n0 = len(scores_churned), len(scores_retained)
    return (rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0)


def precision_at(scores: list[float], churned: list[bool], k: int) -> float:
    """Churn rate among the k highest scores. Users tied at the cut-off count in proportion
    (their expected share under a random order): a sort would pick among them by row order,
    and 4 users tied at the top, 2 of them churned, gave 0.0 or 1.0 for the top 2."""
    by_score: dict[float, list[bool]] = {}
    for score, c in zip(scores, churned, strict=True):
        by_score.setdefault(score, []).append(c)
    taken, hits = 0, 0.0
    for score in sorted(by_score, reverse=True):
        group = by_score[score]
        share = min(1.0, (k - taken) / len(group))
        hits += share * sum(group)
        taken += len(group)
        if taken >= k:
            break
    return hits / k


def evaluate(scored: list[dict], active_after: set[str]) -> ChurnEvaluation:
    """`scored`: rows of the churn_risk view as of the cut-off (user_key, risk, band,
    recency_days); `active_after`: user keys with a turn in the horizon after the cut-off."""
    churned = [r for r in scored if r["user_key"] not in active_after]
    retained = [r for r in scored if r["user_key"] in active_after]
    bands = Counter(r["band"] for r in scored)
    churned_bands = Counter(r["band"] for r in churned)
    recent = [r for r in scored if r["recency_days"] < 14]
    recent_churned = [r["risk"] for r in recent if r["user_key"] not in active_after]
    recent_retained = [r["risk"] for r in recent if r["user_key"] in active_after]
    return ChurnEvaluation(
        users=len(scored),
        churned=len(churned),
        auc=round(auc([r["risk"] for r in churned], [r["risk"] for r in retained]), 4),
        churn_rate_by_band={b: round(churned_bands[b] / n, 4) for b, n in sorted(bands.items())},
        users_by_band=dict(sorted(bands.items())),
        precision_top_decile=round(
            precision_at(
                [r["risk"] for r in scored],
                [r["user_key"] not in active_after for r in scored],
                max(1, len(scored) // 10),
            ),
            4,
        )
        if scored
        else float("nan"),
        base_rate=round(len(churned) / len(scored), 4) if scored else float("nan"),
        recent_users=len(recent),
        recent_churned=len(recent_churned),
        recent_auc=round(auc(recent_churned, recent_retained), 4),
    )
