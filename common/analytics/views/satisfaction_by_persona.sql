-- Satisfaction per persona and week from the ratings that stand (the last rating of each turn):
-- satisfaction is the rating as a reward in [0, 1] (up = 1, down = 0, 1..5 scaled).
SELECT
  week_start,
  persona,
  COUNT(*) AS ratings,
  AVG(satisfaction) AS avg_satisfaction,
  COUNTIF(satisfaction >= 0.5) / COUNT(*) AS positive_share,
  COUNT(DISTINCT user_key) AS raters
FROM `${project}.${dataset}.feedback_final`
WHERE persona IS NOT NULL AND satisfaction IS NOT NULL
GROUP BY week_start, persona
