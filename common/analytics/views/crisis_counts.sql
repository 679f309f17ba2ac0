-- Crisis turns per day, locale and detector (the persona model or the baseline's patterns):
-- counts and distinct users only, never any text.
WITH crises AS (
  SELECT occurred_at, user_key, analysis_source, JSON_VALUE(payload, '$.locale') AS locale
  FROM `${project}.${dataset}.events`
WHERE type = 'safety.crisis_detected'
QUALIFY ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY ingested_at) = 1
)
SELECT
  DATE(occurred_at) AS day,
  locale,
  analysis_source,
  COUNT(*) AS crises,
  COUNT(DISTINCT user_key) AS users,
  COUNTIF(user_key IS NULL) AS anonymous_crises
FROM crises
GROUP BY day, locale, analysis_source
