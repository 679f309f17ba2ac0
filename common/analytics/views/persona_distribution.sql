-- Which persona answered, per day: turns, users and the share of the day's turns.
SELECT
  day,
  persona,
  COUNT(*) AS turns,
  COUNT(DISTINCT user_key) AS users,
  COUNT(*) / SUM(COUNT(*)) OVER (PARTITION BY day) AS share
FROM `${project}.${dataset}.turns`
WHERE persona IS NOT NULL
GROUP BY day, persona
