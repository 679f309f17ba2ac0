-- Daily turns, users and ratings per persona and intent, materialised like daily_activity
-- (days that received events since the last run are recomputed, and the days of the turns
-- rated since then: a rating counts on its turn's day; and the last 30 days once this file or a
-- view changes, `definition` below; MERGE is idempotent).
-- As there, no day before the last 30 is ever recomputed, and every read of the events is
-- bounded to the days from 29 days ago, so BigQuery reads only their partitions.
-- Satisfaction is kept as a sum and a count so that any range can be averaged exactly (the
-- dashboard's satisfaction_by_persona_intent metric, common/insights/metrics.py).
CREATE TABLE IF NOT EXISTS `${project}.${dataset}.daily_persona_intent` (
  day DATE NOT NULL,
  persona STRING NOT NULL,
  intent STRING NOT NULL,
  turns INT64,
  users INT64,
  requested_turns INT64,
  ratings INT64,
  satisfaction_sum FLOAT64,
  refreshed_at TIMESTAMP,
  definition STRING  -- what computed the row: a hash of this file and the views' (below)
)
PARTITION BY day
CLUSTER BY persona, intent;
-- a table made before the column (2026-12-06): its rows have none, so they are recomputed
ALTER TABLE `${project}.${dataset}.daily_persona_intent` ADD COLUMN IF NOT EXISTS definition STRING;

MERGE `${project}.${dataset}.daily_persona_intent` AS target
USING (
  WITH recent AS (
    SELECT type, occurred_at, turn_id
    FROM `${project}.${dataset}.events`
    -- since two hours before the last run that wrote: a failed or late daily run is caught
    -- up by the next one, not lost (the first run reads all that is kept of the 30 days)
    WHERE ingested_at >= (
      SELECT TIMESTAMP_SUB(IFNULL(MAX(refreshed_at), TIMESTAMP '1970-01-01'), INTERVAL 2 HOUR)
      FROM `${project}.${dataset}.daily_persona_intent`
    )
      -- what prunes, losing no late event a run would count (daily_activity.sql); a rating is
      -- given after its turn, so one of a turn of these days is of these days too
      AND occurred_at >= TIMESTAMP(DATE_SUB(CURRENT_DATE(), INTERVAL 29 DAY))
  ),
  touched AS (
    SELECT DATE(occurred_at) AS day FROM recent
    UNION DISTINCT
    -- as in daily_activity.sql: not a day past the shortest retention (a rating given or
    -- changed that late is not counted here); to tomorrow, an occurred_at may be a day ahead
    SELECT day
    FROM `${project}.${dataset}.turns_between`(DATE_SUB(CURRENT_DATE(), INTERVAL 29 DAY), DATE_ADD(CURRENT_DATE(), INTERVAL 1 DAY))
    WHERE turn_id IN (SELECT turn_id FROM recent WHERE type = 'feedback.submitted')
    UNION DISTINCT
    -- the days other SQL computed (`${definition}`: a hash of this file and the views' files):
    -- an upgrade that changes the figures recomputes them, but only those the cleanup has not
    -- thinned yet, as above; older days keep the figures the earlier SQL gave them
    SELECT day
    FROM `${project}.${dataset}.daily_persona_intent`
    WHERE definition IS DISTINCT FROM '${definition}'
      AND day >= DATE_SUB(CURRENT_DATE(), INTERVAL 29 DAY)
  ),
  turns AS (
    SELECT
      day,
      persona,
      COALESCE(intent, 'unknown') AS intent,
      COUNT(*) AS turns,
      COUNT(DISTINCT user_key) AS users,
      COUNTIF(persona_source = 'requested') AS requested_turns
    FROM `${project}.${dataset}.turns_between`(DATE_SUB(CURRENT_DATE(), INTERVAL 29 DAY), DATE_ADD(CURRENT_DATE(), INTERVAL 1 DAY))
    WHERE day IN (SELECT day FROM touched) AND persona IS NOT NULL
    GROUP BY day, persona, intent
  ),
  rated AS (
    SELECT t.day, t.persona, COALESCE(t.intent, 'unknown') AS intent,
      COUNT(*) AS ratings, SUM(f.satisfaction) AS satisfaction_sum
    -- a turn's ratings are given from its day on: those of the days above's turns that stand
    -- (the function reads 8 days past its end for changes, past any rating there is yet)
    FROM `${project}.${dataset}.feedback_final_between`(DATE_SUB(CURRENT_DATE(), INTERVAL 29 DAY), DATE_ADD(CURRENT_DATE(), INTERVAL 1 DAY)) AS f
    JOIN `${project}.${dataset}.turns_between`(DATE_SUB(CURRENT_DATE(), INTERVAL 29 DAY), DATE_ADD(CURRENT_DATE(), INTERVAL 1 DAY)) AS t USING (turn_id)
    WHERE t.day IN (SELECT day FROM touched) AND f.satisfaction IS NOT NULL
      AND t.persona IS NOT NULL
      -- the crisis safety message is no persona's reply, and a turn in care got its persona
      -- for the crisis, not for fit (as in satisfaction_by_persona); the turn's own flags,
      -- like its persona, hold for ratings older than the fields too
      AND COALESCE(f.crisis, t.crisis) IS NOT TRUE AND t.persona_source IS DISTINCT FROM 'care'
    GROUP BY t.day, t.persona, intent
  )
  SELECT
    t.day, t.persona, t.intent, t.turns, t.users, t.requested_turns,
    COALESCE(r.ratings, 0) AS ratings, COALESCE(r.satisfaction_sum, 0) AS satisfaction_sum
  FROM turns AS t
  LEFT JOIN rated AS r USING (day, persona, intent)
) AS source
ON target.day = source.day AND target.persona = source.persona AND target.intent = source.intent
WHEN MATCHED THEN UPDATE SET
  turns = source.turns,
  users = source.users,
  requested_turns = source.requested_turns,
  ratings = source.ratings,
  satisfaction_sum = source.satisfaction_sum,
  refreshed_at = CURRENT_TIMESTAMP(),
  definition = '${definition}'
WHEN NOT MATCHED THEN INSERT (
  day, persona, intent, turns, users, requested_turns, ratings, satisfaction_sum, refreshed_at,
  definition
) VALUES (
  source.day, source.persona, source.intent, source.turns, source.users, source.requested_turns,
  source.ratings, source.satisfaction_sum, CURRENT_TIMESTAMP(), '${definition}'
);
