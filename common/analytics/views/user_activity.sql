-- Per user key, the features the segments, churn risk and VIP views use, measured as of the
-- newest event in the table (`as_of`): the view answers the same on a replayed or held-out
-- history, and a pause in ingestion does not make every user look gone. Windows are calendar
-- days ending on as_of's day ("last 7 days" = that day and the 6 before). Users who anonymise
-- analytics have no key and are not here. first_seen and tenure_days count from the user's
-- oldest event still kept, not their first ever: retention deletes older ones.
WITH clock AS (
  SELECT MAX(occurred_at) AS as_of, DATE(MAX(occurred_at)) AS as_day
  FROM `${project}.${dataset}.events`
),
-- One pass over the turns: counts per user, day, persona and intent. Every later step reads
-- this small table. A session is counted by its first turn (turn_index 0).
cells AS (
  SELECT
    user_key,
    day,
    persona,
    intent,
    COUNT(*) AS turns,
    COUNTIF(turn_index = 0) AS sessions,
    MIN(occurred_at) AS first_at,
    MAX(occurred_at) AS last_at
  FROM `${project}.${dataset}.turns`
  WHERE user_key IS NOT NULL
  GROUP BY user_key, day, persona, intent
),
days AS (
  SELECT
    user_key,
    day,
    SUM(turns) AS turns,
    SUM(sessions) AS sessions,
    MIN(first_at) AS first_at,
    MAX(last_at) AS last_at
  FROM cells
  GROUP BY user_key, day
),
per_user AS (
  SELECT
    d.user_key,
    ANY_VALUE(c.as_of) AS as_of,
    MIN(d.first_at) AS first_seen,
    MAX(d.last_at) AS last_seen,
    SUM(d.turns) AS turns_total,
    SUM(IF(DATE_DIFF(c.as_day, d.day, DAY) < 7, d.turns, 0)) AS turns_7d,
    SUM(IF(DATE_DIFF(c.as_day, d.day, DAY) < 28, d.turns, 0)) AS turns_28d,
    SUM(IF(DATE_DIFF(c.as_day, d.day, DAY) < 14, d.turns, 0)) AS turns_last_14d,
    SUM(IF(DATE_DIFF(c.as_day, d.day, DAY) BETWEEN 14 AND 27, d.turns, 0)) AS turns_prev_14d,
    COUNTIF(DATE_DIFF(c.as_day, d.day, DAY) < 7) AS active_days_7d,
    COUNTIF(DATE_DIFF(c.as_day, d.day, DAY) < 28) AS active_days_28d,
    SUM(IF(DATE_DIFF(c.as_day, d.day, DAY) < 28, d.sessions, 0)) AS sessions_28d
  FROM days AS d CROSS JOIN clock AS c
  GROUP BY d.user_key
),
mix AS (
  SELECT user_key, persona, intent, SUM(turns) AS turns
  FROM cells
  GROUP BY user_key, persona, intent
),
favourite AS (
  SELECT user_key, persona AS favourite_persona
  FROM (
    SELECT user_key, persona,
      ROW_NUMBER() OVER (PARTITION BY user_key ORDER BY SUM(turns) DESC, persona) AS pick
    FROM mix WHERE persona IS NOT NULL GROUP BY user_key, persona
  )
  WHERE pick = 1
),
main_intent AS (
  SELECT user_key, intent AS main_intent
  FROM (
    SELECT user_key, intent,
      ROW_NUMBER() OVER (PARTITION BY user_key ORDER BY SUM(turns) DESC, intent) AS pick
    FROM mix WHERE intent IS NOT NULL GROUP BY user_key, intent
  )
  WHERE pick = 1
),
ratings AS (
  SELECT f.user_key, COUNT(*) AS ratings_28d, SUM(f.satisfaction) AS satisfaction_sum_28d
  FROM `${project}.${dataset}.feedback_final` AS f CROSS JOIN clock AS c
  WHERE f.user_key IS NOT NULL AND f.satisfaction IS NOT NULL
    AND DATE_DIFF(c.as_day, f.day, DAY) < 28
  GROUP BY f.user_key
)
SELECT
  u.*,
  TIMESTAMP_DIFF(u.as_of, u.last_seen, HOUR) / 24 AS recency_days,
  TIMESTAMP_DIFF(u.as_of, u.first_seen, HOUR) / 24 AS tenure_days,
  COALESCE(r.ratings_28d, 0) AS ratings_28d,
  -- Smoothed towards 0.5 by one pseudo-rating each way, so one rating does not decide.
  (COALESCE(r.satisfaction_sum_28d, 0) + 1) / (COALESCE(r.ratings_28d, 0) + 2) AS satisfaction_28d,
  f.favourite_persona,
  m.main_intent
FROM per_user AS u
LEFT JOIN ratings AS r USING (user_key)
LEFT JOIN favourite AS f USING (user_key)
LEFT JOIN main_intent AS m USING (user_key)
