-- What users come for, per day from start_day to end_day: turns per intent and the share of the
-- day's turns. The `intent_mix` view is this over all time.
-- Days older than 30 undercount and lean towards long-retention and anonymised users (survivor
-- bias: turns_between.sql); for long ranges daily_persona_intent keeps each day's turns and users
-- per intent.
SELECT
  day,
  intent,
  COUNT(*) AS turns,
  COUNT(DISTINCT user_key) AS users,
  COUNT(*) / SUM(COUNT(*)) OVER (PARTITION BY day) AS share
FROM `${project}.${dataset}.turns_between`(${start_day}, ${end_day})
WHERE intent IS NOT NULL
GROUP BY day, intent
