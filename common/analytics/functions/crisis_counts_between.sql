-- Crisis turns per day from start_day to end_day, locale and detector: analysis_source (the
-- persona model's version, or the baseline when the model did not answer) and detected_by (what
-- said crisis: "model", "patterns", "model+patterns", or "safety_answer" for a no to "Are you
-- safe right now?"; NULL for events from before it was recorded). Counts and distinct users
-- only, never any text. The `crisis_counts` view is this over all time.
WITH crises AS (
  SELECT
    occurred_at,
    user_key,
    analysis_source,
    JSON_VALUE(payload, '$.locale') AS locale,
    JSON_VALUE(payload, '$.detected_by') AS detected_by
  FROM `${project}.${dataset}.events`
  WHERE type = 'safety.crisis_detected'
    -- the range's UTC days, before the copies are removed: they share occurred_at
    -- (turns_between.sql)
    AND occurred_at >= TIMESTAMP(${start_day})
    AND occurred_at < TIMESTAMP(DATE_ADD(${end_day}, INTERVAL 1 DAY))
  QUALIFY ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY ingested_at) = 1
)
SELECT
  DATE(occurred_at) AS day,
  locale,
  analysis_source,
  detected_by,
  COUNT(*) AS crises,
  COUNT(DISTINCT user_key) AS users,
  COUNTIF(user_key IS NULL) AS anonymous_crises
FROM crises
GROUP BY day, locale, analysis_source, detected_by
