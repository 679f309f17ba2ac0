-- Completed chat turns taken from start_day to end_day (UTC days, both included), one row per
-- event (filtered by type before de-duplicating, which reads only the turn events' cluster),
-- with the Monday-based week they fall in. The `turns` view is this over all time.
--
-- Every table function here takes the first and last day of its range, start_day and end_day
-- (DATEs), and bounds occurred_at by them in the SELECT that scans `events`, before the
-- de-duplication window: the table is partitioned by day on occurred_at, so BigQuery reads only
-- the range's partitions. A date filter outside the window (WHERE day BETWEEN ... on a view)
-- prunes nothing and reads every day kept. The view of the same file is the function from
-- 1970 to 2999 (common/analytics/warehouse.py: ALL_TIME). Bounding first keeps the same copy
-- of each event: the copies are one envelope sent again unchanged (the outbox relay and Pub/Sub
-- redeliver it, a dead-letter replay republishes it, and the sink takes occurred_at from the
-- envelope), so they share event_id and occurred_at and are all in the range or all out of it.
--
-- Survivor bias past 30 days, in every view over all time and every function's range reaching
-- that far: the cleanup deletes a keyed user's events after their retention (30, 90 or 365
-- days), while anonymised users' (no user_key) stay until their partition expires (400 days by
-- default). So a day older than 30 days keeps only the users with a longer retention and the
-- anonymised ones: its turns, users, personas, intents and ratings undercount and lean towards
-- them. For long ranges read daily_activity and daily_persona_intent, which keep each day's
-- figures as computed within 30 days.
SELECT
  event_id,
  occurred_at,
  DATE(occurred_at) AS day,
  DATE_SUB(DATE(occurred_at), INTERVAL MOD(EXTRACT(DAYOFWEEK FROM occurred_at) + 5, 7) DAY) AS week_start,
  user_key,
  session_id,
  turn_id,
  turn_index,
  persona,
  persona_source,
  policy,
  tone,
  pace,
  intent,
  crisis,
  degraded,
  model_fallback,
  latency_ms,
  experiment,
  variant,
  locale
FROM `${project}.${dataset}.events`
WHERE type = 'chat.turn.completed'
  -- from midnight UTC of start_day to the midnight UTC after end_day: `day` is the UTC date
  AND occurred_at >= TIMESTAMP(${start_day})
  AND occurred_at < TIMESTAMP(DATE_ADD(${end_day}, INTERVAL 1 DAY))
QUALIFY ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY ingested_at, occurred_at) = 1
