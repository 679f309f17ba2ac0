-- Every user key's features, segment, churn risk and VIP flag as of the refresh, materialised
-- (a scheduled query in production, scripts/scheduler.py locally) so that the dashboard's
-- per-user widgets read one row per user instead of recomputing them from every event. The
-- views stay the live source; this table is rebuilt whole on each run (idempotent).
CREATE OR REPLACE TABLE `${project}.${dataset}.user_features`
CLUSTER BY user_key
AS
SELECT
  a.*,
  s.segment,
  c.risk AS churn_risk,
  c.band AS churn_band,
  v.user_key IS NOT NULL AS vip,
  CURRENT_TIMESTAMP() AS refreshed_at
FROM `${project}.${dataset}.user_activity` AS a
LEFT JOIN `${project}.${dataset}.user_segments` AS s USING (user_key)
LEFT JOIN `${project}.${dataset}.churn_risk` AS c USING (user_key)
LEFT JOIN `${project}.${dataset}.vip_users` AS v USING (user_key);
