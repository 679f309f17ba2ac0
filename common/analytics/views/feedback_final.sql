-- The rating that stands for each rated turn: users may change a rating, the last one counts.
-- Copies of an event are removed first and only then are a turn's ratings numbered: numbered in
-- one step, the two copies of a redelivered last rating tie, and the copy kept could be the one
-- numbered 2, which would drop the turn's rating.
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
WHERE latest = 1
