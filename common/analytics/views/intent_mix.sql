-- What users come for, per day: turns per intent and the share of the day's turns.
SELECT
  day,
  intent,
  COUNT(*) AS turns,
  COUNT(DISTINCT user_key) AS users,
  COUNT(*) / SUM(COUNT(*)) OVER (PARTITION BY day) AS share
FROM `${project}.${dataset}.turns`
WHERE intent IS NOT NULL
GROUP BY day, intent
