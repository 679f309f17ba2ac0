-- Weekly active users (weeks start on Monday, UTC): distinct user keys with a turn that week.
SELECT
  week_start,
  COUNT(DISTINCT user_key) AS active_users,
  COUNT(*) AS turns,
  COUNT(DISTINCT session_id) AS sessions,
  COUNTIF(user_key IS NULL) AS anonymous_turns
FROM `${project}.${dataset}.turns`
GROUP BY week_start
