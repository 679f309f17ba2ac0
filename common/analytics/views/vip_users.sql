-- VIP users: the most engaged 5 % of the users active in the last 28 days (by turns), who also
-- came back on at least 8 different days in that time; with what they use and how they rate it.
WITH active AS (
  SELECT *, PERCENT_RANK() OVER (ORDER BY turns_28d) AS turns_rank
  FROM `${project}.${dataset}.user_activity`
  WHERE turns_28d > 0
)
SELECT
  user_key,
  turns_28d,
  active_days_28d,
  sessions_28d,
  ratings_28d,
  satisfaction_28d,
  favourite_persona,
  main_intent,
  turns_rank,
  as_of
FROM active
WHERE turns_rank >= 0.95 AND active_days_28d >= 8
