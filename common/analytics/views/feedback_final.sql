-- The rating that stands for each rated turn: users may change a rating, the last one counts.
SELECT * EXCEPT (latest)
FROM (
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
    experiment,
    variant,
    ROW_NUMBER() OVER (PARTITION BY turn_id ORDER BY occurred_at DESC, event_id DESC) AS latest
  FROM `${project}.${dataset}.events`
  WHERE type = 'feedback.submitted' AND turn_id IS NOT NULL
  -- a redelivered copy of the same event is one rating, not two
  QUALIFY ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY ingested_at) = 1
)
WHERE latest = 1
