-- User segments by a documented rule on lifecycle and engagement, first match wins:
--   new       first turn less than 7 days ago among the events still kept: the cleanup job
--             deletes each user's events past their retention (30, 90 or 365 days), so a user
--             back after a pause of about their retention or longer is new again. (The keyed
--             turn events' profile.turns, the user's lifetime count, would tell them apart,
--             but it lives in the payload JSON column: reading it would multiply the bytes
--             every per-user view scans.)
--   power     active on 12 or more of the last 28 days, and in the last 7 (a power user
--             gone for two weeks is lapsing, as churn_risk sees them)
--   regular   active in the last 7 days
--   lapsing   last turn 7 to 21 days ago
--   dormant   last turn more than 21 days ago
-- Each user also carries their main intent and favourite persona (what they come for).
SELECT
  user_key,
  CASE
    WHEN tenure_days < 7 THEN 'new'
    WHEN active_days_28d >= 12 AND recency_days < 7 THEN 'power'
    WHEN recency_days < 7 THEN 'regular'
    WHEN recency_days <= 21 THEN 'lapsing'
    ELSE 'dormant'
  END AS segment,
  main_intent,
  favourite_persona,
  turns_28d,
  active_days_28d,
  recency_days,
  tenure_days,
  as_of
FROM `${project}.${dataset}.user_activity`
