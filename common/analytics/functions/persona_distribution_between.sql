-- Which persona answered, per day from start_day to end_day: turns, users and the share of the
-- day's turns. The `persona_distribution` view is this over all time.
-- Days older than 30 undercount and lean towards long-retention and anonymised users (survivor
-- bias: turns_between.sql); for long ranges daily_persona_intent keeps each day's turns and users
-- per persona.
SELECT
  day,
  persona,
  COUNT(*) AS turns,
  COUNT(DISTINCT user_key) AS users,
  COUNT(*) / SUM(COUNT(*)) OVER (PARTITION BY day) AS share
FROM `${project}.${dataset}.turns_between`(${start_day}, ${end_day})
WHERE persona IS NOT NULL
GROUP BY day, persona
