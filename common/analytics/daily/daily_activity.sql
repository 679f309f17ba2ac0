-- Daily activity, materialised (a scheduled query in production, scripts/scheduler.py locally)
-- so the dashboard's long ranges read one row per day instead of every event. Recomputes every
-- day that received events since the last run (late events from the outbox included), and
-- every day an earlier rating of a turn rated since then was given (a rating counts on the day
-- of the rating that stands, so a changed one leaves its old day), and the last 30 days once
-- this file or a view changes (`definition`, below), and MERGEs the result: running it again
-- changes nothing.
-- No day before the last 30 is ever recomputed (nor, on a new table, computed): the cleanup has
-- deleted the events of users with the shortest retention (30 days) from it, so its figures
-- would undercount it. So every read of the events (partitioned by day on occurred_at) is
-- bounded to the days from 29 days ago, in the SELECT that scans them: BigQuery reads only
-- those partitions (the all-time `turns` and `feedback_final` views, filtered on `day` after
-- their de-duplication, read every day kept: tests/unit/test_metric_pruning.py).
-- For ranges reaching past 30 days read this table, not the all-time views: those lose each
-- keyed user's events after their retention and lean towards who is left (turns_between.sql).
-- `crises` counts the stored turns answered as a crisis (the turns' `crisis`). Those include a
-- user reporting someone else's crisis ("my friend wants to kill herself"), answered with the
-- reply for them; crisis_counts tells them apart by `reply` ('someone_else'): its rows without
-- it are the users' own. crisis_counts counts the safety.crisis_detected events, which also
-- include crises answered but not stored (its `stored_crises` leaves those out; the closest
-- figure to `crises` here), with a script's unstored ones throttled to one a minute per user.
CREATE TABLE IF NOT EXISTS `${project}.${dataset}.daily_activity` (
  day DATE NOT NULL,
  active_users INT64,
  turns INT64,
  sessions INT64,
  ratings INT64,
  avg_satisfaction FLOAT64,
  crises INT64,
  degraded_turns INT64,
  model_fallbacks INT64,
  latency_p50_ms FLOAT64,
  latency_p95_ms FLOAT64,
  refreshed_at TIMESTAMP,
  definition STRING  -- what computed the row: a hash of this file and the views' (below)
)
PARTITION BY day;
-- a table made before the column (2026-12-06): its rows have none, so they are recomputed
ALTER TABLE `${project}.${dataset}.daily_activity` ADD COLUMN IF NOT EXISTS definition STRING;

MERGE `${project}.${dataset}.daily_activity` AS target
USING (
  WITH recent AS (
    SELECT type, occurred_at, turn_id
    FROM `${project}.${dataset}.events`
    -- since two hours before the last run that wrote: a failed or late daily run is caught
    -- up by the next one, not lost (the first run reads all that is kept of the 30 days)
    WHERE ingested_at >= (
      SELECT TIMESTAMP_SUB(IFNULL(MAX(refreshed_at), TIMESTAMP '1970-01-01'), INTERVAL 2 HOUR)
      FROM `${project}.${dataset}.daily_activity`
    )
      -- ingested_at is not the partitioning column: this bound is what prunes. It loses no
      -- late event a run would count: Pub/Sub keeps a message 7 days (a dead letter's replay,
      -- a seek of the events topic), so one arrives within days of occurring, and one of a day
      -- older than 29 days would not be counted anyway (above)
      AND occurred_at >= TIMESTAMP(DATE_SUB(CURRENT_DATE(), INTERVAL 29 DAY))
  ),
  touched AS (
    SELECT DATE(occurred_at) AS day FROM recent
    UNION DISTINCT
    SELECT DATE(occurred_at) AS day
    FROM `${project}.${dataset}.events`
    WHERE type = 'feedback.submitted'
      AND turn_id IN (SELECT turn_id FROM recent WHERE type = 'feedback.submitted')
      -- not a day past the shortest retention (30 days): the cleanup has deleted some users'
      -- events of it, so recomputing it would undercount it. It keeps its old figures, so a
      -- rating changed that late counts on that day and on the day of the change.
      AND occurred_at >= TIMESTAMP(DATE_SUB(CURRENT_DATE(), INTERVAL 29 DAY))
    UNION DISTINCT
    -- the days other SQL computed (`${definition}`: a hash of this file and the views' files):
    -- an upgrade that changes the figures recomputes them, but only those the cleanup has not
    -- thinned yet, as above; older days keep the figures the earlier SQL gave them
    SELECT day
    FROM `${project}.${dataset}.daily_activity`
    WHERE definition IS DISTINCT FROM '${definition}'
      AND day >= DATE_SUB(CURRENT_DATE(), INTERVAL 29 DAY)
  ),
  turns AS (
    SELECT
      day,
      COUNT(DISTINCT user_key) AS active_users,
      COUNT(*) AS turns,
      COUNT(DISTINCT session_id) AS sessions,
      COUNTIF(crisis) AS crises,
      COUNTIF(ARRAY_LENGTH(degraded) > 0) AS degraded_turns,
      COUNTIF(model_fallback) AS model_fallbacks,
      APPROX_QUANTILES(latency_ms, 100)[OFFSET(50)] AS latency_p50_ms,
      APPROX_QUANTILES(latency_ms, 100)[OFFSET(95)] AS latency_p95_ms
    -- the days a run can touch, from 29 days ago to tomorrow (an event's occurred_at may be a
    -- day ahead: common/analytics/rows.py)
    FROM `${project}.${dataset}.turns_between`(DATE_SUB(CURRENT_DATE(), INTERVAL 29 DAY), DATE_ADD(CURRENT_DATE(), INTERVAL 1 DAY))
    WHERE day IN (SELECT day FROM touched)
    GROUP BY day
  ),
  ratings AS (
    SELECT day, COUNT(*) AS ratings, AVG(satisfaction) AS avg_satisfaction
    -- the ratings given on those days that stand: the function reads 8 days past its end for
    -- ones changed later, past any rating there is yet, so these are the all-time view's
    FROM `${project}.${dataset}.feedback_final_between`(DATE_SUB(CURRENT_DATE(), INTERVAL 29 DAY), DATE_ADD(CURRENT_DATE(), INTERVAL 1 DAY))
    WHERE day IN (SELECT day FROM touched) AND satisfaction IS NOT NULL
    GROUP BY day
  )
  -- every touched day, with or without turns or ratings left: a day whose only rating moved
  -- to a later day must be updated to none
  SELECT
    day,
    COALESCE(t.active_users, 0) AS active_users, COALESCE(t.turns, 0) AS turns,
    COALESCE(t.sessions, 0) AS sessions, COALESCE(r.ratings, 0) AS ratings, r.avg_satisfaction,
    COALESCE(t.crises, 0) AS crises, COALESCE(t.degraded_turns, 0) AS degraded_turns,
    COALESCE(t.model_fallbacks, 0) AS model_fallbacks, t.latency_p50_ms, t.latency_p95_ms
  FROM touched
  LEFT JOIN turns AS t USING (day)
  LEFT JOIN ratings AS r USING (day)
) AS source
ON target.day = source.day
WHEN MATCHED THEN UPDATE SET
  active_users = source.active_users,
  turns = source.turns,
  sessions = source.sessions,
  ratings = source.ratings,
  avg_satisfaction = source.avg_satisfaction,
  crises = source.crises,
  degraded_turns = source.degraded_turns,
  model_fallbacks = source.model_fallbacks,
  latency_p50_ms = source.latency_p50_ms,
  latency_p95_ms = source.latency_p95_ms,
  refreshed_at = CURRENT_TIMESTAMP(),
  definition = '${definition}'
WHEN NOT MATCHED THEN INSERT (
  day, active_users, turns, sessions, ratings, avg_satisfaction, crises, degraded_turns,
  model_fallbacks, latency_p50_ms, latency_p95_ms, refreshed_at, definition
) VALUES (
  source.day, source.active_users, source.turns, source.sessions, source.ratings,
  source.avg_satisfaction, source.crises, source.degraded_turns, source.model_fallbacks,
  source.latency_p50_ms, source.latency_p95_ms, CURRENT_TIMESTAMP(), '${definition}'
);
