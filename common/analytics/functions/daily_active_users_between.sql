-- Daily active users from start_day to end_day: distinct user keys with at least one turn that
-- day. Turns of users who anonymise analytics count in `turns` but cannot be told apart, so they
-- are not users here. The `daily_active_users` view is this over all time.
-- Days older than 30 undercount and lean towards long-retention and anonymised users (survivor
-- bias: turns_between.sql); for long ranges daily_activity keeps each day's active users, turns and
-- sessions.
SELECT
  day,
  COUNT(DISTINCT user_key) AS active_users,
  COUNT(*) AS turns,
  COUNT(DISTINCT session_id) AS sessions,
  COUNTIF(user_key IS NULL) AS anonymous_turns
FROM `${project}.${dataset}.turns_between`(${start_day}, ${end_day})
GROUP BY day
