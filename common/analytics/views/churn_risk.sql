-- Churn risk per user key: a score in [0, 1] of how likely the user is to take no turn in the
-- next 14 days, not a probability (a weighted sum of fixed weights; nothing calibrates it).
-- On held-out synthetic history (benchmarks/results/analytics.md: 2,000 users, 12 weeks,
-- scored two weeks before the end) the share who took no turn in the 14 days after was 0.899
-- in the high band, 0.320 in the medium one and 0.103 in the low one. A documented scoring rule
-- on four features, each scaled to [0, 1] (1 = more risk):
--   recency       days since the last turn / 14, capped at 1                 weight 0.40
--   frequency     1 - active days in the last 28 / 12, floored at 0          weight 0.25
--   trend         drop of turns, last 14 days vs the 14 before, in [0, 1]    weight 0.20
--   satisfaction  1 - smoothed satisfaction of the last 28 days              weight 0.15
-- risk = the weighted sum; band high >= 0.6, medium >= 0.35, else low. Users gone for more
-- than 56 days are not scored (already churned). Evaluated on held-out history by
-- benchmarks/analytics.py and tests/integration/test_analytics_views.py (scores as of a cut-off,
-- compared with who was active in the 14 days after it).
WITH features AS (
  SELECT
    user_key,
    as_of,
    recency_days,
    active_days_28d,
    turns_last_14d,
    turns_prev_14d,
    satisfaction_28d,
    LEAST(recency_days / 14, 1) AS recency_risk,
    GREATEST(1 - active_days_28d / 12, 0) AS frequency_risk,
    IF(turns_prev_14d > 0, GREATEST((turns_prev_14d - turns_last_14d) / turns_prev_14d, 0), 0)
      AS trend_risk,
    1 - satisfaction_28d AS satisfaction_risk
  FROM `${project}.${dataset}.user_activity`
  WHERE recency_days <= 56
),
scored AS (
  SELECT
    *,
    0.40 * recency_risk + 0.25 * frequency_risk + 0.20 * trend_risk + 0.15 * satisfaction_risk
      AS risk
  FROM features
)
SELECT
  *,
  CASE WHEN risk >= 0.6 THEN 'high' WHEN risk >= 0.35 THEN 'medium' ELSE 'low' END AS band
FROM scored
