-- The ratings given from start_day to end_day (UTC days of the rating) that stand: users may
-- change a rating, the last one of each turn counts. The `feedback_final` view is this over
-- all time.
-- Days older than 30 undercount and lean towards long-retention and anonymised users (survivor
-- bias: turns_between.sql); for long ranges daily_activity keeps each day's ratings and average
-- satisfaction.
-- Copies of an event are removed first and only then are a turn's ratings numbered: numbered in
-- one step, the two copies of a redelivered last rating tie, and the copy kept could be the one
-- numbered 2, which would drop the turn's rating.
--
-- Read from start_day (an earlier rating never replaces a later one) to 7 days past end_day:
-- a rating changed in that week replaces the one in the range, as over all time. A rating can
-- be changed while its session lasts, and a session expires SESSION_TTL_HOURS (24) after its
-- last turn: only a change in a session still going more than a week after the range is not
-- seen, and the rating it replaced counts here where the view has the change only.
WITH ratings AS (
  SELECT
    event_id,
    occurred_at,
    DATE(occurred_at) AS day,
    DATE_SUB(DATE(occurred_at), INTERVAL MOD(EXTRACT(DAYOFWEEK FROM occurred_at) + 5, 7) DAY) AS week_start,
    user_key,
    session_id,
    turn_id,
    persona,
    rating,
    satisfaction,
    -- a rating of the crisis safety message (written by no persona); NULL on older events
    crisis,
    -- 'care': the turn was answered by the calm persona because of a recent crisis signal, not
    -- chosen for fit; NULL on events from before feedback carried it
    persona_source,
    experiment,
    variant
  FROM `${project}.${dataset}.events`
  WHERE type = 'feedback.submitted' AND turn_id IS NOT NULL
    -- bounded before the copies are removed: they share occurred_at (turns_between.sql)
    AND occurred_at >= TIMESTAMP(${start_day})
    AND occurred_at < TIMESTAMP(DATE_ADD(${end_day}, INTERVAL 8 DAY))
  -- a redelivered copy of the same event is one rating, not two
  QUALIFY ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY ingested_at) = 1
)
SELECT * EXCEPT (latest)
FROM (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY turn_id ORDER BY occurred_at DESC, event_id DESC) AS latest
  FROM ratings
)
WHERE latest = 1 AND day <= ${end_day}
